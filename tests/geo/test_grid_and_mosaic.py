"""The tile grid covers the scene cell by cell; seams are blended and streamed row by row."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from rssqa.errors import InputError
from rssqa.raster.grid import TileGrid
from rssqa.geo.mosaic import NODATA_LABEL, SeamBlender, seam_weights


def _blend(grid: TileGrid, mask_of, num_classes: int = 3) -> np.ndarray:
    """Run the blender over the whole grid and paste its finished rows together."""
    blender, out = SeamBlender(grid, num_classes), np.full((grid.height, grid.width), 99, np.uint8)
    rows_written = []
    for row in range(grid.rows):
        for col in range(grid.cols):
            mask = mask_of(row, col)
            if mask is not None:
                blender.add(col, mask)
        first, labels = blender.finish_row()
        out[first:first + len(labels)] = labels
        rows_written += list(range(first, first + len(labels)))
    assert rows_written == list(range(grid.height))  # every row once, in order
    return out


@pytest.mark.parametrize("height, width, tile, overlap",
                         [(150, 200, 32, 4), (64, 64, 32, 0), (33, 97, 16, 6)])
def test_cells_cover_the_scene_and_tiles_grow_them_by_half_the_overlap(height, width, tile, overlap):
    grid = TileGrid(height, width, tile, overlap)
    assert grid.rows * grid.step >= height > (grid.rows - 1) * grid.step
    window = grid.tile_window(1, 2)
    assert (window.col_off, window.row_off) == (2 * grid.step - overlap // 2, grid.step - overlap // 2)
    assert grid.cell_transform(Affine(0.5, 0, 10, 0, -0.5, 20)) == Affine(0.5 * grid.step, 0, 10, 0,
                                                                           -0.5 * grid.step, 20)


def test_an_odd_or_too_large_overlap_is_refused():
    with pytest.raises(InputError, match="must be even"):
        TileGrid(100, 100, 32, 5)
    with pytest.raises(InputError, match="less than the tile size"):
        TileGrid(100, 100, 32, 32)


def test_seam_weights_of_neighbours_sum_to_one_across_the_overlap():
    weights = seam_weights(32, 8)[16]  # one row through the middle
    assert np.allclose(weights[24:] + weights[:8], 1.0)
    assert (weights[8:24] == 1).all() and (weights > 0).all()


def test_blending_one_label_everywhere_gives_that_label_and_no_gaps():
    grid = TileGrid(150, 200, 32, 4)
    out = _blend(grid, lambda r, c: np.full((32, 32), 2, np.uint8))
    assert (out == 2).all()


def test_the_seam_falls_in_the_middle_of_the_overlap():
    grid = TileGrid(40, 56, 32, 8)  # step 24: cols 0, 1, 2
    out = _blend(grid, lambda r, c: np.full((32, 32), c % 2, np.uint8))
    # Tile 0's cell is x in [0, 24), tile 1's [24, 48): the ramps cross at x = 24.
    assert (out[:, :24] == 0).all() and (out[:, 24:48] == 1).all() and (out[:, 48:] == 0).all()


def test_cells_without_a_tile_are_nodata():
    grid = TileGrid(48, 48, 32, 8)
    out = _blend(grid, lambda r, c: None if (r, c) == (1, 1) else np.zeros((32, 32), np.uint8))
    assert (out[28:, 28:] == NODATA_LABEL).all()  # the cell plus half an overlap: no tile reaches
    assert (out[:20] == 0).all()
