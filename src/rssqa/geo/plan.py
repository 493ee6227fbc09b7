"""What a batch of scenes will cost, known from the files' headers before any tile is read.

A few kilobytes of TIFF can declare 100000 x 100000 pixels (sparse or highly compressed), and
every tile of such a scene is read, run through every network and saved: hours of work and
gigabytes of resume files from a file that looked harmless. So each scene's size is read from
its header (rasterio opens lazily) and checked against a pixel limit the user can raise, and the
work ahead is stated in one line before it starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from rssqa.errors import InputError
from rssqa.raster.grid import TileGrid
from rssqa.raster.reader import raster_size
from rssqa.geo.scene import SceneJob
from rssqa.raster.grid import default_overlap

MAX_SCENE_PIXELS = 20000 * 20000  # default limit on a scene's width x height (--max-pixels)
# Measured: one 256 x 256 tile through one network (FPN on EfficientNet-Lite0) on one CPU core
# takes about 0.08 s; the semantic encoder is one more network per tile. Cost scales with the
# tile's area. A stated assumption: a GPU or a larger model changes it tenfold either way.
SECONDS_PER_TILE_AND_NETWORK = 0.1
REFERENCE_TILE = 256


@dataclass(frozen=True)
class ScenePlan:
    """A scene accepted for work: its job and the tile grid it will be assessed on."""

    job: SceneJob
    grid: TileGrid


def plan_scenes(jobs: list[SceneJob], tile_size: int,
                max_pixels: int = MAX_SCENE_PIXELS) -> tuple[list[ScenePlan], dict[SceneJob, str]]:
    """(accepted scenes, job -> one-line reason for each refused one): a scene whose header
    cannot be read, or whose width x height exceeds ``max_pixels``, is refused before any work."""
    accepted, refused = [], {}
    for job in jobs:
        try:
            height, width = raster_size(job.path)
            check_scene_size(job, height, width, max_pixels)
        except InputError as error:
            refused[job] = str(error)
            continue
        overlap = default_overlap(tile_size) if job.overlap is None else job.overlap
        accepted.append(ScenePlan(job, TileGrid(height, width, tile_size, overlap)))
    return accepted, refused


def check_scene_size(job: SceneJob, height: int, width: int, max_pixels: int) -> None:
    if height * width > max_pixels:
        raise InputError(job.path, f"is {width:,} x {height:,} = {height * width:,} pixels, over the "
                         f"limit of {max_pixels:,} (--max-pixels)",
                         f"pass --max-pixels {height * width} to process it anyway (see the plan "
                         "printed for its tiles, time and disk), or cut it into smaller scenes")


def plan_text(plans: list[ScenePlan], methods: int, processes: int | None) -> str:
    """One line about ``plans`` (at least one): scenes, tiles, an estimated time at
    SECONDS_PER_TILE_AND_NETWORK on ``processes`` local processes (None: a cluster of unknown
    size, so CPU time is given) and the disk the resume files and outputs may take (upper
    bounds: tiles without data cost less)."""
    tiles, tile = sum(len(plan.grid) for plan in plans), plans[0].grid.tile
    per_tile = (methods + 1) * SECONDS_PER_TILE_AND_NETWORK * (tile / REFERENCE_TILE) ** 2
    if processes is None:
        time, at_once = f"{_duration(tiles * per_tile)} of CPU time, shared by the cluster's workers", len(plans)
    else:  # the scenes share the processes; no process splits a scene
        wall = max(tiles / processes, max(len(plan.grid) for plan in plans)) * per_tile
        time, at_once = f"{_duration(wall)} on {processes} process(es)", processes
    parts = sum(sorted((parts_bytes(plan.grid) for plan in plans), reverse=True)[:at_once])
    outputs = sum(output_bytes(plan.grid, methods) for plan in plans)
    return (f"plan: {len(plans)} scene(s), {tiles:,} tiles of {tile} px, each through {methods} "
            f"method(s) and the encoder: about {time} (at an assumed {SECONDS_PER_TILE_AND_NETWORK} s "
            f"per {REFERENCE_TILE}-px tile and network on a CPU core); up to {_size(parts)} of resume "
            f"files at a time and {_size(outputs)} of outputs")


def parts_bytes(grid: TileGrid) -> int:
    """The most a scene's resume files hold: per tile pixel a mask byte and a confidence byte
    (the blend's weight), scores aside."""
    return 2 * len(grid) * grid.tile * grid.tile


def output_bytes(grid: TileGrid, methods: int) -> int:
    """The most a scene's outputs take before compression: the segmentation (a byte per pixel,
    a third more for its overviews) and the per-tile maps (two float maps per method)."""
    return grid.height * grid.width * 4 // 3 + len(grid) * (1 + 8 * methods)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"
