"""One tiling-and-blending code for scenes and images: the tiles' masks of a cell grid become one
label map, their overlaps blended rather than pasted.

Where two tiles overlap, each votes for its class with its weight (:meth:`TileGrid.tile_weights`),
which ramps linearly across the overlap centred on the border of its cell (the weights of the two
sum to one there; a tile never votes far inside another tile's cell), times its own confidence
there: its max class probability, to the power CONFIDENCE_POWER. With the ramp alone, neighbours
that disagree hand over exactly at the cell border, a visible seam; with confidence the surer
tile wins the overlap (a network is often least sure near its tile's edge, where it sees
least context). Where the overlapping tiles agree the label is theirs, whatever the weights.
Votes are accumulated one tile row at a time: rows no later tile can reach are finished and
handed back, so memory holds one tile row of votes whatever the raster's height.

Confidence travels as a byte per pixel (:func:`quantise_confidence`): scenes save it with each
tile's mask, and images and scenes blend the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rssqa.raster.grid import TileGrid

NODATA_LABEL = 255  # the class map's ignore index: no data, or no tile assessed there
# Measured on the tiny test models, whose max probability falls from 0.90 inside a tile to 0.61
# at its edge: the ratio (1.5) cannot outvote the ramp's (up to 7 to 1 in a 4-px overlap), and
# the labels still switched at the cell borders (powers 1, 2 and 4 left 0.16, 0.07 and 0.025 of
# steady pixel pairs changing there, against 0.01 inside); to the 8th power (20 to 1) the surer
# tile wins, and the ramp still decides between tiles about as sure (16 did worse again).
CONFIDENCE_POWER = 8
# Vote weight per confidence byte; 0 never comes from quantise_confidence but weighs as 1 would.
_VOTE_WEIGHT = (np.maximum(np.arange(256), 1) / 255.0).astype(np.float32) ** CONFIDENCE_POWER


def quantise_confidence(max_probability: np.ndarray) -> np.ndarray:
    """Max class probabilities in [0, 1] as uint8 1..255 (255: certain, as a mask-only member
    is taken to be), never 0, so that no vote vanishes."""
    scaled = np.rint(np.asarray(max_probability, np.float32) * 255)
    return np.clip(scaled, 1, 255).astype(np.uint8)


class SeamBlender:
    """Streams a grid's tile masks, row by row, into finished rows of labels."""

    def __init__(self, grid: TileGrid, num_classes: int):
        self.grid, self.num_classes = grid, num_classes
        # Rows [top, top + tile) of the raster, full width: no tile reaches below the current row's.
        self.votes = np.zeros((num_classes, grid.tile, max(grid.width, grid.tile)), np.float32)
        self.row, self.top = 0, 0

    def add(self, col: int, mask: np.ndarray, confidence: np.ndarray | None = None) -> None:
        """Vote with the mask (tile x tile class indices) of tile ``col`` of the current row and
        its confidence (tile x tile uint8 from :func:`quantise_confidence`; None: certain)."""
        y, x = self.grid.tile_origin(self.row, col)
        weights = self.grid.tile_weights(self.row, col)
        if confidence is not None:
            weights = weights * _VOTE_WEIGHT[confidence]
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
                mask_of: Callable[[int, int], np.ndarray | None],
                confidence_of: Callable[[int, int], np.ndarray | None] | None = None) -> np.ndarray:
    """The whole height x width label map from ``mask_of(row, col)`` (None: no tile there) and
    ``confidence_of(row, col)`` (as :meth:`SeamBlender.add` takes it; None: certain)."""
    blender = SeamBlender(grid, num_classes)
    labels = np.full((grid.height, grid.width), NODATA_LABEL, np.uint8)
    for row in range(grid.rows):
        for col in range(grid.cols):
            mask = mask_of(row, col)
            if mask is not None:
                blender.add(col, mask, None if confidence_of is None else confidence_of(row, col))
        first, rows = blender.finish_row()
        labels[first:first + len(rows)] = rows
    return labels
