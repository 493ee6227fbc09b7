import numpy as np
import pytest

from rssqa.errors import InputError
from rssqa.metrics import best_method_counts, precision_at_1, precision_at_k, recommend

# 5 tiles x 4 methods; comments give the recommended column and where it truly ranks.
PRED = np.array(
    [
        [0.9, 0.8, 0.1, 0.2],  # -> 0: truly last
        [0.5, 0.5, 0.4, 0.1],  # predicted tie -> first, 0: truly 3rd
        [0.1, 0.2, 0.3, 0.25],  # -> 2: ties for 2nd
        [0.9, 0.1, 0.2, 0.3],  # -> 0: 3rd only within atol of method 3
        [0.1, 0.9, 0.2, 0.3],  # -> 1: ties for 1st with method 0
    ]
)
TRUE = np.array(
    [
        [0.70, 0.90, 0.80, 0.85],
        [0.60, 0.80, 0.80, 0.50],
        [0.60, 0.90, 0.70, 0.70],
        [0.60, 0.90, 0.80, 0.60 + 1e-12],
        [0.80, 0.80, 0.30, 0.20],
    ]
)


def test_recommend_takes_the_first_of_tied_predictions():
    np.testing.assert_array_equal(recommend(PRED), [0, 0, 2, 0, 1])
    assert recommend(np.array([0.2, 0.7, 0.7])) == 1


def test_precision_at_1_counts_true_ties_for_best():
    assert precision_at_1(PRED, TRUE) == pytest.approx(1 / 5)


def test_precision_at_k_includes_ties_at_the_kth_place():
    assert precision_at_k(PRED, TRUE, k=2) == pytest.approx(2 / 5)
    assert precision_at_k(PRED, TRUE, k=3) == pytest.approx(4 / 5)
    assert precision_at_k(PRED, TRUE, k=3, atol=0.0) == pytest.approx(3 / 5)
    assert precision_at_k(PRED, TRUE, k=4) == 1.0


def test_a_perfect_predictor_scores_one():
    assert precision_at_1(TRUE, TRUE) == 1.0


def test_best_method_counts_credit_every_tied_method():
    assert best_method_counts(TRUE, ["a", "b", "c", "d"]) == {"a": 1, "b": 5, "c": 1, "d": 0}


def test_bad_tables_are_input_errors():
    with pytest.raises(InputError, match="k=5"):
        precision_at_k(PRED, TRUE, k=5)
    with pytest.raises(InputError, match="shape"):
        precision_at_1(PRED[:, :3], TRUE)
    with pytest.raises(InputError, match="NaN"):
        precision_at_1(PRED, np.where(TRUE > 0.85, np.nan, TRUE))
    with pytest.raises(InputError, match="3 method names"):
        best_method_counts(TRUE, ["a", "b", "c"])
