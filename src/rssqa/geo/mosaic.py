"""The best-of segmentation: each tile's recommended mask, blended across the tiles' overlaps.

Where two tiles overlap, each votes for its class with a weight that ramps linearly from its
edge to the end of the overlap, so the weights of the two sum to one and the seam falls where
the more central tile is more sure of being right, not on a hard cut. Votes are accumulated one
tile row at a time: rows no later tile can reach are finished and handed back, so memory holds
one tile row of votes whatever the scene's height.
"""

from __future__ import annotations

import numpy as np

from rssqa.raster.grid import TileGrid

NODATA_LABEL = 255  # the class map's ignore index: no data, or no tile assessed there


def seam_weights(tile: int, overlap: int) -> np.ndarray:
    """tile x tile weights: 1 inside, a linear ramp across the ``overlap`` at every edge."""
    if overlap == 0:
        return np.ones((tile, tile), np.float32)
    t = np.arange(tile, dtype=np.float32) + 0.5
    ramp = np.minimum(1.0, np.minimum(t, tile - t) / overlap)
    return np.outer(ramp, ramp)


class SeamBlender:
    """Streams a grid's tile masks, row by row, into finished rows of scene labels."""

    def __init__(self, grid: TileGrid, num_classes: int):
        self.grid, self.num_classes = grid, num_classes
        self.weights = seam_weights(grid.tile, grid.overlap)
        # Columns cover [-margin, cols * step + margin) of the scene; rows one tile's height.
        self.votes = np.zeros((num_classes, grid.tile, grid.cols * grid.step + grid.overlap), np.float32)
        self.row = 0

    def add(self, col: int, mask: np.ndarray) -> None:
        """Vote with the mask (tile x tile class indices) of tile ``col`` of the current row."""
        left = col * self.grid.step
        region = self.votes[:, :, left:left + self.grid.tile]
        for label in np.unique(mask):
            if label < self.num_classes:
                region[label] += self.weights * (mask == label)

    def finish_row(self) -> tuple[int, np.ndarray]:
        """(first scene row, labels) of the rows the current tile row completes; the last tile
        row completes all it holds. Labels are cropped to the scene; NODATA_LABEL where no tile
        voted. Moves on to the next tile row."""
        grid = self.grid
        last = self.row == grid.rows - 1
        count = grid.tile if last else grid.step
        top = self.row * grid.step - grid.margin
        votes = self.votes[:, :count]
        labels = np.argmax(votes, axis=0).astype(np.uint8)
        labels[votes.max(axis=0) <= 0] = NODATA_LABEL
        self.votes = np.concatenate([self.votes[:, count:], np.zeros_like(self.votes[:, :count])], axis=1)
        self.row += 1
        first = max(0, top)
        labels = labels[first - top:min(count, grid.height - top), grid.margin:grid.margin + grid.width]
        return first, labels
