"""A raster scene read window by window through rasterio, as the models' 8-bit RGB.

Only the window asked for is decoded, so a scene of any size costs one tile of memory. Windows
may reach past the scene's edges (tiles overlap the border by half their overlap): what lies
outside, like the scene's own nodata, comes back as invalid pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from rssqa.errors import InputError
from rssqa.raster.settings import RasterSettings

# The stretch's percentiles come from a decimated read of at most this many pixels a side:
# one pass over an overview-sized sample, not the scene.
STRETCH_SAMPLE_SIDE = 1024
NO_VALID_PIXEL = "no valid pixel: nothing to assess"
NO_VALID_PIXEL_HINT = "every pixel is nodata: check the file, or the experiment's raster.nodata"


class RasterScene:
    """An open raster with the experiment's band choice and stretch applied on every read."""

    def __init__(self, path: str | Path, settings: RasterSettings = RasterSettings(),
                 dataset: rasterio.DatasetReader | None = None):
        """``dataset``: the raster already open (e.g. an upload held in a rasterio MemoryFile),
        which the scene then owns and closes; ``path`` only names it in messages."""
        self.path, self.settings = Path(path), settings
        self.dataset = self._open() if dataset is None else dataset
        try:
            self.bands = settings.band_indexes(self.dataset.count, self.path)
        except InputError:
            self.dataset.close()
            raise
        self._stretch_values: tuple[np.ndarray | None, np.ndarray | None] | None = None

    def _open(self) -> rasterio.DatasetReader:
        if not self.path.is_file():
            raise InputError(self.path, "file does not exist", "check the path")
        try:
            return rasterio.open(self.path)
        except RasterioIOError as error:
            raise InputError(self.path, f"cannot be read as a raster ({error})",
                             "re-export it as GeoTIFF, PNG or JPEG") from error

    def __enter__(self) -> RasterScene:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.dataset.close()

    @property
    def shape(self) -> tuple[int, int]:
        return self.dataset.height, self.dataset.width

    @property
    def profile(self) -> dict:
        return dict(self.dataset.profile)

    @property
    def stretch(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Per-band (low, high) raw values mapped to 0 and 255; (None, None) for 8-bit data
        read as it is. Computed on first use (percentiles read a decimated copy of the scene)."""
        if self._stretch_values is None:
            self._stretch_values = self._stretch()
        return self._stretch_values

    def read(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """(H x W x 3 uint8 pixels, H x W bool valid) of ``window``; invalid pixels hold the
        mean colour of the valid ones (see :func:`fill_invalid`)."""
        return fill_invalid(*self.read_bands(window))

    def read_bands(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """(3 x H x W uint8 pixels as stored, stretched; H x W bool valid) of ``window``."""
        raw, valid = self._read_raw(window)
        return self._to_uint8(raw), valid

    def valid(self, window: Window) -> np.ndarray:
        """H x W bool: which pixels of ``window`` hold data (False outside the scene)."""
        return self._read_raw(window)[1]

    def _read_raw(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """Raw values and validity of ``window``; the part outside the scene is read as
        invalid without asking GDAL for it (a boundless read goes through a slower VRT)."""
        height, width = self.shape
        x0, y0 = int(window.col_off), int(window.row_off)
        w, h = int(window.width), int(window.height)
        left, top = max(0, x0), max(0, y0)
        right, bottom = min(width, x0 + w), min(height, y0 + h)
        raw = np.zeros((len(self.bands), h, w), self.dataset.dtypes[self.bands[0] - 1])
        valid = np.zeros((h, w), bool)
        if right > left and bottom > top:
            inner = Window(left, top, right - left, bottom - top)
            try:
                data = self.dataset.read(self.bands, window=inner, masked=True)
            except RasterioIOError as error:  # a damaged block, a truncated file
                raise InputError(self.path, f"cannot be read at rows {top}..{bottom}, columns "
                                 f"{left}..{right} ({error})", "re-export or repair the file") from error
            inside = (slice(top - y0, bottom - y0), slice(left - x0, right - x0))
            raw[(slice(None), *inside)] = np.ma.getdata(data)
            valid[inside] = self._valid(data)
        return raw, valid

    def _valid(self, data: np.ma.MaskedArray) -> np.ndarray:
        # GDAL's convention for a dataset mask: a pixel holds data if any band does.
        masked = np.ma.getmaskarray(data)
        if self.settings.nodata is not None:
            masked = masked | (np.ma.getdata(data) == self.settings.nodata)
        return ~masked.all(axis=0)

    def _to_uint8(self, raw: np.ndarray) -> np.ndarray:
        low, high = self.stretch
        if low is None:
            return raw.astype(np.uint8)
        low, high = low[:, None, None], high[:, None, None]
        scaled = (raw.astype(np.float32) - low) * (255.0 / (high - low))
        return np.clip(np.round(scaled), 0, 255).astype(np.uint8)

    def _stretch(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Per-band (low, high) of the stretch; (None, None) for 8-bit data without one."""
        scale = self.settings.scale
        if scale is None:
            kinds = set(self.dataset.dtypes[b - 1] for b in self.bands)
            if kinds != {"uint8"}:
                raise InputError(self.path, f"holds {'/'.join(sorted(kinds))} values, not 8-bit",
                                 "set the experiment's raster.scale, e.g. {percentiles: [2, 98]} or "
                                 "{min: 0, max: 3000}, so that training and inference stretch alike")
            return None, None
        if scale.percentiles is None:
            return _per_band(scale.low, len(self.bands)), _per_band(scale.high, len(self.bands))
        return self._percentiles(*scale.percentiles)

    def _percentiles(self, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
        height, width = self.shape
        factor = max(1, int(np.ceil(max(height, width) / STRETCH_SAMPLE_SIDE)))
        out_shape = (len(self.bands), max(1, height // factor), max(1, width // factor))
        sample = self.dataset.read(self.bands, out_shape=out_shape, masked=True,
                                   resampling=Resampling.nearest)
        valid = self._valid(sample)
        if not valid.any():
            raise InputError(self.path, NO_VALID_PIXEL, NO_VALID_PIXEL_HINT)
        values = np.ma.getdata(sample)[:, valid].astype(np.float64)
        lows, highs = np.percentile(values, [low, high], axis=1)
        return lows, np.maximum(highs, lows + 1e-6)  # a flat band maps to 0, not a division by 0


def _per_band(values: tuple[float, ...], count: int) -> np.ndarray:
    if len(values) not in (1, count):
        raise InputError(None, f"raster.scale gives {len(values)} values for {count} bands",
                         "give one value for all bands, or one per band in raster.bands order")
    return np.broadcast_to(np.asarray(values, np.float64), (count,)).copy()


def fill_invalid(pixels: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H x W x 3 pixels, valid) from 3 x H x W ``pixels``: invalid ones take the mean colour of
    the valid ones, so the models see no artificial edge where the data stops."""
    pixels = pixels.copy()
    if not valid.all():
        fill = pixels[:, valid].mean(axis=1) if valid.any() else np.zeros(3)
        pixels[:, ~valid] = np.round(fill).astype(np.uint8)[:, None]
    return np.ascontiguousarray(pixels.transpose(1, 2, 0)), valid


def read_raster(path: str | Path, settings: RasterSettings) -> np.ndarray:
    """The whole raster as H x W x 3 uint8 (training images; scenes are read by window)."""
    with RasterScene(path, settings) as scene:
        height, width = scene.shape
        return scene.read(Window(0, 0, width, height))[0]


def raster_size(path: str | Path) -> tuple[int, int]:
    """(height, width) from the raster's header."""
    with RasterScene(path, RasterSettings(bands=(1,))) as scene:
        return scene.shape


def nodata_to_ignore(path: str | Path, settings: RasterSettings, mask: np.ndarray, x: int, y: int,
                     ignore_index: int) -> np.ndarray:
    """``mask`` (a label window at (x, y) of the raster ``path``) with the raster's nodata pixels
    set to ``ignore_index``, so no accuracy is ever measured on them."""
    with RasterScene(path, settings) as scene:
        valid = scene.valid(Window(x, y, mask.shape[1], mask.shape[0]))
    return np.where(valid, mask, ignore_index).astype(mask.dtype)
