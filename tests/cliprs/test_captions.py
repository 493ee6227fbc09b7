"""Mask captions say what the mask says: shares, dominant and absent classes, where things lie."""

from __future__ import annotations

import numpy as np

from rssqa.cliprs.captions import PRESENCE_SHARE, describe_mask, summarise_mask

NAMES = ["Building", "Land", "Road", "Vegetation", "Water", "Unlabeled"]


def _mask() -> np.ndarray:
    """60 x 60: land everywhere, buildings filling the upper-left ninth, water the bottom row band."""
    mask = np.full((60, 60), 1, np.uint8)
    mask[:20, :20] = 0
    mask[50:, :] = 4
    mask[0, 59] = 5  # one Unlabeled pixel: never spoken of
    mask[59, 59] = 255  # ignored pixel: not counted
    return mask


def test_summary_shares_count_labelled_pixels_only():
    summary = summarise_mask(_mask(), NAMES)
    assert np.isclose(summary.shares.sum(), 1.0)
    assert np.isclose(summary.shares[0], 400 / 3599)
    assert summary.present == [1, 4, 0]  # land, water, buildings: largest share first
    assert summary.absent == [2, 3]       # roads and vegetation; Unlabeled is never listed


def test_locations_follow_the_mask_layout():
    summary = summarise_mask(_mask(), NAMES)
    assert summary.regions[0] == "in the upper left"
    assert summary.regions[4] == "at the bottom"
    assert summary.regions[1] == "across the image"


def test_captions_name_present_classes_with_shares_and_absent_ones_as_missing():
    captions = describe_mask(_mask(), NAMES, n=4)
    assert len(set(captions)) == 4
    assert captions[0] == "An aerial image of bare land (72%), water (17%) and buildings (11%)."
    assert "No roads or vegetation." in captions[1]
    assert "buildings in the upper left" in captions[2]
    assert all("unlabeled" not in c.lower() for c in captions)


def test_traces_below_the_presence_share_are_not_mentioned():
    mask = np.ones((100, 100), np.uint8)
    mask[:1, :100] = 2  # 1 % roads
    assert 0.01 < PRESENCE_SHARE
    assert "road" not in describe_mask(mask, NAMES, n=1)[0]


def test_random_draw_is_reproducible_and_differs_from_fixed_order():
    a = describe_mask(_mask(), NAMES, n=2, rng=np.random.default_rng(3))
    b = describe_mask(_mask(), NAMES, n=2, rng=np.random.default_rng(3))
    assert a == b and len(a) == 2
