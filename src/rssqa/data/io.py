"""Reading source images and label masks, with errors that name the file and the fix.

Everything downstream expects 3-band 8-bit RGB, because that is what the segmentation pool and the
semantic encoders were pretrained on. Pillow reads every common format, including plain 8-bit RGB
GeoTIFFs (their georeferencing is ignored here). Multispectral or 16-bit rasters are never
rescaled by a guess: choosing bands and a stretch is a decision about the data that the user
makes once per experiment, visibly. Inside :func:`raster_reading` (the pipeline enters it with the
experiment's ``rssqa.raster.settings.RasterSettings``) TIFFs are read through rasterio with those
bands, that stretch and that nodata; outside it they are refused with a conversion recipe.

Photos are read as they are displayed: a JPEG, PNG or TIFF whose EXIF orientation says "rotated"
is turned upright (Pillow stores the sensor's orientation), so a segmentation lines up with the
picture the user sees. Georeferenced rasters read through rasterio keep their stored grid, which
their transform describes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from rssqa.data.classmap import ClassMap
from rssqa.data.mask_encodings import MaskPixels, grey_band
from rssqa.errors import InputError

# Pillow modes that hold 8-bit samples and convert to RGB without loss of meaning
# (RGBA/LA/PA: the alpha band is dropped; L/P: grey levels or palette colours are expanded).
_EIGHT_BIT_MODES = {"RGB", "RGBA", "L", "LA", "P", "PA", "1"}
# A JPEG's four bands are print colours, which Pillow converts; a 4-band TIFF may be RGB + NIR
# labelled CMYK, so only JPEGs get these.
_JPEG_COLOUR_MODES = {"CMYK", "YCbCr"}

_TIFF_SAMPLES_PER_PIXEL = 277
# EXIF orientations 2..8 say how the stored pixels must be flipped or turned to be displayed;
# 5..8 include a quarter turn, so the displayed width is the stored height.
_ROTATIONS = range(2, 9)
_QUARTER_TURNS = range(5, 9)

_CONVERT_HINT = ("the encoder takes 3-band 8-bit RGB: convert it first, e.g. "
                 "`gdal_translate -b 1 -b 2 -b 3 -ot Byte -scale in.tif out.tif` for a multi-band "
                 "or 16-bit raster, or save it as RGB from any image editor")


@contextmanager
def _open(path: Path) -> Iterator[Image.Image]:
    """Open ``path`` with Pillow; a missing, unidentifiable, truncated or damaged file is an
    InputError, whatever Pillow's decoders raise for it."""
    if path.is_dir():
        raise InputError(path, "is a folder, not an image", "give the image file itself")
    if not path.is_file():
        raise InputError(path, "file does not exist", "check the path")
    try:
        with Image.open(path) as img:
            yield img
    except InputError:
        raise
    except Image.DecompressionBombError as error:
        raise InputError(path, f"is too large to read safely ({error})",
                         "cut the scene into smaller files (e.g. `gdal_retile.py`) or, if you trust "
                         "the file, raise PIL.Image.MAX_IMAGE_PIXELS") from error
    except (UnidentifiedImageError, OSError) as error:
        hint = "re-export or remove it"
        if path.suffix.lower() in {".tif", ".tiff"}:
            hint += f"; if it is a multi-band or 16-bit raster, {_CONVERT_HINT}"
        raise InputError(path, f"cannot be read as an image ({error})", hint) from error
    except Exception as error:  # noqa: BLE001 - damaged headers raise ValueError, SyntaxError, ...
        raise InputError(path, f"cannot be read as an image ({type(error).__name__}: {error})",
                         "re-export or remove it") from error


def _band_count(img: Image.Image) -> int:
    # Pillow reads a 4-band TIFF whose 4th band is not marked as alpha (a typical RGB+NIR
    # GeoTIFF) as plain RGB, silently dropping a band; the TIFF header tells the truth.
    samples_per_pixel = getattr(img, "tag_v2", {}).get(_TIFF_SAMPLES_PER_PIXEL, 0)
    return max(len(img.getbands()), samples_per_pixel)


def _check_rgb(img: Image.Image, path: Path, what: str) -> None:
    """From the header alone: refuse what does not convert to 8-bit RGB without a guess."""
    bands = _band_count(img)
    convertible = img.mode in _EIGHT_BIT_MODES or (img.format == "JPEG" and img.mode in _JPEG_COLOUR_MODES)
    if not convertible or bands > len(img.getbands()):
        raise InputError(path, f"{what} has {bands} band(s) in Pillow mode {img.mode!r}, "
                         "not 8-bit RGB", _CONVERT_HINT)


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation in the header (1: as stored), so that sizes read from the header and
    decoded pixels agree. A PNG's eXIf chunk placed after its pixels is not looked for (Pillow
    would decode the image to find it). A damaged EXIF block leaves the pixels usable, so it
    means "as stored" rather than an unreadable image."""
    if img.format == "PNG" and "exif" not in img.info:
        return 1
    try:
        return int(img.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # noqa: BLE001 - Pillow's EXIF parser raises many kinds on damaged blocks
        return 1


def _displayed(img: Image.Image, orientation: int) -> Image.Image:
    """``img`` (loaded) turned the way its header's EXIF ``orientation`` says it is displayed."""
    return ImageOps.exif_transpose(img) if orientation in _ROTATIONS else img


def _displayed_size(img: Image.Image) -> tuple[int, int]:
    """(width, height) as displayed, from the header alone."""
    width, height = img.size
    return (height, width) if _orientation(img) in _QUARTER_TURNS else (width, height)


def rgb_pixels(img: Image.Image, path: str | Path, what: str = "image") -> np.ndarray:
    """HxWx3 uint8 RGB of an open Pillow image, upright as displayed: the one conversion the
    command line and the web server share. ``path`` names the file (or upload) in the
    InputError raised for a mode that has no 8-bit RGB meaning without a guess (16-bit, float,
    multi-band)."""
    _check_rgb(img, Path(path), what)
    orientation = _orientation(img)
    img.load()  # decode now, so a truncated file is reported as unreadable where it was opened
    img = _displayed(img, orientation)
    return np.asarray(img if img.mode == "RGB" else img.convert("RGB"))


def _decode_rgb(img: Image.Image, path: Path, what: str) -> np.ndarray:
    """read_image's decoding step, after the file opened."""
    return rgb_pixels(img, path, what)


_RASTER_SUFFIXES = {".tif", ".tiff"}
# The experiment's raster settings while the pipeline reads its data (see raster_reading).
_RASTER_SETTINGS: ContextVar = ContextVar("rssqa_raster_settings", default=None)


@contextmanager
def raster_reading(settings) -> Iterator[None]:
    """Inside the block, TIFFs are read through rasterio with ``settings`` (a
    ``rssqa.raster.settings.RasterSettings``: bands, stretch to 8 bits, nodata); nodata pixels are
    filled with the image's mean colour (``rssqa.raster.reader.nodata_to_ignore`` drops them from
    labels)."""
    token = _RASTER_SETTINGS.set(settings)
    try:
        yield
    finally:
        _RASTER_SETTINGS.reset(token)


def _raster_settings_for(path: Path):
    return _RASTER_SETTINGS.get() if path.suffix.lower() in _RASTER_SUFFIXES else None


def read_image(path: str | Path) -> np.ndarray:
    """HxWx3 uint8 RGB pixels of an image file."""
    path = Path(path)
    settings = _raster_settings_for(path)
    if settings is not None:
        from rssqa.raster.reader import read_raster

        return read_raster(path, settings)
    with _open(path) as img:
        return _decode_rgb(img, path, "image")


def ignore_nodata(image_path: str | Path, mask: np.ndarray, ignore_index: int) -> np.ndarray:
    """``mask`` (the whole label mask of ``image_path``) with the image's nodata pixels set to
    ``ignore_index`` when it is a TIFF read inside :func:`raster_reading`; unchanged otherwise."""
    image_path = Path(image_path)
    settings = _raster_settings_for(image_path)
    if settings is None:
        return mask
    from rssqa.raster.reader import nodata_to_ignore

    return nodata_to_ignore(image_path, settings, mask, 0, 0, ignore_index)


def image_size(path: str | Path) -> tuple[int, int]:
    """``(height, width)`` from the file header, without decoding pixels."""
    path = Path(path)
    if _raster_settings_for(path) is not None:
        from rssqa.raster.reader import raster_size

        return raster_size(path)
    with _open(path) as img:
        width, height = _displayed_size(img)
    return height, width


def rgb_image_size(path: str | Path) -> tuple[int, int]:
    """:func:`image_size`, once the header says the file reads as 8-bit RGB (no pixel decoded):
    what a build checks of every image before anything trains."""
    path = Path(path)
    if _raster_settings_for(path) is not None:
        return image_size(path)
    with _open(path) as img:
        _check_rgb(img, path, "image")
        width, height = _displayed_size(img)
    return height, width


def _mask_pixels(img: Image.Image, path: Path) -> MaskPixels:
    """What a mask's encodings need from it: its colours and/or its single band.

    A palette PNG keeps its raw indices as the band (class ids in VOC-style index masks) and is
    expanded to RGB for colour lookup. A multi-band TIFF label gives band 1 as its band, whatever
    the other bands hold; other RGB masks have a band only where their three channels are equal.
    """
    orientation = _orientation(img)
    img.load()  # decode now, inside _open, so a truncated file is reported as unreadable
    img = _displayed(img, orientation)  # a mask lines up with its photo as both are displayed
    raw = np.asarray(img)
    if img.mode == "1":
        raw = raw.astype(np.uint8) * 255
    rgb = np.asarray(img.convert("RGB")) if img.mode in _EIGHT_BIT_MODES else None
    if raw.ndim == 2:
        return MaskPixels(rgb, raw)
    is_tiff = path.suffix.lower() in {".tif", ".tiff"}
    band = raw[..., 0] if is_tiff else (None if rgb is None else grey_band(rgb))
    if img.mode in {"LA", "PA"}:
        band = raw[..., 0]
    return MaskPixels(rgb, band)


def read_mask(path: str | Path, classmap: ClassMap,
              expected_shape: tuple[int, int] | None = None) -> np.ndarray:
    """HxW uint8 class indices of a label mask, in whichever encoding the class map declares.

    Colours are always looked up after converting to RGB: palette PNGs each carry their own
    palette order, so palette indices are meaningless across files as colours (an index encoding
    reads them as class ids instead). ``expected_shape`` is the ``(height, width)`` of the mask's
    image; a mask of another size is not pixel-aligned with it and is refused.
    """
    path = Path(path)
    with _open(path) as img:
        width, height = _displayed_size(img)
        if expected_shape is not None and (height, width) != tuple(expected_shape):
            raise InputError(path, f"mask is {height}x{width} (height x width) but its image is "
                             f"{expected_shape[0]}x{expected_shape[1]}",
                             "labels must be pixel-aligned with their image: re-export the mask "
                             "at the image's size")
        pixels = _mask_pixels(img, path)
    return classmap.encode_pixels(pixels, path=path)
