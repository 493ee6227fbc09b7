"""Turning an uploaded file's bytes into RGB pixels, or into a clear 4xx refusal.

An upload is read the way ``rssqa recommend`` reads a file: PNG and JPEG through Pillow into
upright 8-bit RGB (``rssqa.data.io.rgb_pixels``: palette, grey, CMYK, EXIF orientation), TIFF
through rasterio with the bands, stretch and nodata the experiment's pool was trained with
(``rssqa.raster.reader.RasterScene``), so a 16-bit or 4-band GeoTIFF gets the same pixels the pool
saw in training.

The type is decided by content, never by the file name or the client's Content-Type: TIFF by its
signature, anything else by Pillow's identification; the pixel count is read from the header
before anything is decoded. Decoding never touches the file system (a TIFF is opened in a
rasterio MemoryFile); only a georeferenced TIFF is later copied to the server's temporary folder,
for its scene outputs (``rssqa.serve.downloads``).
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.io import MemoryFile
from rasterio.windows import Window

from rssqa.data.io import rgb_pixels
from rssqa.errors import InputError
from rssqa.raster.reader import RasterScene, fill_invalid
from rssqa.raster.settings import RasterSettings

ACCEPTED_FORMATS = ("PNG", "JPEG", "TIFF")
# Little- and big-endian TIFF, then BigTIFF: GDAL reads them all; Pillow not every layout.
_TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


class UploadError(Exception):
    """A refusal the client caused: an HTTP status (4xx) and a message saying what to do."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def decode_upload(data: bytes, max_pixels: int, raster: RasterSettings | None = None,
                  name: str = "upload") -> np.ndarray:
    """HxWx3 uint8 RGB pixels of an uploaded PNG, JPEG or TIFF; ``UploadError`` otherwise.
    ``raster``: the experiment's raster settings, for TIFFs; ``name`` labels the upload in
    messages."""
    if not data:
        raise UploadError(400, "the upload is empty: choose a PNG, JPEG or TIFF image")
    if data.startswith(_TIFF_SIGNATURES):
        return _decode_tiff(data, max_pixels, raster or RasterSettings(), name)
    return _decode_photo(data, max_pixels, name)


def _decode_photo(data: bytes, max_pixels: int, name: str) -> np.ndarray:
    image = _open_checked(data, max_pixels)
    try:
        image.verify()  # structure and checksums; the image must be reopened afterwards
        image = Image.open(io.BytesIO(data))
        return rgb_pixels(image, name, "upload")  # the pixel count was checked before this
    except InputError as error:
        raise UploadError(415, str(error)) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise UploadError(422, f"the {image.format} file is damaged or truncated ({error}); "
                          "re-export it and try again") from None


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
    _check_size(*image.size, max_pixels)
    return image


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise UploadError(413, f"the image is {width} x {height} = {width * height:,} pixels, over "
                          f"the limit of {max_pixels:,}: cut it into smaller files")
    if min(width, height) < 1:
        raise UploadError(422, "the image has no pixels")


def _decode_tiff(data: bytes, max_pixels: int, raster: RasterSettings, name: str) -> np.ndarray:
    """The whole TIFF as the pool's 8-bit RGB; nodata pixels take the valid ones' mean colour,
    as in training. Band or value-type problems are 415, damage 422, nothing valid 422."""
    with warnings.catch_warnings(), MemoryFile(data) as memory:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a plain TIFF photo is fine
        try:
            dataset = memory.open()
        except RasterioIOError as error:
            raise UploadError(422, f"the TIFF file is damaged or truncated ({error}); re-export "
                              "it and try again") from None
        _check_size(dataset.width, dataset.height, max_pixels)
        with _scene(name, raster, dataset) as scene:
            whole = Window(0, 0, dataset.width, dataset.height)
            valid = _read(scene.valid, whole, 422)
            if not valid.any():
                raise UploadError(422, "the image holds no valid pixel (all of it is nodata): "
                                  "nothing to assess")
            return fill_invalid(_read(scene.read_bands, whole, 415)[0], valid)[0]


def _scene(name: str, raster: RasterSettings, dataset) -> RasterScene:
    try:
        return RasterScene(name, raster, dataset=dataset)
    except InputError as error:  # bands the experiment's raster settings cannot find
        raise UploadError(415, _unusable(error)) from None


def _read(read, window: Window, status: int):
    """``read(window)``, an InputError becoming a refusal with ``status``."""
    try:
        return read(window)
    except InputError as error:
        if status == 415:
            raise UploadError(415, _unusable(error)) from None
        raise UploadError(status, f"the TIFF file is damaged or truncated ({error.problem}); "
                          "re-export it and try again") from None


def _unusable(error: InputError) -> str:
    """The reader's message names the experiment's raster settings, which only the server's
    operator can change; the uploader can convert the file."""
    return (f"{error} (the served experiment reads TIFFs this way; convert the file to match, "
            "e.g. gdal_translate -b 1 -b 2 -b 3 -ot Byte -scale)")


def is_georeferenced(data: bytes) -> bool:
    """Whether ``data`` is a TIFF with a CRS and a geotransform: a GeoTIFF whose outputs can be
    placed on a map (a plain TIFF photo has neither)."""
    if not data.startswith(_TIFF_SIGNATURES):
        return False
    with warnings.catch_warnings(), MemoryFile(data) as memory:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        try:
            with memory.open() as dataset:
                return dataset.crs is not None and not dataset.transform.is_identity
        except RasterioIOError:
            return False


def display_name(filename: str | None) -> str:
    """A label for the client's file name, for display and download names only (never a path):
    its last component, stem without extension, limited to safe characters and 80 of them."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:80] or "image"

