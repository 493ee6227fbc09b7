"""``group_by: grid``: cut each large image into spatial blocks of tiles, one group per block.

A single large scene (a Potsdam tile, a GeoTIFF mosaic) has no natural unit smaller than itself,
yet splitting its tiles one by one would put neighbours, which share objects and shadows, on
both sides of a split. Blocks of ``block_tiles`` x ``block_tiles`` tiles are the unit instead:
every split moves whole blocks, so tiles next to each other inside a block stay together. Blocks
are aligned with the tile grid, so a block's tiles are exactly the image's tiles it covers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from rssqa.data.io import image_size
from rssqa.data.types import Sample
from rssqa.errors import InputError

GROUPINGS = ("source", "grid")


def blocks(height: int, width: int, tile_size: int, block_tiles: int) -> list[tuple[int, int, int, int]]:
    """``(x, y, width, height)`` of the blocks of an image; a remainder narrower than a block
    becomes a smaller block, and one narrower than a tile (which holds no tile) is dropped."""
    step = tile_size * block_tiles
    return [(x, y, min(step, width - x), min(step, height - y))
            for y in range(0, height - tile_size + 1, step)
            for x in range(0, width - tile_size + 1, step)]


def grid_samples(samples: list[Sample], tile_size: int, block_tiles: int = 4) -> list[Sample]:
    """Each sample's blocks as samples of their own, each its own group (``<id>_r<row>c<col>``).

    The source's groups must each hold one image: blocks of different images in one group could
    cover the same ground and land on both sides of a split.
    """
    if block_tiles < 1:
        raise InputError(None, f"block_tiles is {block_tiles}", "give a positive number of tiles "
                         "per block side, e.g. 4")
    shared = sorted(g for g, n in Counter(s.group for s in samples).items() if n > 1)
    if shared:
        raise InputError(None, f"group_by: grid needs one image per group, but group(s) "
                         f"{', '.join(shared[:5])} hold several", "drop group_pattern (each image "
                         "is then its own group) or leave group_by at source")
    out = []
    step = tile_size * block_tiles
    for sample in samples:
        try:
            height, width = image_size(sample.image_path)
        except InputError:
            out.append(sample)  # left whole, so tiling reports and skips it like any bad file
            continue
        for window in blocks(height, width, tile_size, block_tiles):
            block_id = f"{sample.source_id}_r{window[1] // step}c{window[0] // step}"
            out.append(replace(sample, source_id=block_id, group=block_id, window=window))
    return out


def apply_grouping(samples: list[Sample], group_by: str, tile_size: int,
                   block_tiles: int = 4) -> list[Sample]:
    """The samples as the data config's ``group_by`` asks: the source's own groups, or grid blocks."""
    if group_by not in GROUPINGS:
        raise InputError(None, f"group_by {group_by!r} is not a grouping",
                         f"use one of: {', '.join(GROUPINGS)}")
    return samples if group_by == "source" else grid_samples(samples, tile_size, block_tiles)
