"""One tiling-and-blending code for scenes and images: the tiles' masks of a cell grid become one
label map, their overlaps blended rather than pasted.

Where two tiles overlap, each votes for its class with its weight (:meth:`TileGrid.tile_weights`),
which ramps linearly across the overlap centred on the border of its cell, so the weights of the
two sum to one there and the seam falls where the tile whose cell it is is more sure of being
right, not on a hard cut; a tile never votes far inside another tile's cell. Votes are accumulated
one tile row at a time: rows no later tile can reach are finished and handed back, so memory
holds one tile row of votes whatever the raster's height.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rssqa.raster.grid import TileGrid

NODATA_LABEL = 255  # the class map's ignore index: no data, or no tile assessed there


class SeamBlender:
    """Streams a grid's tile masks, row by row, into finished rows of labels."""

    def __init__(self, grid: TileGrid, num_classes: int):
        self.grid, self.num_classes = grid, num_classes
        # Rows [top, top + tile) of the raster, full width: no tile reaches below the current row's.
        self.votes = np.zeros((num_classes, grid.tile, max(grid.width, grid.tile)), np.float32)
        self.row, self.top = 0, 0

    def add(self, col: int, mask: np.ndarray) -> None:
        """Vote with the mask (tile x tile class indices) of tile ``col`` of the current row."""
        y, x = self.grid.tile_origin(self.row, col)
        weights = self.grid.tile_weights(self.row, col)
        region = self.votes[:, y - self.top:y - self.top + self.grid.tile, x:x + self.grid.tile]
        for label in np.unique(mask):
            if label < self.num_classes:
                region[label] += weights * (mask == label)

    def finish_row(self) -> tuple[int, np.ndarray]:
        """(first raster row, labels) of the rows the current tile row completes (the last tile
        row completes all it holds), cropped to the raster; NODATA_LABEL where no tile voted.
        Moves on to the next tile row."""
        grid = self.grid
        last = self.row == grid.rows - 1
        end = grid.height if last else grid.tile_origin(self.row + 1, 0)[0]
        count = end - self.top
        votes = self.votes[:, :count]
        labels = np.argmax(votes, axis=0).astype(np.uint8)
        labels[votes.max(axis=0) <= 0] = NODATA_LABEL
        self.votes = np.concatenate([self.votes[:, count:], np.zeros_like(self.votes[:, :count])], axis=1)
        first, self.top, self.row = self.top, end, self.row + 1
        return first, labels[:, :grid.width]


def blend_tiles(grid: TileGrid, num_classes: int,
                mask_of: Callable[[int, int], np.ndarray | None]) -> np.ndarray:
    """The whole height x width label map from ``mask_of(row, col)`` (None: no tile there)."""
    blender = SeamBlender(grid, num_classes)
    labels = np.full((grid.height, grid.width), NODATA_LABEL, np.uint8)
    for row in range(grid.rows):
        for col in range(grid.cols):
            mask = mask_of(row, col)
            if mask is not None:
                blender.add(col, mask)
        first, rows = blender.finish_row()
        labels[first:first + len(rows)] = rows
    return labels
