"""The small value types every stage passes along."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Sample:
    """One source image, with its label mask when there is one.

    ``group`` is the unit that must never straddle two splits (a Dubai tile such as ``tile2``:
    its nine images overlap in content); ``source_id`` names the image itself. ``window``
    ``(x, y, width, height)`` limits the sample to one block of its files (``group_by: grid``
    cuts a large image into such blocks); tiles are then cut from the block alone.
    """

    source_id: str
    image_path: Path
    mask_path: Path | None
    group: str
    window: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Tile:
    """A square, non-overlapping window of a source image, in pixel coordinates."""

    source_id: str
    group: str
    x: int
    y: int
    size: int

    @property
    def tile_id(self) -> str:
        return f"{self.source_id}_x{self.x}_y{self.y}_s{self.size}"


@dataclass
class TileData:
    """A tile's pixels: ``image`` is HxWx3 uint8 RGB, ``mask`` HxW uint8 class indices or None."""

    tile: Tile
    image: np.ndarray
    mask: np.ndarray | None
