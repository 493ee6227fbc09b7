import warnings

import numpy as np
import pytest
from scipy import stats

from rssqa.errors import InputError
from rssqa.metrics import correlation_scores, fit_logistic4, krocc, logistic4, plcc, rmse, srocc


@pytest.fixture
def pred():
    return np.random.default_rng(0).uniform(-3, 3, size=200)


def test_plcc_sees_through_a_logistic_distortion(pred):
    target = logistic4(pred, 0.95, 0.40, 0.5, 0.4)
    assert stats.pearsonr(pred, target).statistic < 0.97  # raw Pearson is hurt by the curve
    assert plcc(pred, target) == pytest.approx(1.0, abs=1e-6)
    assert rmse(pred, target) == pytest.approx(0.0, abs=1e-5)
    mapping = fit_logistic4(pred, target)
    assert mapping.kind == "logistic"
    np.testing.assert_allclose(mapping(pred), target, atol=1e-5)


def test_plcc_of_a_decreasing_relation_is_negative(pred):
    assert fit_logistic4(pred, -logistic4(pred, 1.0, 0.0, 0.0, 1.0)).kind == "logistic"
    assert plcc(pred, -logistic4(pred, 1.0, 0.0, 0.0, 1.0)) == pytest.approx(-1.0, abs=1e-6)


def test_plcc_is_unchanged_by_rescaling_predictions(pred):
    target = logistic4(pred, 0.9, 0.3, 0.0, 1.0) + np.random.default_rng(1).normal(0, 0.05, pred.size)
    assert plcc(10 * pred + 3, target) == pytest.approx(plcc(pred, target), abs=1e-4)


def test_rank_correlations_equal_scipy_with_ties():
    rng = np.random.default_rng(2)
    pred = rng.integers(0, 10, size=60).astype(float)  # many ties
    target = pred + rng.normal(0, 3, size=60)
    assert srocc(pred, target) == pytest.approx(stats.spearmanr(pred, target).statistic)
    assert krocc(pred, target) == pytest.approx(stats.kendalltau(pred, target).statistic)


def test_constant_predictions_give_nan_correlations_quietly():
    target = np.linspace(0.5, 0.9, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = correlation_scores(np.full(20, 0.7), target)
    assert np.isnan(scores["plcc"]) and np.isnan(scores["srocc"]) and np.isnan(scores["krocc"])
    assert scores["rmse"] == pytest.approx(target.std())  # the best constant is the mean
    assert fit_logistic4(np.full(20, 0.7), target).kind == "linear"


def test_few_points_fall_back_to_a_line():
    mapping = fit_logistic4([0.0, 1.0, 2.0], [1.0, 3.0, 5.0])
    assert mapping.kind == "linear"
    np.testing.assert_allclose(mapping([3.0]), [7.0])


def test_correlation_scores_agree_with_the_single_metrics(pred):
    target = logistic4(pred, 0.9, 0.3, 0.0, 1.0) + np.random.default_rng(3).normal(0, 0.05, pred.size)
    scores = correlation_scores(pred, target)
    singles = {"plcc": plcc, "srocc": srocc, "krocc": krocc, "rmse": rmse}
    assert scores == pytest.approx({name: metric(pred, target) for name, metric in singles.items()})
    assert 0.9 < scores["plcc"] <= 1.0


def test_bad_inputs_are_input_errors():
    with pytest.raises(InputError, match="predictions"):
        plcc([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(InputError, match="NaN"):
        srocc([0.1, np.nan, 0.3], [0.1, 0.2, 0.3])


def test_plcc_keeps_the_sign_of_a_reversed_predictor():
    rng = np.random.default_rng(4)
    target = rng.uniform(0.5, 1.0, size=100)
    reversed_pred = -target + rng.normal(0, 0.05, size=100)
    assert fit_logistic4(reversed_pred, target).direction == -1
    assert plcc(reversed_pred, target) < -0.9
    # With too few points for the logistic, the signed line gives back the raw Pearson exactly.
    few_pred, few_target = reversed_pred[:4], target[:4]
    assert plcc(few_pred, few_target) == pytest.approx(stats.pearsonr(few_pred, few_target).statistic)
