"""How visible a tiled segmentation's seams are: class changes across tile boundaries against
class changes inside tiles, where the truth does not change.

A block edge left where tiles meet shows as a peak, at the boundary lines, of the share of
neighbouring pixel pairs of one true class whose predicted class differs; inside tiles the same
share measures the model's own noise. Used by the tests and by ``benchmarks/seams.py``.
"""

from __future__ import annotations

import numpy as np

from rssqa.raster.grid import TileGrid


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
