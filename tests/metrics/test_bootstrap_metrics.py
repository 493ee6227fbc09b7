import numpy as np
import pytest

from rssqa.errors import InputError
from rssqa.metrics import Interval, bootstrap_ci, paired_bootstrap_test, precision_at_1, srocc


def noisy_pairs(n, noise, seed=0):
    rng = np.random.default_rng(seed)
    target = rng.uniform(0.5, 1.0, size=n)
    return target + rng.normal(0, noise, size=n), target


def test_interval_contains_the_estimate_and_narrows_with_more_tiles():
    small = bootstrap_ci(srocc, *noisy_pairs(40, 0.1), n_boot=300)
    large = bootstrap_ci(srocc, *noisy_pairs(800, 0.1), n_boot=300)
    for interval in (small, large):
        assert interval.low <= interval.estimate <= interval.high
    assert large.high - large.low < (small.high - small.low) / 2


def test_same_seed_same_interval():
    data = noisy_pairs(60, 0.1)
    assert bootstrap_ci(srocc, *data, n_boot=100, seed=3) == bootstrap_ci(srocc, *data, n_boot=100, seed=3)


def test_rows_of_all_arrays_are_resampled_together():
    a = np.arange(30.0)
    same_rows = bootstrap_ci(lambda x, y: float(np.all(x == y)), a, a.copy(), n_boot=50)
    assert same_rows == Interval(1.0, 1.0, 1.0)


def test_tables_are_resampled_by_tile():
    rng = np.random.default_rng(0)
    true = rng.uniform(size=(100, 4))
    interval = bootstrap_ci(precision_at_1, true + rng.normal(0, 0.1, true.shape), true, n_boot=100)
    assert 0.0 < interval.low <= interval.estimate <= interval.high <= 1.0


def test_nan_resamples_are_ignored():
    def mean_unless_zero_drawn(x):
        return float("nan") if np.any(x == 0) else float(x.mean())

    interval = bootstrap_ci(mean_unless_zero_drawn, np.arange(5.0), n_boot=200)
    assert np.isnan(interval.estimate)
    assert 1.0 <= interval.low <= interval.high <= 4.0


def test_paired_test_detects_a_clearly_better_predictor():
    good, target = noisy_pairs(150, 0.03, seed=1)
    bad = target + np.random.default_rng(2).normal(0, 0.3, size=target.size)
    better = paired_bootstrap_test(srocc, good, bad, target, n_boot=300)
    assert better.diff > 0 and better.low > 0 and better.p_value < 0.01
    worse = paired_bootstrap_test(srocc, bad, good, target, n_boot=300)
    assert worse.diff == pytest.approx(-better.diff) and worse.p_value < 0.01


def test_paired_test_of_identical_predictors_finds_nothing():
    pred, target = noisy_pairs(100, 0.1)
    same = paired_bootstrap_test(srocc, pred, pred.copy(), target, n_boot=200)
    assert same.diff == 0.0 and same.p_value == 1.0


def test_paired_test_of_similar_predictors_has_a_large_p_value():
    pred, target = noisy_pairs(100, 0.1)
    other = pred + np.random.default_rng(5).normal(0, 1e-3, size=pred.size)
    assert paired_bootstrap_test(srocc, pred, other, target, n_boot=200).p_value > 0.2


def test_arrays_of_different_lengths_are_an_input_error():
    with pytest.raises(InputError, match="one row per tile"):
        bootstrap_ci(srocc, np.arange(5.0), np.arange(6.0))
