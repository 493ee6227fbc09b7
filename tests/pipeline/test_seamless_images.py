"""Images are recommended on the scenes' grid: tile overlaps blended, no block edges at seams."""

from __future__ import annotations

import numpy as np
import pytest

from rssqa.experiment import open_experiment
from rssqa.raster.grid import TileGrid, image_grid
from rssqa.recommend import Recommender
from tests.conftest import CLASSES, trained_tiny_experiment


@pytest.fixture(scope="module")
def recommender(tmp_path_factory):
    return Recommender.of(open_experiment(trained_tiny_experiment(tmp_path_factory.mktemp("seams")), "prior"))


BLOCK = 11  # px: the image's class blocks, a size unrelated to the tiles'


def blocky_image(height: int, width: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(image, true classes): the tiny data's class colours in blocks, with noise."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, len(CLASSES), (height // BLOCK + 1, width // BLOCK + 1))
    truth = blocks.repeat(BLOCK, 0).repeat(BLOCK, 1)[:height, :width]
    rgb = np.array([c[2] for c in CLASSES], float)[truth]
    return np.clip(rgb + rng.normal(0, 25, rgb.shape), 0, 255).astype(np.uint8), truth


def spurious_change_rate(labels: np.ndarray, truth: np.ndarray, axis: int) -> np.ndarray:
    """Per border between neighbouring rows (axis 0) or columns (axis 1): among the pixel pairs
    across it whose true class is the same for 3 px on both sides, the share whose predicted
    class differs (the mean absolute difference of the one-hot class maps, halved). A block edge
    left by pasting tiles shows as a peak of this rate at the tile's border."""
    changed = np.diff(labels.astype(int), axis=axis) != 0
    steady = np.ones_like(changed)
    for shift in range(-3, 4):  # the truth does not change near the border
        steady &= np.roll(np.diff(truth, axis=axis) == 0, shift, axis=axis)
    return (changed & steady).sum(axis=1 - axis) / np.maximum(1, steady.sum(axis=1 - axis))


def boundary_lines(grid: TileGrid, axis: int) -> dict[str, list[int]]:
    """The tile boundaries across ``axis`` (0: between rows), as lines b between pixels b - 1 and
    b, by kind: where a tile's window starts or ends (where pasting tiles left block edges) and
    the cell borders (where the blend hands over from one tile's labels to the next's: where
    labels blended by the ramp alone switched)."""
    length, cells = (grid.height, grid.rows) if axis == 0 else (grid.width, grid.cols)
    origins = {origin[axis] for origin in grid.tile_origins()}
    inner = set(range(1, length))
    return {"window edges": sorted((origins | {o + grid.tile for o in origins}) & inner),
            "cell borders": sorted({index * grid.step for index in range(1, cells)} & inner)}


def seam_rates(labels: np.ndarray, truth: np.ndarray,
               grid: TileGrid) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(axis, kind of boundary) -> (share of steady pixel pairs changing class across those
    boundaries, the same inside tiles (off every boundary), the bound: the inside share plus two
    standard errors of the boundaries' mean)."""
    measured = {}
    for axis, name in ((0, "rows"), (1, "columns")):
        lines, rates = boundary_lines(grid, axis), spurious_change_rate(labels, truth, axis)
        inside = np.delete(rates, [b - 1 for kind in lines.values() for b in kind])
        for kind, boundaries in lines.items():
            across = rates[[b - 1 for b in boundaries]].mean()
            measured[name, kind] = (float(across), float(inside.mean()),
                                    float(inside.mean() + 2 * inside.std() / np.sqrt(len(boundaries))))
    return measured


def seams_over_bound(measured: dict, kind: str) -> str:
    """"" when no ``kind`` boundary changes class more often than its bound, else the numbers."""
    mine = {axis: value for (axis, of), value in measured.items() if of == kind}
    if all(across <= bound for across, _, bound in mine.values()):
        return ""
    return "steady pairs changing across / inside / bound: " + ", ".join(
        f"{axis} {across:.4f} / {inside:.4f} / {bound:.4f}" for axis, (across, inside, bound) in mine.items())


def test_class_changes_are_no_more_frequent_across_tile_boundaries_than_inside_tiles(recommender):
    """At the tiles' window edges, where pasting tiles left block edges, and at the cell borders,
    where the blend hands over from one tile to the next: tiles that disagree must not switch
    class there (label votes did, at the column borders 0.060 of steady pairs against 0.004)."""
    image, truth = blocky_image(150, 190)
    labels = recommender.assess(image, name="seams").labels
    measured = seam_rates(labels, truth, image_grid(150, 190, recommender.tile_size))
    for kind in ("window edges", "cell borders"):
        assert not seams_over_bound(measured, kind), f"{kind}: {seams_over_bound(measured, kind)}"
