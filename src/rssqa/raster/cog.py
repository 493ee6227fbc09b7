"""Writing georeferenced outputs as cloud-optimised GeoTIFFs that QGIS opens as they are.

GDAL's COG driver only copies a finished dataset, so an output is first written as an ordinary
tiled GeoTIFF (small maps in memory, the full-resolution mosaic window by window in a temporary
file beside the target) and then copied through the COG driver, which adds the overviews
(MODE for class maps, so a zoomed-out pixel shows its most frequent class; AVERAGE for
continuous maps, so it shows the mean, not one subsampled value) and moves them in front of the
data. The target appears only once complete.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.io import MemoryFile

COG_OPTIONS = {"driver": "COG", "compress": "DEFLATE", "blocksize": 512, "overviews": "AUTO",
               "bigtiff": "IF_SAFER"}
CLASSES, CONTINUOUS = "MODE", "AVERAGE"  # overview resampling by what a map's values are
# Bounds GDAL's block cache while the mosaic is written and copied (bytes).
GDAL_CACHE_BYTES = 256 * 2**20


def raster_profile(base: dict, count: int, dtype: str, nodata, **changes) -> dict:
    """A tiled, compressed GeoTIFF profile with the CRS and transform of ``base``."""
    return {"driver": "GTiff", "width": base["width"], "height": base["height"], "count": count,
            "dtype": dtype, "nodata": nodata, "crs": base.get("crs"), "transform": base["transform"],
            "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "deflate",
            "interleave": "band", **changes}


def _describe(dataset, descriptions: list[str] | None, colormap: dict | None, tags: dict | None,
              units: str | None = None) -> None:
    for band, text in enumerate(descriptions or [], start=1):
        dataset.set_band_description(band, text)
        if units:
            dataset.set_band_unit(band, units)
    if colormap:
        dataset.write_colormap(1, colormap)
    if tags:
        dataset.update_tags(**{k: str(v) for k, v in tags.items()})


def _copy_as_cog(source, target: Path, resampling: str) -> None:
    partial = target.with_name(f".{target.name}.partial")
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
        rasterio.shutil.copy(source, partial, **COG_OPTIONS, resampling=resampling)
    os.replace(partial, target)


def write_cog(target: Path, array: np.ndarray, profile: dict, descriptions: list[str] | None = None,
              colormap: dict | None = None, tags: dict | None = None, units: str | None = None,
              resampling: str = CLASSES) -> Path:
    """Write a small bands x height x width ``array`` (a tile-resolution map) as a COG, every
    band in ``units``, overviews resampled by ``resampling`` (CLASSES or CONTINUOUS)."""
    with MemoryFile() as memory:
        with memory.open(**profile) as dataset:
            dataset.write(array)
            _describe(dataset, descriptions, colormap, tags, units)
        with memory.open() as dataset:
            _copy_as_cog(dataset, Path(target), resampling)
    return Path(target)


@contextmanager
def streamed_cog(target: Path, profile: dict, descriptions: list[str] | None = None,
                 colormap: dict | None = None, tags: dict | None = None,
                 resampling: str = CLASSES) -> Iterator[object]:
    """An open dataset to write window by window; becomes the COG ``target`` on leaving the
    block without error (nothing is left behind otherwise)."""
    target = Path(target)
    staging = target.with_name(f".{target.name}.staging.tif")
    try:
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
            with rasterio.open(staging, "w", **profile) as dataset:
                _describe(dataset, descriptions, colormap, tags)
                yield dataset
        _copy_as_cog(staging, target, resampling)
    finally:
        staging.unlink(missing_ok=True)
