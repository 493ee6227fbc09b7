"""The one tile grid: where the square tiles of an image or a scene lie.

Three uses, three readings of one grid of ``tile``-px tiles over a ``height`` x ``width`` raster:

- building the SQED (:meth:`TileGrid.complete_tiles`): tiles wholly inside the image, ``stride``
  apart, since every labelled tile must be real imagery with real labels;
- recommending for an image (:meth:`TileGrid.covering_tiles`): tiles covering every pixel, the last
  row and column slid back flush with the edge rather than padded;
- scenes (the cells): a regular grid of cells, each assessed through a tile that overlaps its
  neighbours by ``overlap`` pixels, so that seams can be blended.

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
    overlap: int = 0

    def __post_init__(self) -> None:
        if self.tile <= 0:
            raise ValueError(f"tile size must be positive, got {self.tile}")
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

    def cell_bounds(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) pixel bounds of cell (row, col), ending at the raster's
        edge: the last row and column of cells are smaller where the raster does not divide."""
        return (col * self.step, row * self.step, min((col + 1) * self.step, self.width),
                min((row + 1) * self.step, self.height))

    def cell_transform(self, transform: Affine) -> Affine:
        """The transform of a raster with one pixel per cell, from the scene's."""
        return transform @ Affine.scale(self.step)

    def complete_tiles(self, stride: int | None = None) -> list[tuple[int, int]]:
        """Top-left ``(x, y)`` corners of the tiles wholly inside the raster, row by row,
        ``stride`` pixels apart (the tile size by default: no overlap)."""
        stride = stride or self.tile
        if stride <= 0:
            raise ValueError(f"tile stride must be positive, got {stride}")
        return [(x, y) for y in range(0, self.height - self.tile + 1, stride)
                for x in range(0, self.width - self.tile + 1, stride)]

    def covering_tiles(self) -> list[tuple[int, int]]:
        """Top-left ``(y, x)`` corners of tiles covering every pixel, row by row: regular steps of
        a tile, the last row and column flush with the edge (they may overlap their neighbours).
        A raster smaller than a tile gets one tile at (0, 0)."""
        return [(y, x) for y in _covering(self.height, self.tile)
                for x in _covering(self.width, self.tile)]


def _covering(length: int, size: int) -> list[int]:
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, size))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts
