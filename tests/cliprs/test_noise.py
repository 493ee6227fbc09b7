"""The synthetic noisy pool keeps the truth of which captions are noisy, and each kind is what it says."""

from __future__ import annotations

import numpy as np

from rssqa.cliprs.captions import describe_mask
from rssqa.cliprs.noise import NOISE_KINDS, make_noisy_pool

NAMES = ["Building", "Land", "Road", "Vegetation", "Water", "Unlabeled"]


def _masks(n: int = 40, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.choice(5, size=(4, 4), p=rng.dirichlet(np.ones(5))).repeat(8, 0).repeat(8, 1).astype(np.uint8)
            for _ in range(n)]


def test_pool_size_rate_and_truth_columns():
    masks = _masks()
    pool = make_noisy_pool([f"c{i}" for i in range(40)], masks, NAMES, captions_per_image=3,
                           noise_rate=0.5, seed=1)
    assert len(pool) == 120
    assert set(pool.columns) >= {"crop_id", "caption", "is_noisy", "noise_kind"}
    assert 0.3 < pool.is_noisy.mean() < 0.7
    assert (pool.is_noisy == (pool.noise_kind != "clean")).all()
    assert set(pool.noise_kind) <= {"clean", *NOISE_KINDS}


def test_clean_captions_are_true_captions_and_noisy_ones_never_are():
    masks = _masks()
    ids = [f"c{i}" for i in range(40)]
    pool = make_noisy_pool(ids, masks, NAMES, captions_per_image=2, noise_rate=0.6, seed=2)
    truth = {i: set(describe_mask(m, NAMES, n=4)) for i, m in zip(ids, masks)}
    is_true = pool.apply(lambda r: r.caption in truth[r.crop_id], axis=1)
    assert is_true[~pool.is_noisy].all()
    assert not is_true[pool.is_noisy].any()


def test_wrong_class_captions_name_absent_classes_for_the_dominant_area():
    mask = np.ones((32, 32), np.uint8)  # all bare land
    pool = make_noisy_pool(["a", "b"], [mask, np.full((32, 32), 4, np.uint8)], NAMES,
                           captions_per_image=20, noise_rate=1.0, kinds=["wrong_class"], seed=0)
    stated = pool[pool.crop_id == "a"].caption.str.split(". No ").str[0]  # drop the absent list
    assert not stated.str.contains("bare land").any()


def test_noise_rate_zero_gives_a_clean_pool():
    pool = make_noisy_pool(["a", "b"], _masks(2), NAMES, noise_rate=0.0)
    assert not pool.is_noisy.any()
