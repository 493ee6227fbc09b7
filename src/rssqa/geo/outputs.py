"""Phase two of a scene: the saved batches become georeferenced maps.

One pass over the batches, in grid order, fills the tile-resolution maps (each method's
predicted accuracy, the recommended method, the conformal interval width) and streams each
tile's recommended mask, with its confidence, into the blended best-of segmentation, written at
the scene's own resolution, CRS and transform.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from rasterio.windows import Window

from rssqa.config import target_name
from rssqa.data.classmap import ClassMap
from rssqa.raster.cog import CONTINUOUS, raster_profile, streamed_cog, write_cog
from rssqa.raster.styles import Category, write_categorical_style, write_ramp_style
from rssqa.raster.grid import TileGrid
from rssqa.raster.blend import NODATA_LABEL, SeamBlender
from rssqa.raster.reader import RasterScene
from rssqa.geo.tiles import BatchStore, batch_starts
from rssqa.assess.conformal import Intervals

SUFFIXES = {"quality": "_quality.tif", "recommended": "_recommended.tif",
            "interval": "_interval_width.tif", "segmentation": "_segmentation.tif"}
# Beside each map: the QGIS style it opens with; beside each class map: GDAL's category names.
SIDECARS = {"quality_style": "_quality.qml", "recommended_style": "_recommended.qml",
            "recommended_categories": "_recommended.tif.aux.xml",
            "interval_style": "_interval_width.qml", "segmentation_style": "_segmentation.qml",
            "segmentation_categories": "_segmentation.tif.aux.xml"}
ACCURACY_UNIT = "fraction"  # predicted accuracy and interval widths run from 0 to 1


@dataclass
class TileMaps:
    """rows x cols x M predicted accuracy (NaN: no tile assessed) and the recommended method's
    index per cell (-1: none)."""

    scores: np.ndarray
    picks: np.ndarray

    @classmethod
    def empty(cls, grid: TileGrid, methods: int) -> TileMaps:
        return cls(np.full((grid.rows, grid.cols, methods), np.nan, np.float32),
                   np.full((grid.rows, grid.cols), -1, np.int16))

    @property
    def assessed(self) -> np.ndarray:
        return self.picks >= 0


def write_mosaic_and_collect(scene: RasterScene, grid: TileGrid, store: BatchStore, batch_size: int,
                             methods: list[str], classmap: ClassMap, target: Path) -> TileMaps:
    """Write the blended best-of segmentation to ``target``; return the tile maps on the way."""
    maps, blender = TileMaps.empty(grid, len(methods)), SeamBlender(grid, classmap.num_classes)
    profile = raster_profile(scene.profile, 1, "uint8", NODATA_LABEL)
    tags = {"rssqa": "best-of segmentation: each tile by its recommended method, seams blended "
                     "by the tiles' confidence",
            "classes": ",".join(classmap.names)}
    with streamed_cog(target, profile, ["class"], class_colours(classmap), tags) as dataset:
        def flush_until(row: int) -> None:
            while blender.row < row:
                first, labels = blender.finish_row()
                _write_labels(dataset, scene, first, labels)

        for start in batch_starts(grid, batch_size):
            batch = store.load(start)
            for i, number in enumerate(batch.indices):
                row, col = grid.position(int(number))
                flush_until(row)
                maps.scores[row, col], maps.picks[row, col] = batch.scores[i], batch.picks[i]
                blender.add(col, batch.masks[i], batch.confidence[i])
        flush_until(grid.rows)
    write_categorical_style(target, class_categories(classmap))
    return maps


def _write_labels(dataset, scene: RasterScene, first: int, labels: np.ndarray) -> None:
    if not labels.size:
        return
    window = Window(0, first, labels.shape[1], labels.shape[0])
    labels = np.where(scene.valid(window), labels, NODATA_LABEL).astype(np.uint8)
    dataset.write(labels[None], window=window)


def write_tile_maps(maps: TileMaps, grid: TileGrid, scene: RasterScene, methods: list[str],
                    intervals: Intervals | None, stem: Path, target: str = "oa") -> dict[str, Path]:
    """The quality map, the recommended-method map and, with a calibration, the interval widths,
    one pixel per grid cell, each with its style (and the method map with its category names);
    returns kind -> path. The accuracy maps name the experiment's ``target`` (tag ``accuracy``,
    their descriptions and legends), so a map of road IoU never reads as overall accuracy."""
    base = {"width": grid.cols, "height": grid.rows, "crs": scene.profile.get("crs"),
            "transform": grid.cell_transform(scene.dataset.transform)}
    cell = {"cell_pixels": grid.step, "tile_pixels": grid.tile}
    accuracy = f"predicted {target_name(target)}"
    quality = write_cog(
        Path(f"{stem}{SUFFIXES['quality']}"), maps.scores.transpose(2, 0, 1),
        raster_profile(base, len(methods), "float32", float("nan")), methods,
        tags={"rssqa": f"{accuracy} per tile, one band per method", "accuracy": target, **cell},
        units=ACCURACY_UNIT, resampling=CONTINUOUS)
    files = {"quality": quality, "quality_style": write_ramp_style(
        quality, ramp_stops("viridis"), accuracy)[0]}
    picks = np.where(maps.assessed, maps.picks, NODATA_LABEL).astype(np.uint8)
    recommended = write_cog(
        Path(f"{stem}{SUFFIXES['recommended']}"), picks[None], raster_profile(base, 1, "uint8", NODATA_LABEL),
        ["recommended method"], method_colours(len(methods)),
        {"rssqa": "recommended method per tile (value = index in methods)",
         "methods": ",".join(methods), **cell})
    files["recommended"] = recommended
    files["recommended_style"], files["recommended_categories"] = write_categorical_style(
        recommended, method_categories(methods))
    if intervals is not None:
        files["interval"] = write_cog(
            Path(f"{stem}{SUFFIXES['interval']}"), interval_widths(maps.scores, methods, intervals),
            raster_profile(base, len(methods), "float32", float("nan")), methods,
            tags={"rssqa": f"width of the {intervals.level:.0%} conformal interval on "
                           f"{accuracy}, clipped to [0, 1], "
                           + ("per tile" if intervals.per_tile else "one per method"),
                  "accuracy": target, **cell},
            units=ACCURACY_UNIT, resampling=CONTINUOUS)
        files["interval_style"] = write_ramp_style(files["interval"], ramp_stops("magma_r"),
                                                   "interval width")[0]
    return files


def ramp_stops(name: str, count: int = 5) -> list[tuple[float, tuple[int, int, int]]]:
    """``count`` evenly spaced stops of a matplotlib colour map over 0..1."""
    palette = colormaps[name]
    return [(float(v), tuple(int(round(255 * c)) for c in palette(float(v))[:3]))
            for v in np.linspace(0.0, 1.0, count)]


def class_categories(classmap: ClassMap) -> list[Category]:
    colours = class_colours(classmap)
    return [Category(i, name, colours[i][:3]) for i, name in enumerate(classmap.names)]


def method_categories(methods: list[str]) -> list[Category]:
    colours = method_colours(len(methods))
    return [Category(i, name, colours[i][:3]) for i, name in enumerate(methods)]


def interval_widths(scores: np.ndarray, methods: list[str], intervals: Intervals) -> np.ndarray:
    """M x rows x cols width of each method's interval around its score (NaN where unknown)."""
    rows, cols, _ = scores.shape
    low, high = intervals.bounds(scores.reshape(rows * cols, len(methods)))
    return (high - low).reshape(rows, cols, len(methods)).astype(np.float32).transpose(2, 0, 1)


def class_colours(classmap: ClassMap) -> dict[int, tuple[int, int, int, int]]:
    """The class map's colours as a GeoTIFF colour table (no data transparent)."""
    rgb = classmap.decode(np.arange(classmap.num_classes, dtype=np.uint8)[None])[0]
    table = {i: (*map(int, colour), 255) for i, colour in enumerate(rgb)}
    return {**table, NODATA_LABEL: (0, 0, 0, 0)}


def method_colours(count: int) -> dict[int, tuple[int, int, int, int]]:
    palette = colormaps["tab10"]
    table = {i: tuple(int(round(255 * c)) for c in palette(i % 10)) for i in range(count)}
    return {**table, NODATA_LABEL: (0, 0, 0, 0)}
