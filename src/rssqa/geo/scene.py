"""One large scene, end to end: assess its tiles (resumable), then write its maps and summary.

Files per scene ``<stem>``: ``_quality.tif`` (predicted accuracy per tile, a band per method),
``_recommended.tif`` (the recommended method per tile), ``_interval_width.tif`` (with a conformal
calibration), ``_segmentation.tif`` (the blended best-of segmentation at full resolution), each
with the ``.qml`` style QGIS opens it with (class maps also with GDAL's category names in
``.tif.aux.xml``), ``_cells.gpkg`` (one polygon per assessed cell with every method's predicted
accuracy and interval, the recommendation and whether the default was kept), ``_item.json`` (a
STAC item with every output as an asset) and ``_summary.json``. Work in progress lives in
``.rssqa-parts/<stem>/`` and is removed once the scene is written (a damaged one is redone); a scene whose summary matches the current run is
not redone. A scene without a valid pixel writes nothing: its reason is its result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from rssqa.cache import fingerprint, read_record
from rssqa.errors import InputError
from rssqa.raster.blend import CONFIDENCE_POWER
from rssqa.raster.grid import TileGrid, default_overlap
from rssqa.geo.outputs import (SIDECARS, SUFFIXES, TileMaps, class_categories, method_categories,
                               write_mosaic_and_collect, write_tile_maps)
from rssqa.geo.stac import write_scene_item
from rssqa.geo.cells import partial_path, write_cells
from rssqa.raster.styles import aux_path, style_path
from rssqa.raster.reader import NO_VALID_PIXEL, NO_VALID_PIXEL_HINT, RasterScene
from rssqa.raster.settings import RasterSettings
from rssqa.geo.tiles import PARTS_FORMAT, BatchStore, assess_tiles, save_assessed
from rssqa.progress import progress_bar
from rssqa.recommend import ImageAssessment, Recommender
from rssqa.assess.conformal import Intervals, no_clear_winner
from rssqa.files import atomic_write_text
from rssqa.finished_images import PARTS_DIR

# Besides the maps: the cells as vector features, and the STAC item that lists every output.
EXTRAS = {"cells": "_cells.gpkg", "stac": "_item.json"}
SCENE_SUFFIXES = (".tif", ".tiff")
SUMMARY_SUFFIX = "_summary.json"


@dataclass(frozen=True)
class SceneJob:
    """What to do with one scene: where it is, the output stem, and the grid's tile overlap
    (None: a quarter of the tile, rounded down to an even number)."""

    path: Path
    out_dir: Path
    key: str
    overlap: int | None = None

    def summary_path(self) -> Path:
        return self.out_dir / f"{self.key}{SUMMARY_SUFFIX}"

    def output_path(self, kind: str) -> Path:
        """Where the output ``kind`` (a key of outputs.SUFFIXES or SIDECARS, or "summary") is
        written."""
        if kind == "summary":
            return self.summary_path()
        suffix = {**SUFFIXES, **SIDECARS, **EXTRAS}[kind]
        return self.out_dir / f"{self.key}{suffix}"

    def output_paths(self) -> list[Path]:
        """Every file the scene may leave in ``out_dir`` (the interval map and its style only with
        a conformal calibration), so that a caller can check them before any work."""
        return [self.output_path(kind) for kind in (*SUFFIXES, *SIDECARS, *EXTRAS, "summary")]

    def work_paths(self) -> list[Path]:
        """What exists only while the scene runs: its resume folder and the outputs' staging
        files (``.<name>.staging.tif``, ``.<name>.partial``), all removed once it is written."""
        staged = [path.with_name(f".{path.name}{tail}") for path in self.output_paths()
                  if path.suffix == ".tif" for tail in (".staging.tif", ".partial")]
        return [self.out_dir / PARTS_DIR / self.key, *staged, partial_path(self.output_path("cells"))]


def recommend_scene(job: SceneJob, recommender: Recommender, settings: RasterSettings,
                    intervals: Intervals | None = None, progress=None, overwrite: bool = False,
                    warn: Callable[[str], None] = lambda message: None,
                    assessed: ImageAssessment | None = None) -> dict:
    """Assess ``job``'s scene and write its files; returns the summary (also written as JSON).
    ``progress``: a rich Progress to show the scene's tiles on (None: silent); ``warn``: told
    of what was recovered on the way (a damaged resume file); ``assessed``: this scene's pixels
    already assessed as an image with ``tile_picks``, used instead of assessing them again where
    that gives the same tiles (same grid, no nodata pixel). A scene without a valid pixel
    writes nothing and raises InputError: empty maps would read as results."""
    job.out_dir.mkdir(parents=True, exist_ok=True)
    with RasterScene(job.path, settings) as scene:
        overlap = default_overlap(recommender.tile_size) if job.overlap is None else job.overlap
        grid = TileGrid(*scene.shape, recommender.tile_size, overlap)
        key = run_fingerprint(job, scene, grid, recommender)
        done = _finished_summary(job, key)
        if done is not None and not overwrite:
            return done
        store = BatchStore(job.out_dir / PARTS_DIR / job.key, key)
        if assessed is not None and _same_tiles(assessed, scene, grid):
            save_assessed(store, grid, recommender.batch_size, assessed)
        with nullcontext(progress) if progress is not None else progress_bar(False) as bars:
            task = bars.add_task(f"{job.key}: tiles", total=len(grid))
            with_data = assess_tiles(scene, grid, recommender, store, job.key,
                                     lambda n: bars.advance(task, n), warn)
            bars.update(task, visible=False)
        if not with_data:
            store.remove()
            raise InputError(job.path, NO_VALID_PIXEL, NO_VALID_PIXEL_HINT)
        summary = _write_outputs(job, scene, grid, recommender, intervals, store, key)
    store.remove()
    return summary


def _same_tiles(assessed: ImageAssessment, scene: RasterScene, grid: TileGrid) -> bool:
    """Whether the image assessment holds exactly the tiles the scene would assess: its picks
    kept, on this grid (not mirror-padded), and no nodata pixel, so that every cell is assessed
    and no tile was filled differently."""
    if assessed.tile_picks is None or assessed.grid != grid:
        return False
    return bool(scene.valid(Window(0, 0, grid.width, grid.height)).all())


def _write_outputs(job: SceneJob, scene: RasterScene, grid: TileGrid, recommender: Recommender,
                   intervals: Intervals | None, store: BatchStore, key: str) -> dict:
    """The maps, the segmentation and, last, the summary that marks the scene finished."""
    segmentation = job.output_path("segmentation")
    maps = write_mosaic_and_collect(scene, grid, store, recommender.batch_size, recommender.methods,
                                    recommender.classmap, segmentation)
    files = write_tile_maps(maps, grid, scene, recommender.methods, intervals, job.out_dir / job.key,
                            recommender.target)
    files.update(segmentation=segmentation, segmentation_style=style_path(segmentation),
                 segmentation_categories=aux_path(segmentation), summary=job.summary_path())
    files["cells"] = write_cells(job.output_path("cells"), grid, scene.dataset.transform,
                                 scene.dataset.crs, maps.scores, maps.picks, recommender.methods,
                                 intervals, recommender.assessor.default_method)
    files["stac"] = write_scene_item(job.output_path("stac"), job.key, scene.dataset, job.path, files,
                                     class_categories(recommender.classmap),
                                     method_categories(recommender.methods), recommender.target)
    summary = scene_summary(job, scene, grid, recommender, maps, intervals, files, key)
    atomic_write_text(job.summary_path(), json.dumps(summary, indent=2))
    return summary


def run_fingerprint(job: SceneJob, scene: RasterScene, grid: TileGrid,
                    recommender: Recommender) -> str:
    """Changes whenever the scene file, its reading, the grid, the pool, the assessor (trained
    anew too), the intervals' level, the resume files' layout or the seams' blending does."""
    stat = job.path.stat()
    return fingerprint({
        "scene": [job.path.name, stat.st_size, stat.st_mtime_ns], "settings": scene.settings.to_dict(),
        "grid": [grid.tile, grid.overlap], **recommender.identity(),
        "parts": PARTS_FORMAT, "blend": {"confidence_power": CONFIDENCE_POWER}})


def _finished_summary(job: SceneJob, key: str) -> dict | None:
    """The summary of an earlier run of this very work whose files are all there; None when it
    is absent, damaged, another run's, or has no assessed tile (an earlier version wrote such
    summaries): then the scene is done again."""
    summary = read_record(job.summary_path())
    if summary is None or summary.get("fingerprint") != key:
        return None
    files, tiles = summary.get("files"), summary.get("tiles")
    if not isinstance(files, dict) or not isinstance(tiles, dict) or not tiles.get("assessed"):
        return None
    complete = all(isinstance(name, str) and (job.out_dir / name).is_file() for name in files.values())
    return summary if complete else None


def scene_summary(job: SceneJob, scene: RasterScene, grid: TileGrid, recommender: Recommender,
                  maps: TileMaps, intervals: Intervals | None, files: dict[str, Path], key: str) -> dict:
    """What a person (or a script) wants to know about the scene without opening the maps."""
    methods, assessed = recommender.methods, maps.assessed
    scores = maps.scores[assessed]
    picks = maps.picks[assessed]
    mean = scores.mean(axis=0) if len(scores) else np.full(len(methods), np.nan)
    scene_pick = recommender.assessor.selection_scores(scores).mean(axis=0) if len(scores) else None
    dataset = scene.dataset
    return {
        "scene": job.path.name, "fingerprint": key, "height": grid.height, "width": grid.width,
        "crs": None if dataset.crs is None else dataset.crs.to_string(),
        "transform": list(dataset.transform)[:6],
        "tiles": {"size": grid.tile, "overlap": grid.overlap, "cell": grid.step,
                  "total": len(grid), "assessed": int(assessed.sum()),
                  "without_data": int(len(grid) - assessed.sum())},
        "raster": scene.settings.to_dict(), "bands_read": scene.bands,
        "stretch": _stretch_record(scene),
        "methods": methods,
        "accuracy": recommender.target,  # what every predicted accuracy here measures
        "predicted_accuracy": {m: _number(v) for m, v in zip(methods, mean)},
        "recommended": None if scene_pick is None else methods[int(np.argmax(scene_pick))],
        "default": recommender.assessor.default_method,
        "tiles_recommending": {m: int((picks == i).sum()) for i, m in enumerate(methods)},
        "best_of_predicted_accuracy": _number(scores[np.arange(len(picks)), picks].mean())
        if len(picks) else None,
        "interval": None if intervals is None else _interval_record(intervals, scores),
        "files": {kind: Path(path).name for kind, path in files.items()},
    }


def _interval_record(intervals: Intervals, scores: np.ndarray) -> dict:
    """The level; per method, the half-width's mean and 10th-90th percentiles over the assessed
    tiles (one value where the calibration is per method); and the tiles whose best two methods
    the intervals cannot tell apart (the cells' ``no_clear_winner``)."""
    half = intervals.half_widths(scores) if len(scores) else np.full((1, len(intervals.methods)), np.nan)
    unclear = (no_clear_winner(scores, intervals.bounds(scores)[0])
               if len(scores) and len(intervals.methods) > 1 else np.zeros(0, bool))
    return {"level": intervals.level, "per_tile": intervals.per_tile,
            "tiles_without_clear_winner": int(unclear.sum()),
            "half_widths": {m: {"mean": _number(half[:, j].mean()),
                                "p10": _number(np.percentile(half[:, j], 10)),
                                "p90": _number(np.percentile(half[:, j], 90))}
                            for j, m in enumerate(intervals.methods)}}


def _stretch_record(scene: RasterScene) -> dict | None:
    low, high = scene.stretch
    return None if low is None else {"low": low.tolist(), "high": high.tolist()}


def _number(value) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6)
