"""Does the assessor pick the right method? Precision@k of recommendations over an N x M table.

Rows are tiles, columns are the pool's methods, in the same order in ``pred`` and ``true``. The
recommended method of a tile is the argmax of its predicted scores; on a tie in the predictions
the first of the tied methods (lowest column) is taken, so results never depend on chance. True
scores within ``atol`` of each other count as tied: several methods often reach exactly the same
overall accuracy on easy tiles, and picking any of them is right.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rssqa.errors import InputError


def recommend(pred: np.ndarray) -> np.ndarray | np.intp:
    """Column index of the best predicted method per row (first on ties); scalar for a 1-D row."""
    pred = np.asarray(pred, dtype=np.float64)
    if not np.all(np.isfinite(pred)):
        raise InputError(None, "predicted scores contain NaN or infinity", "check the assessor's output")
    return np.argmax(pred, axis=-1)


def precision_at_k(pred: np.ndarray, true: np.ndarray, k: int = 3, atol: float = 1e-9) -> float:
    """Fraction of tiles whose recommended method is among the true top ``k``.

    Ties at the k-th place are included: a hit is a recommended method whose true score is at
    least the k-th largest true score of the tile, minus ``atol``.
    """
    pred, true = _score_tables(pred, true)
    num_methods = true.shape[1]
    if not 1 <= k <= num_methods:
        raise InputError(None, f"k={k} with {num_methods} methods", f"choose k between 1 and {num_methods}")
    chosen = recommend(pred)
    chosen_true = np.take_along_axis(true, chosen[:, None], axis=1)[:, 0]
    kth_best = np.sort(true, axis=1)[:, num_methods - k]
    return float(np.mean(chosen_true >= kth_best - atol))


def precision_at_1(pred: np.ndarray, true: np.ndarray, atol: float = 1e-9) -> float:
    """Fraction of tiles whose recommended method ties (within ``atol``) for the best true score."""
    return precision_at_k(pred, true, k=1, atol=atol)


def best_method_counts(true: np.ndarray, methods: Sequence[str], atol: float = 1e-9) -> dict[str, int]:
    """How many tiles each method is truly best on, in ``methods`` order.

    A tile where several methods tie for the best (within ``atol``) counts for every one of them,
    so the counts may sum to more than the number of tiles.
    """
    true = _score_table(true, "true scores")
    if true.shape[1] != len(methods):
        raise InputError(
            None,
            f"{len(methods)} method names for a table of {true.shape[1]} columns",
            "name every column of the score table, in order",
        )
    is_best = true >= true.max(axis=1, keepdims=True) - atol
    return {name: int(count) for name, count in zip(methods, is_best.sum(axis=0))}


def _score_tables(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, true = _score_table(pred, "predicted scores"), _score_table(true, "true scores")
    if pred.shape != true.shape:
        raise InputError(
            None,
            f"predicted scores of shape {pred.shape} against true scores of shape {true.shape}",
            "pass tiles x methods tables with the same tiles and methods in the same order",
        )
    return pred, true


def _score_table(scores: np.ndarray, what: str) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[0] == 0 or scores.shape[1] == 0:
        raise InputError(None, f"{what} have shape {scores.shape}", "pass a non-empty tiles x methods table")
    if not np.all(np.isfinite(scores)):
        raise InputError(
            None,
            f"{what} contain NaN or infinity",
            "drop tiles without a defined score (e.g. tiles whose label is all ignore_index)",
        )
    return scores
