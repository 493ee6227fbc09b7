"""Cutting source images into square tiles.

By default tiles never overlap, so no two tiles share ground within one image; a smaller
``stride`` cuts overlapping tiles, which only ever serves to give assessors more training tiles
(never for a test split). Tiles are never padded: the right and bottom remainders narrower than a
tile are dropped, so every label pixel in a tile is a real one and a tile's overall accuracy is
measured on real ground only. An image smaller than the tile size yields no tiles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from rssqa.data.classmap import ClassMap
from rssqa.data.io import ignore_nodata, image_size, read_image, read_mask
from rssqa.data.types import Sample, Tile, TileData
from rssqa.errors import InputError
from rssqa.raster.grid import TileGrid

OnError = Callable[[Sample, InputError], None]
"""Called with a sample whose files cannot be used; processing then carries on without it."""


@dataclass
class SkipLog:
    """Collects the samples skipped for bad files; pass it (or its ``add``) as ``on_error``."""

    entries: list[tuple[Sample, InputError]] = field(default_factory=list)

    def add(self, sample: Sample, error: InputError) -> None:
        self.entries.append((sample, error))

    __call__ = add

    def summary(self) -> str:
        if not self.entries:
            return "no source image skipped"
        lines = [f"skipped {len(self.entries)} source image(s):"]
        lines += [f"  {sample.source_id}: {error}" for sample, error in self.entries]
        return "\n".join(lines)


def _handle(sample: Sample, error: InputError, on_error: OnError | None) -> None:
    if on_error is None:
        raise error
    on_error(sample, error)


def plan_tiles(samples: Iterable[Sample], size: int, on_error: OnError | None = None) -> list[Tile]:
    """Every tile of every sample, from image headers only (no pixels are decoded)."""
    tiles = []
    for sample in samples:
        try:
            height, width = image_size(sample.image_path)
        except InputError as error:
            _handle(sample, error, on_error)
            continue
        if sample.window is not None:
            width, height = sample.window[2:]
        tiles += [Tile(sample.source_id, sample.group, x, y, size)
                  for x, y in TileGrid(height, width, size).complete_tiles()]
    return tiles


def _read_sample(sample: Sample, classmap: ClassMap | None) -> tuple[np.ndarray, np.ndarray | None]:
    image = read_image(sample.image_path)
    mask = None
    if sample.mask_path is not None and classmap is not None:
        mask = read_mask(sample.mask_path, classmap, expected_shape=image.shape[:2])
        mask = ignore_nodata(sample.image_path, mask, classmap.ignore_index)
    if sample.window is None:
        return image, mask
    x, y, width, height = sample.window
    if x + width > image.shape[1] or y + height > image.shape[0]:
        raise InputError(sample.image_path, f"block {sample.source_id} lies outside the "
                         f"{image.shape[0]}x{image.shape[1]} image", "the file changed since its "
                         "blocks were cut: run again")
    return image[y:y + height, x:x + width], None if mask is None else mask[y:y + height, x:x + width]


def _crop(array: np.ndarray | None, tile: Tile) -> np.ndarray | None:
    # A copy, so a kept tile does not hold its whole source image in memory.
    return None if array is None else array[tile.y:tile.y + tile.size, tile.x:tile.x + tile.size].copy()


def iter_tile_data(samples: Iterable[Sample], size: int, classmap: ClassMap | None,
                   on_error: OnError | None = None,
                   stride_of: Callable[[Sample], int] | None = None) -> Iterator[TileData]:
    """Read each sample's image and mask once and yield its tiles in grid order
    (:meth:`rssqa.raster.grid.TileGrid.complete_tiles`).

    Masks are read only when ``classmap`` is given. A sample whose files cannot be used raises
    its InputError, or, with ``on_error``, is reported to it and skipped. ``stride_of`` gives a
    sample's tile stride (the tile size when None).
    """
    for sample in samples:
        try:
            image, mask = _read_sample(sample, classmap)
        except InputError as error:
            _handle(sample, error, on_error)
            continue
        stride = stride_of(sample) if stride_of else size
        for x, y in TileGrid(image.shape[0], image.shape[1], size).complete_tiles(stride):
            tile = Tile(sample.source_id, sample.group, x, y, size)
            yield TileData(tile, _crop(image, tile), _crop(mask, tile))


def read_tile(tile: Tile, sample: Sample, classmap: ClassMap | None) -> TileData:
    """Read one planned tile back from its source files."""
    if tile.source_id != sample.source_id:
        raise ValueError(f"tile {tile.tile_id} does not belong to sample {sample.source_id}")
    image, mask = _read_sample(sample, classmap)
    height, width = image.shape[:2]
    if tile.x + tile.size > width or tile.y + tile.size > height:
        raise InputError(sample.image_path, f"tile {tile.tile_id} lies outside the {height}x{width} "
                         "image", "the file changed since the tiles were planned: plan them again")
    return TileData(tile, _crop(image, tile), _crop(mask, tile))
