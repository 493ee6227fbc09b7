"""Images are recommended on the scenes' grid: tile overlaps blended, no block edges at seams."""

from __future__ import annotations

import numpy as np
import pytest

from rssqa.experiment import open_experiment
from rssqa.raster.grid import image_grid
from rssqa.raster.seams import seam_rates, seams_over_bound
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


def test_class_changes_are_no_more_frequent_across_tile_boundaries_than_inside_tiles(recommender):
    """At the tiles' window edges, where pasting tiles left block edges, and at the cell borders,
    where the blend hands over from one tile to the next: tiles that disagree must not switch
    class there (label votes did, at the column borders 0.060 of steady pairs against 0.004)."""
    image, truth = blocky_image(150, 190)
    labels = recommender.assess(image, name="seams").labels
    measured = seam_rates(labels, truth, image_grid(150, 190, recommender.tile_size))
    for kind in ("window edges", "cell borders"):
        assert not seams_over_bound(measured, kind), f"{kind}: {seams_over_bound(measured, kind)}"
