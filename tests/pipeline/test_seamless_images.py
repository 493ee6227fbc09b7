"""Images are recommended on the scenes' grid: tile overlaps blended, no block edges at seams."""

from __future__ import annotations

import numpy as np
import pytest

from rssqa.experiment import open_experiment
from rssqa.raster.grid import image_grid
from rssqa.recommend import Recommender
from tests.conftest import CLASSES, trained_tiny_experiment


@pytest.fixture(scope="module")
def recommender(tmp_path_factory):
    return Recommender.of(open_experiment(trained_tiny_experiment(tmp_path_factory.mktemp("seams")), "prior"))


BLOCK = 11  # px: the image's class blocks, a size unrelated to the tiles'


def blocky_image(height: int, width: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(image, true classes): the tiny data's class colours in blocks, with noise."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, len(CLASSES), (height // BLOCK + 1, width // BLOCK + 1))
    truth = blocks.repeat(BLOCK, 0).repeat(BLOCK, 1)[:height, :width]
    rgb = np.array([c[2] for c in CLASSES], float)[truth]
    return np.clip(rgb + rng.normal(0, 25, rgb.shape), 0, 255).astype(np.uint8), truth


def spurious_change_rate(labels: np.ndarray, truth: np.ndarray, axis: int) -> np.ndarray:
    """Per border between neighbouring rows (axis 0) or columns (axis 1): among the pixel pairs
    across it whose true class is the same for 3 px on both sides, the share whose predicted
    class differs (the mean absolute difference of the one-hot class maps, halved). A block edge
    left by pasting tiles shows as a peak of this rate at the tile's border."""
    changed = np.diff(labels.astype(int), axis=axis) != 0
    steady = np.ones_like(changed)
    for shift in range(-3, 4):  # the truth does not change near the border
        steady &= np.roll(np.diff(truth, axis=axis) == 0, shift, axis=axis)
    return (changed & steady).sum(axis=1 - axis) / np.maximum(1, steady.sum(axis=1 - axis))


def test_class_changes_are_no_more_frequent_across_tile_boundaries_than_inside_tiles(recommender):
    image, truth = blocky_image(150, 190)
    labels = recommender.assess(image, name="seams").labels
    grid = image_grid(150, 190, recommender.tile_size)
    for axis, length in ((0, 150), (1, 190)):
        origins = {origin[axis] for origin in grid.tile_origins()}
        # the tiles' edges, where pasting tiles left block edges; border b lies between pixels
        # b - 1 and b, and rates[b - 1] measures it
        boundaries = sorted(({o for o in origins} | {o + grid.tile for o in origins})
                            & set(range(1, length)))
        rates = spurious_change_rate(labels, truth, axis)
        inside = np.delete(rates, [b - 1 for b in boundaries])
        at_boundaries = rates[[b - 1 for b in boundaries]]
        # no larger than inside tiles, up to two standard errors of the boundaries' mean
        assert at_boundaries.mean() <= inside.mean() + 2 * inside.std() / np.sqrt(len(boundaries))
