"""The experiment's labelled data: its source's samples, grouped as the config asks, its class
map, and the labelled tiles the pool trains on."""

from __future__ import annotations

import numpy as np

from rssqa.config import ExperimentConfig
from rssqa.data.classmap import ClassMap
from rssqa.data.grouping import apply_grouping
from rssqa.data.io import raster_reading
from rssqa.data.sources import create_source
from rssqa.data.tiling import SkipLog, iter_tile_data
from rssqa.data.types import Sample
from rssqa.errors import InputError
from rssqa.raster.settings import RasterSettings


def load_source(config: ExperimentConfig) -> tuple[list[Sample], ClassMap]:
    """The source's samples, grouped as ``data.group_by`` asks (``grid``: blocks of
    ``data.block_tiles`` x ``data.block_tiles`` tiles), and its class map."""
    options = dict(config.data)
    kind = options.pop("kind", "demo")
    group_by, block_tiles = options.pop("group_by", "source"), options.pop("block_tiles", 4)
    if kind == "demo":
        from rssqa.data.sources.demo import demo_source

        source = demo_source()
    else:
        source = create_source(kind, **options)
    samples = apply_grouping(source.samples(), group_by, config.tile_size, block_tiles)
    return samples, source.classmap


def load_tiles(samples: list[Sample], tile_size: int, classmap: ClassMap, skipped: SkipLog,
               settings: RasterSettings | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """All labelled tiles of ``samples`` in memory: ids, N x S x S x 3 images, N x S x S masks.
    With raster ``settings``, TIFF images are read with them and their nodata pixels are
    unlabelled (a tile left without labels is dropped)."""
    ids, images, masks = [], [], []
    with raster_reading(settings):
        for tile_data in iter_tile_data(samples, tile_size, classmap, on_error=skipped.add):
            if np.any(tile_data.mask != classmap.ignore_index):
                ids.append(tile_data.tile.tile_id)
                images.append(tile_data.image)
                masks.append(tile_data.mask)
    if not ids:
        raise InputError(None, f"no labelled {tile_size}-px tile in the {len(samples)} source "
                         f"image(s) of the pool's training data ({len(skipped.entries)} skipped"
                         + (f"; first: {skipped.entries[0][1]})" if skipped.entries else ")"),
                         "fix those files, or the class map, tile_size or pool groups")
    return ids, np.stack(images), np.stack(masks)
