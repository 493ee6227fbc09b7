"""The batched bootstrap of the correlations (``correlation_intervals``, used by ``rssqa evaluate``)
against the reference path, ``bootstrap_ci(metric, ...)`` resample by resample: same estimates, same
resamples, SROCC and KROCC intervals equal, PLCC and RMSE equal up to the logistic fit's tolerance."""

import numpy as np
import pytest
from scipy import stats

import rssqa.metrics.bootstrap as bootstrap
import rssqa.metrics.correlation_resampled as resampled
from rssqa.metrics import (bootstrap_ci, bootstrap_cis, correlation_intervals, correlation_resamples,
                           correlation_scores, fit_logistic4, krocc, logistic4, plcc, rmse, srocc)

METRICS = {"plcc": plcc, "srocc": srocc, "krocc": krocc, "rmse": rmse}
# PLCC and RMSE refit the logistic in every resample, batched instead of with curve_fit: on a curve
# the logistic fits, both reach the same least-squares optimum, to ~1e-10 in these examples.
FIT_TOLERANCE = 1e-6


def curved_pairs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    pred = rng.uniform(-2, 2, n)
    return pred, logistic4(pred, 0.95, 0.55, 0.3, 0.6) + rng.normal(0, 0.04, n)


def reference_intervals(pred, target, n_boot, seed=0):
    return {name: bootstrap_ci(metric, pred, target, n_boot=n_boot, seed=seed)
            for name, metric in METRICS.items()}


def test_estimates_are_identical_and_intervals_agree_with_the_reference_path():
    pred, target = curved_pairs()
    fast = correlation_intervals(pred, target, n_boot=150, seed=4)
    slow = reference_intervals(pred, target, n_boot=150, seed=4)
    assert list(fast) == list(METRICS)
    for name in METRICS:
        assert fast[name].estimate == slow[name].estimate  # bit-identical point estimates
    assert fast["krocc"] == slow["krocc"]  # the same integer pair counts and float arithmetic
    assert_bounds_close(fast, slow)


def assert_bounds_close(fast, slow):
    """SROCC to rounding (ranks summed in another order), PLCC and RMSE to FIT_TOLERANCE."""
    for name in METRICS:
        tolerance = FIT_TOLERANCE if name in ("plcc", "rmse") else 1e-12
        for bound in ("low", "high"):
            assert getattr(fast[name], bound) == pytest.approx(getattr(slow[name], bound), abs=tolerance)


def test_each_resample_matches_the_per_resample_metrics():
    pred, target = curved_pairs(n=40, seed=1)
    rows = np.random.default_rng(2).integers(0, 40, size=(60, 40))
    values = correlation_resamples(pred, target, rows, fit_logistic4(pred, target))
    for name, metric in METRICS.items():
        reference = np.array([metric(pred[r], target[r]) for r in rows])
        tolerance = 1e-12 if name in ("srocc", "krocc") else FIT_TOLERANCE
        np.testing.assert_allclose(values[name], reference, rtol=0, atol=tolerance)


def test_where_curve_fit_stops_early_the_batched_fit_is_no_worse():
    # A relation the logistic fits badly: curve_fit drifts towards an exponential for thousands of
    # evaluations and stops on its tolerance; the batched fit goes on to an SSE at least as low.
    rng = np.random.default_rng(0)
    target = rng.uniform(0.55, 0.95, 60)
    pred = np.tanh(4 * (target - 0.75)) + rng.normal(0, 0.04, 60)
    rows = rng.integers(0, 60, size=(12, 60))
    values = correlation_resamples(pred, target, rows, fit_logistic4(pred, target))
    reference_rmse = np.array([rmse(pred[r], target[r]) for r in rows])
    reference_plcc = np.array([plcc(pred[r], target[r]) for r in rows])
    assert np.all(values["rmse"] <= reference_rmse * (1 + 1e-9))
    assert np.all(values["plcc"] >= reference_plcc - 1e-9)  # a better fit correlates more
    np.testing.assert_allclose(values["plcc"], reference_plcc, rtol=0, atol=1e-3)


def test_rank_correlations_with_many_ties_equal_scipy_per_resample():
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 5, 50).astype(float)
    target = np.round(pred + rng.normal(0, 2, 50))
    rows = rng.integers(0, 50, size=(40, 50))
    values = correlation_resamples(pred, target, rows)
    kendall = [stats.kendalltau(pred[r], target[r]).statistic for r in rows]
    spearman = [stats.spearmanr(pred[r], target[r]).statistic for r in rows]
    np.testing.assert_array_equal(values["krocc"], kendall)
    np.testing.assert_allclose(values["srocc"], spearman, rtol=0, atol=1e-12)


def test_kendall_past_the_pairwise_limit_counts_per_resample(monkeypatch):
    pred, target = curved_pairs(n=30, seed=5)
    rows = np.random.default_rng(6).integers(0, 30, size=(20, 30))
    pairwise = correlation_resamples(pred, target, rows)["krocc"]
    monkeypatch.setattr(resampled, "_PAIRWISE_TILES", 10)
    np.testing.assert_array_equal(correlation_resamples(pred, target, rows)["krocc"], pairwise)


def test_resamples_in_chunks_give_the_same_values(monkeypatch):
    pred, target = curved_pairs(n=30, seed=11)
    rows = np.random.default_rng(12).integers(0, 30, size=(25, 30))
    whole = correlation_resamples(pred, target, rows)
    monkeypatch.setattr(resampled, "_VALUES_PER_CHUNK", 30 * 4)  # chunks of 4 resamples
    chunked = correlation_resamples(pred, target, rows)
    for name in METRICS:
        np.testing.assert_allclose(chunked[name], whole[name], rtol=0, atol=1e-12)


def test_constant_predictions_give_the_same_nan_and_rmse_as_before():
    target = np.linspace(0.5, 0.9, 20)
    fast = correlation_intervals(np.full(20, 0.7), target, n_boot=50)
    slow = reference_intervals(np.full(20, 0.7), target, n_boot=50)
    for name in ("plcc", "srocc", "krocc"):
        assert np.isnan([fast[name].estimate, fast[name].low, fast[name].high]).all()
    assert fast["rmse"] == slow["rmse"]
    assert fast["rmse"].estimate == pytest.approx(target.std())


def test_resamples_that_happen_to_be_constant_are_dropped_as_before():
    pred, target = np.full(8, 0.7), np.linspace(0.5, 0.9, 8)
    pred[0] = 0.9  # resamples without tile 0 have constant predictions
    fast = correlation_intervals(pred, target, n_boot=200, seed=1)
    slow = reference_intervals(pred, target, n_boot=200, seed=1)
    assert fast["krocc"] == slow["krocc"]
    assert all(fast[name].estimate == slow[name].estimate for name in METRICS)
    assert_bounds_close(fast, slow)


@pytest.mark.parametrize("data", ["predictions spread over 1e-8", "step in the targets"])
def test_where_curve_fits_outcome_is_erratic_it_is_what_fits(data):
    # curve_fit's finite differences do not resolve the first; the second has a local optimum per
    # split of the tiles. Each resample is then fitted by fit_logistic4 itself, so PLCC and RMSE
    # are bit-identical to the reference path.
    rng = np.random.default_rng(10)
    pred = rng.uniform(0, 1, 30)
    target = 0.6 + 0.2 * (pred > 0.5) + rng.normal(0, 0.005, 30)
    if data == "predictions spread over 1e-8":
        pred, target = 0.375 + 1e-8 * pred, target + rng.normal(0, 0.1, 30)
    fast = correlation_intervals(pred, target, n_boot=40, seed=3)
    slow = reference_intervals(pred, target, n_boot=40, seed=3)
    assert fast["plcc"] == slow["plcc"] and fast["rmse"] == slow["rmse"] and fast["krocc"] == slow["krocc"]


def test_too_few_tiles_for_the_logistic_fit_lines_as_before():
    pred, target = np.array([0.1, 0.4, 0.35, 0.8]), np.array([0.6, 0.7, 0.75, 0.9])
    assert correlation_intervals(pred, target, n_boot=40) == reference_intervals(pred, target, n_boot=40)


def test_same_seed_same_intervals_and_estimates_of_correlation_scores():
    pred, target = curved_pairs(seed=7)
    first, again = (correlation_intervals(pred, target, n_boot=80, seed=2) for _ in range(2))
    assert first == again
    assert {name: interval.estimate for name, interval in first.items()} == correlation_scores(pred, target)


def test_bootstrap_cis_draws_the_resamples_of_bootstrap_ci(monkeypatch):
    values = np.random.default_rng(8).normal(size=50)
    monkeypatch.setattr(bootstrap, "_INDICES_PER_BLOCK", 50 * 7)  # several blocks of 7 resamples

    def batched_max(v, rows):
        return {"max": v[rows].max(axis=1)}

    batched = bootstrap_cis(lambda v: {"max": float(v.max())}, batched_max, values, n_boot=30, seed=9)
    assert batched["max"] == bootstrap_ci(np.max, values, n_boot=30, seed=9)
