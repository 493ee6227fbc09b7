"""Covering a new image with tiles: every pixel covered, no tile outside the image."""

import pytest

from rssqa.recommend import covering_grid, find_images
from rssqa.errors import InputError


@pytest.mark.parametrize("length,size", [(64, 32), (70, 32), (32, 32), (20, 32), (1000, 256)])
def test_covering_grid_covers_every_pixel_within_bounds(length, size):
    starts = covering_grid(length, size)
    covered = set()
    for s in starts:
        covered |= set(range(s, min(s + size, length)))
        assert s + size <= max(length, size)
    assert covered == set(range(length))


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="holds no image"):
        find_images(tmp_path)
