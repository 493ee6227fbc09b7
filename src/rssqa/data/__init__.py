"""Labelled imagery in, square tiles out: readers, class maps, tiling and splits."""

from rssqa.data.classmap import DUBAI_CLASSES, ClassMap
from rssqa.data.sources.demo import demo_data_root, demo_source
from rssqa.data.io import image_size, read_image, read_mask
from rssqa.data.sources import DubaiSource, FolderSource, create_source
from rssqa.data.splits import select_groups, split_by_source
from rssqa.data.tiling import SkipLog, iter_tile_data, plan_tiles, read_tile
from rssqa.data.types import Sample, Tile, TileData

__all__ = [
    "DUBAI_CLASSES", "ClassMap", "DubaiSource", "FolderSource", "Sample", "SkipLog", "Tile",
    "TileData", "create_source", "demo_data_root", "demo_source", "image_size", "iter_tile_data",
    "plan_tiles", "read_image", "read_mask", "read_tile", "select_groups", "split_by_source",
]
