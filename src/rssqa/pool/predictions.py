"""A pool member that is a folder of someone else's predictions: no model, no training.

Config: ``{name: predictions, kwargs: {label: my_unet, dir: preds/unet, format: index}}``.
Each image's prediction is the file in ``dir`` with the image's file stem:

- ``index``: a single-band PNG/TIFF whose pixel value is the class id (0 .. C-1);
- ``colour``: an RGB PNG/TIFF drawn in the experiment class map's colours (those rssqa's own
  ``<image>_segmentation.png`` uses);
- ``probabilities``: per-class probability maps, a ``.npy`` array laid out ``C x H x W`` (the
  default, ``layout: chw``) or ``H x W x C`` (``layout: hwc``), or a multi-band TIFF (one band per
  class; its band axis is read from the file). Each pixel's probabilities must sum to 1.

Masks carry no confidence: such a member counts as certain of every pixel (see ``rssqa.pool.run``).
A prediction that is missing, of another size than its image, in an unknown colour or value, or
with another number of classes is an ``InputError`` naming the file; the SQED builder skips that
image and goes on with the others.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

from rssqa.cache import fingerprint
from rssqa.data.classmap import ClassMap
from rssqa.data.io import read_mask
from rssqa.errors import InputError
from rssqa.registry import nearest_first
from rssqa.pool.registry import MEMBER_KINDS
from rssqa.pool.member import Segmentation, TileRef, crop_window

FORMATS = ("index", "colour", "probabilities")
LAYOUTS = ("chw", "hwc")
SUFFIXES = {"index": (".png", ".tif", ".tiff"), "colour": (".png", ".tif", ".tiff"),
            "probabilities": (".npy", ".tif", ".tiff")}
# Saved probabilities are often float16 or rounded: allow this much slack in each pixel's sum.
SUM_TOLERANCE = 0.02
_CACHE_IMAGES = 4  # decoded predictions kept: the builder reads an image's tiles in a row


@MEMBER_KINDS.register("predictions")
class PredictionsMember:
    """Saved predictions, found by image stem and cut to each tile's window."""

    kind = "predictions"
    PATH_KWARGS = ("dir",)  # recorded as an absolute path with the pool

    def __init__(self, label: str, dir: str | Path, format: str, classmap: ClassMap,
                 layout: str = "chw"):
        if format not in FORMATS:
            raise InputError(None, f"pool member {label!r}: unknown predictions format {format!r}",
                             f"use one of {', '.join(nearest_first(format, FORMATS))}")
        if layout not in LAYOUTS:
            raise InputError(None, f"pool member {label!r}: unknown layout {layout!r}",
                             f"use one of {', '.join(nearest_first(layout, LAYOUTS))} (axes of "
                             "the .npy arrays)")
        self.directory = Path(dir).expanduser().resolve()
        if not self.directory.is_dir():
            raise InputError(self.directory, f"the predictions folder of pool member {label!r} "
                             "does not exist", "give the folder holding one file per image")
        self.name, self.format, self.layout, self.classmap = label, format, layout, classmap
        self.num_classes = classmap.num_classes
        self._cache: OrderedDict[Path, np.ndarray] = OrderedDict()
        self.meta = {"kind": self.kind, "label": label, "dir": str(self.directory),
                     "format": format, "layout": layout, "num_classes": self.num_classes,
                     "fingerprint": self._fingerprint()}

    def _fingerprint(self) -> str:
        """Changes with the folder's files (names, sizes, modification times) and the settings."""
        files = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                       for p in self.directory.iterdir() if p.is_file())
        return fingerprint({"kind": self.kind, "label": self.name, "format": self.format,
                            "layout": self.layout, "classes": list(self.classmap.names),
                            "colours": list(self.classmap.colours), "files": files})

    def path_for(self, ref: TileRef) -> Path:
        for suffix in SUFFIXES[self.format]:
            path = self.directory / f"{ref.key}{suffix}"
            if path.is_file():
                return path
        raise InputError(self.directory / f"{ref.key}.*", f"no {self.format} prediction of pool "
                         f"member {self.name!r} for image {ref.key!r}",
                         f"save it as {ref.key}{SUFFIXES[self.format][0]} in {self.directory}")

    def check(self, ref: TileRef) -> None:
        self.load(ref)

    def load(self, ref: TileRef) -> np.ndarray:
        """The whole image's prediction, checked: H x W uint8 classes, or H x W x C probabilities."""
        path = self.path_for(ref)
        if path not in self._cache:
            if self.format == "probabilities":
                value = _read_probabilities(path, ref.image_shape, self.num_classes, self.layout)
            else:
                value = self._read_mask(path, ref.image_shape)
            self._cache[path] = value
            while len(self._cache) > _CACHE_IMAGES:
                self._cache.popitem(last=False)
        return self._cache[path]

    def _read_mask(self, path: Path, image_shape: tuple[int, int]) -> np.ndarray:
        names = list(self.classmap.names)
        decoder = (ClassMap(names, encodings=("index",)) if self.format == "index"
                   else ClassMap(names, colours=self.classmap.colours, encodings=("colour",)))
        mask = read_mask(path, decoder, expected_shape=image_shape)
        unclassified = int(np.count_nonzero(mask >= self.num_classes))
        if unclassified:
            raise InputError(path, f"{unclassified} pixel(s) hold the value {decoder.ignore_index}, "
                             f"which names none of the {self.num_classes} classes",
                             "a prediction gives every pixel a class id 0 .. "
                             f"{self.num_classes - 1}")
        return mask

    def segment(self, images: np.ndarray, refs: list[TileRef] | None) -> Segmentation:
        if refs is None or len(refs) != len(images):
            raise ValueError(f"pool member {self.name!r} reads saved predictions: it needs the "
                             "identity (image, window) of every tile")
        tiles = [crop_window(self.load(ref), ref) for ref in refs]
        if self.format != "probabilities":
            return Segmentation(masks=np.stack(tiles).astype(np.uint8))
        probabilities = np.stack(tiles).transpose(0, 3, 1, 2)  # N x C x H x W
        return Segmentation(masks=probabilities.argmax(axis=1).astype(np.uint8),
                            probabilities=np.ascontiguousarray(probabilities, np.float32))


def _read_probabilities(path: Path, image_shape: tuple[int, int], num_classes: int,
                        layout: str) -> np.ndarray:
    """H x W x C float32 probabilities from a .npy array or a multi-band TIFF, checked."""
    if path.suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as error:
            raise InputError(path, f"cannot be read as a numpy array ({error})",
                             "save it with numpy.save") from None
        if array.ndim == 3 and layout == "chw":
            array = np.moveaxis(array, 0, -1)
    else:
        array = _read_tiff_bands(path)
    if array.ndim != 3:
        raise InputError(path, f"holds a {array.ndim}-d array, not per-class probability maps",
                         "save C x H x W (layout: chw) or H x W x C (layout: hwc)")
    height, width, classes = array.shape
    if classes != num_classes:
        raise InputError(path, f"holds {classes} class maps but the experiment has {num_classes} "
                         "classes", "save one probability map per class, in class-map order "
                         "(or set layout: hwc / chw to match the array's axes)")
    if (height, width) != tuple(image_shape):
        raise InputError(path, f"probabilities are {height}x{width} (height x width) but the image "
                         f"is {image_shape[0]}x{image_shape[1]}", "predict at the image's size")
    return _checked_probabilities(path, array)


def _checked_probabilities(path: Path, array: np.ndarray) -> np.ndarray:
    array = np.asarray(array, np.float32)
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1 + SUM_TOLERANCE:
        raise InputError(path, "holds values outside [0, 1] (logits?)",
                         "save softmax probabilities, not logits")
    worst = float(np.abs(array.sum(axis=2) - 1).max())
    if worst > SUM_TOLERANCE:
        raise InputError(path, f"a pixel's class probabilities sum to {1 + worst:.3f} or "
                         f"{1 - worst:.3f}, not 1", "save softmax probabilities over the classes")
    return array


def _read_tiff_bands(path: Path) -> np.ndarray:
    """H x W x C from a multi-band TIFF, whichever axis its bands are stored on."""
    try:
        import tifffile
    except ImportError:
        raise InputError(path, "reading multi-band TIFF probabilities needs the tifffile package",
                         "pip install tifffile, or save the maps as .npy") from None
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            array, axes = series.asarray(), series.axes
    except Exception as error:  # tifffile raises many kinds for a bad file
        raise InputError(path, f"cannot be read as a TIFF ({error})", "re-export it") from None
    if array.ndim == 3 and axes[0] in "SCIQ" and axes.endswith("YX"):
        array = np.moveaxis(array, 0, -1)
    return array
