"""The tiles that cover a scene: a regular grid of cells, each assessed through a tile that
overlaps its neighbours by ``overlap`` pixels, so that seams can be blended.

Cell (row, col) is the ``step`` x ``step`` square at (col * step, row * step), ``step = tile -
overlap``; its tile is the cell grown by ``overlap / 2`` on every side. The cells tile the scene
exactly (the last row and column reach past its edge), so a quality map with one pixel per cell
is the scene's own grid at ``step`` times its pixel size: same origin, same CRS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from affine import Affine
from rasterio.windows import Window

from rssqa.errors import InputError


@dataclass(frozen=True)
class TileGrid:
    height: int
    width: int
    tile: int
    overlap: int

    def __post_init__(self) -> None:
        if self.overlap < 0 or self.overlap % 2 or self.overlap >= self.tile:
            raise InputError(None, f"tile overlap {self.overlap} must be even, at least 0 and less "
                             f"than the tile size {self.tile}", "e.g. --overlap 32 for 256-px tiles")

    @property
    def step(self) -> int:
        return self.tile - self.overlap

    @property
    def margin(self) -> int:
        return self.overlap // 2

    @property
    def rows(self) -> int:
        return math.ceil(self.height / self.step)

    @property
    def cols(self) -> int:
        return math.ceil(self.width / self.step)

    def __len__(self) -> int:
        return self.rows * self.cols

    def position(self, index: int) -> tuple[int, int]:
        """(row, col) of the tile numbered ``index`` in row-major order."""
        return divmod(index, self.cols)

    def tile_window(self, row: int, col: int) -> Window:
        return Window(col * self.step - self.margin, row * self.step - self.margin, self.tile, self.tile)

    def strip_window(self, row: int, first_col: int, last_col: int) -> Window:
        """The union of the tile windows of columns ``first_col..last_col`` of ``row``."""
        window = self.tile_window(row, first_col)
        return Window(window.col_off, window.row_off, (last_col - first_col) * self.step + self.tile,
                      self.tile)

    def cell_slices(self) -> tuple[slice, slice]:
        """Where a tile's own cell lies inside the tile's pixels."""
        inner = slice(self.margin, self.margin + self.step)
        return inner, inner

    def cell_transform(self, transform: Affine) -> Affine:
        """The transform of a raster with one pixel per cell, from the scene's."""
        return transform @ Affine.scale(self.step)
