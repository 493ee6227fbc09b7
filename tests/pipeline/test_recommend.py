"""Covering a new image with tiles: every pixel covered, no tile outside the image."""

import pytest

from rssqa.raster.grid import TileGrid
from rssqa.recommend import find_images
from rssqa.errors import InputError


@pytest.mark.parametrize("length,size", [(64, 32), (70, 32), (32, 32), (20, 32), (1000, 256)])
def test_covering_tiles_cover_every_pixel_within_bounds(length, size):
    starts = [y for y, x in TileGrid(length, 1, size).covering_tiles()]
    covered = set()
    for s in starts:
        covered |= set(range(s, min(s + size, length)))
        assert s + size <= max(length, size)
    assert covered == set(range(length))


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="holds no image"):
        find_images(tmp_path)


def test_an_image_smaller_than_a_tile_is_refused_with_its_size():
    import numpy as np

    from rssqa.recommend import Recommender

    recommender = Recommender(pool=[], encoder=None, assessor=None, classmap=None, tile_size=32)
    with pytest.raises(InputError, match=r"dot has 1 x 1 pixels, fewer than the 1024"):
        recommender.assess(np.zeros((1, 1, 3), np.uint8), name="dot")
