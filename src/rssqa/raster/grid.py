"""The one tile grid: where the square tiles of an image or a scene lie.

Three uses, three readings of one grid of ``tile``-px tiles over a ``height`` x ``width`` raster:

- building the SQED (:meth:`TileGrid.complete_tiles`): tiles wholly inside the image, ``stride``
  apart, since every labelled tile must be real imagery with real labels;
- recommending for an image (:meth:`TileGrid.covering_tiles`): tiles covering every pixel, the last
  row and column slid back flush with the edge rather than padded;
- scenes and images to recommend for (the cells): a regular grid of cells, each assessed through
  a tile that overlaps its neighbours by ``overlap`` pixels, so that seams can be blended.

Cell (row, col) is the ``step`` x ``step`` square at (col * step, row * step), ``step = tile -
overlap``, ending at the raster's edge (the last row and column of cells are smaller where the
raster does not divide). Its tile is the cell grown by ``overlap / 2`` on every side, then slid
back inside the raster where that would reach past an edge: every tile is real imagery, never
padding, so edge cells are assessed like interior ones (a raster smaller than one tile is the
exception: its one tile reaches past it). A quality map with one pixel per cell is the scene's
own grid at ``step`` times its pixel size: same origin, same CRS (its last pixels reach past the
scene where the cells are smaller).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
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

    def _origin(self, index: int, length: int) -> int:
        """Where the tile of the ``index``-th cell along an axis of ``length`` pixels starts: the
        cell less the margin, slid back inside the raster."""
        return min(max(0, index * self.step - self.margin), max(0, length - self.tile))

    def tile_origin(self, row: int, col: int) -> tuple[int, int]:
        """(y, x) of the top-left pixel of cell (row, col)'s tile."""
        return self._origin(row, self.height), self._origin(col, self.width)

    def tile_origins(self) -> list[tuple[int, int]]:
        """Every tile's (y, x), row by row: the order tiles are assessed and blended in."""
        return [self.tile_origin(row, col) for row in range(self.rows) for col in range(self.cols)]

    def tile_window(self, row: int, col: int) -> Window:
        y, x = self.tile_origin(row, col)
        return Window(x, y, self.tile, self.tile)

    def strip_window(self, row: int, first_col: int, last_col: int) -> Window:
        """The union of the tile windows of columns ``first_col..last_col`` of ``row``."""
        y, left = self.tile_origin(row, first_col)
        right = self.tile_origin(row, last_col)[1] + self.tile
        return Window(left, y, right - left, self.tile)

    def cell_in_tile(self, row: int, col: int) -> tuple[slice, slice]:
        """Where cell (row, col) lies inside its tile's pixels."""
        left, top, right, bottom = self.cell_bounds(row, col)
        y, x = self.tile_origin(row, col)
        return slice(top - y, bottom - y), slice(left - x, right - x)

    def tile_weights(self, row: int, col: int) -> np.ndarray:
        """tile x tile blending weights of cell (row, col)'s tile: 1 inside its cell away from
        the seams, ramping linearly across the ``overlap`` centred on each cell border, 0 beyond;
        along a border the ramps of the two neighbouring tiles sum to one."""
        left, top, right, bottom = self.cell_bounds(row, col)
        y, x = self.tile_origin(row, col)
        return np.outer(self._ramp(y, top, bottom), self._ramp(x, left, right))

    def _ramp(self, origin: int, start: int, end: int) -> np.ndarray:
        centres = origin + np.arange(self.tile, dtype=np.float32) + 0.5
        if self.overlap == 0:
            return ((centres > start) & (centres < end)).astype(np.float32)
        inside = np.minimum(centres - start, end - centres) / self.overlap + 0.5
        return np.clip(inside, 0.0, 1.0).astype(np.float32)

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


def default_overlap(tile: int) -> int:
    """A quarter of the tile, rounded down to an even number of pixels: the overlap of images and
    scenes alike. With an eighth, a network's least sure band at its tile's edge reached past
    the blend, and scenes showed class changes along tile window edges (in 2 of 4 mirrored demo
    scenes, and on the tiny test models); a half costs four times the tiles."""
    return (tile // 4) // 2 * 2


def image_grid(height: int, width: int, tile: int) -> TileGrid:
    """The grid an image is recommended on: a scene's (:func:`default_overlap`), blended alike."""
    return TileGrid(height, width, tile, default_overlap(tile))


def _covering(length: int, size: int) -> list[int]:
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, size))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts
