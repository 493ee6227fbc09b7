"""Turning an uploaded file's bytes into RGB pixels, or into a clear 4xx refusal.

The type is decided by content, never by the file name or the client's Content-Type: Pillow
identifies the format from the bytes, only PNG, JPEG and TIFF pass, ``verify()`` checks the file's
structure, and the pixel count is read from the header before anything is decoded. The bytes never
touch the file system.
"""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image, UnidentifiedImageError

ACCEPTED_FORMATS = ("PNG", "JPEG", "TIFF")
# Pillow modes holding 8-bit samples that convert to RGB without loss of meaning.
_EIGHT_BIT_MODES = {"RGB", "RGBA", "L", "LA", "P", "PA", "1"}
_TIFF_SAMPLES_PER_PIXEL = 277  # Pillow reads RGB+NIR TIFFs as RGB; the header tells the truth


class UploadError(Exception):
    """A refusal the client caused: an HTTP status (4xx) and a message saying what to do."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def decode_upload(data: bytes, max_pixels: int) -> np.ndarray:
    """HxWx3 uint8 RGB pixels of an uploaded PNG, JPEG or TIFF; ``UploadError`` otherwise."""
    if not data:
        raise UploadError(400, "the upload is empty: choose a PNG, JPEG or TIFF image")
    image = _open_checked(data, max_pixels)
    try:
        image.verify()  # structure and checksums; the image must be reopened afterwards
        image = Image.open(io.BytesIO(data))
        image.load()  # the pixel count was checked against our own limit before this
    except (OSError, SyntaxError, ValueError) as error:
        raise UploadError(422, f"the {image.format} file is damaged or truncated ({error}); "
                          "re-export it and try again") from None
    bands = max(len(image.getbands()), getattr(image, "tag_v2", {}).get(_TIFF_SAMPLES_PER_PIXEL, 0))
    if image.mode not in _EIGHT_BIT_MODES or bands > len(image.getbands()):
        raise UploadError(415, f"the image has {bands} band(s) in Pillow mode {image.mode!r}, not "
                          "8-bit RGB: convert it, e.g. gdal_translate -b 1 -b 2 -b 3 -ot Byte -scale")
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Identify the format and size from the header; nothing is decoded yet."""
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise UploadError(415, "the file is not a PNG, JPEG or TIFF image (checked by content, "
                          "not by its name)") from None
    except Image.DecompressionBombError:
        raise UploadError(413, f"the image has too many pixels (limit {max_pixels:,})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise UploadError(422, f"the file cannot be read as an image ({error})") from None
    if image.format not in ACCEPTED_FORMATS:
        raise UploadError(415, f"{image.format} images are not accepted: send PNG, JPEG or TIFF")
    width, height = image.size
    if width * height > max_pixels:
        raise UploadError(413, f"the image is {width} x {height} = {width * height:,} pixels, over "
                          f"the limit of {max_pixels:,}: cut it into smaller files")
    if min(width, height) < 1:
        raise UploadError(422, "the image has no pixels")
    return image


def display_name(filename: str | None) -> str:
    """A label for the client's file name, for display and download names only (never a path):
    its last component, stem without extension, limited to safe characters and 80 of them."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:80] or "image"
