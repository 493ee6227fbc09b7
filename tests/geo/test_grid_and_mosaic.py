"""The tile grid covers the scene cell by cell; seams are blended and streamed row by row."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from rssqa.errors import InputError
from rssqa.raster.grid import TileGrid
from rssqa.raster.blend import NODATA_LABEL, SeamBlender


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
    window = grid.tile_window(1, 1)
    assert (window.col_off, window.row_off) == (grid.step - overlap // 2, grid.step - overlap // 2)
    assert grid.cell_transform(Affine(0.5, 0, 10, 0, -0.5, 20)) == Affine(0.5 * grid.step, 0, 10, 0,
                                                                           -0.5 * grid.step, 20)


def test_an_odd_or_too_large_overlap_is_refused():
    with pytest.raises(InputError, match="must be even"):
        TileGrid(100, 100, 32, 5)
    with pytest.raises(InputError, match="less than the tile size"):
        TileGrid(100, 100, 32, 32)


def test_seam_weights_of_neighbours_sum_to_one_across_the_overlap():
    grid = TileGrid(100, 100, 32, 8)  # step 24: tile (1, 1) at 20, tile (1, 2) at 44
    left, right = grid.tile_weights(1, 1)[16], grid.tile_weights(1, 2)[16]
    assert np.allclose(left[24:32] + right[:8], 1.0)  # x 44..52: across the border at 48
    assert (left[8:24] == 1).all() and (left > 0).all()


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


@pytest.mark.parametrize("height, width, tile, overlap", [(2048, 2048, 128, 16), (150, 200, 32, 4),
                                                         (33, 97, 16, 6), (64, 64, 32, 0)])
def test_cells_end_at_the_edge_and_every_tile_is_real_imagery(height, width, tile, overlap):
    grid = TileGrid(height, width, tile, overlap)
    lefts = [grid.cell_bounds(0, col)[0] for col in range(grid.cols)]
    assert grid.cell_bounds(grid.rows - 1, grid.cols - 1)[2:] == (width, height)  # not past it
    assert lefts == [col * grid.step for col in range(grid.cols)]  # transform: scene x step
    for row in range(grid.rows):
        for col in range(grid.cols):
            y, x = grid.tile_origin(row, col)
            assert 0 <= y <= height - tile and 0 <= x <= width - tile  # inside, never padded
            rows, cols = grid.cell_in_tile(row, col)
            left, top, right, bottom = grid.cell_bounds(row, col)
            assert (rows.stop - rows.start, cols.stop - cols.start) == (bottom - top, right - left)
            assert 0 <= rows.start and rows.stop <= tile and 0 <= cols.start and cols.stop <= tile


def test_an_edge_cell_keeps_its_own_pixels_when_its_tile_slides_back():
    grid = TileGrid(40, 56, 32, 8)  # cells x [0, 24), [24, 48), [48, 56); tile 2 slides to 24
    out = _blend(grid, lambda r, c: np.full((32, 32), c, np.uint8))
    assert (out[:, :20] == 0).all() and (out[:, 28:44] == 1).all() and (out[:, 52:] == 2).all()
