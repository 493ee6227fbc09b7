"""How well predicted quality agrees with true quality: the IQA protocol (VQEG, as in pyiqa).

PLCC and RMSE are taken after a 4-parameter logistic maps predictions onto the target scale, so a
predictor is judged on its ordering and consistency, not on its calibration; SROCC and KROCC are
rank statistics and need no mapping.

One departure from pyiqa: PLCC keeps the sign of the fitted mapping's direction. The fit may
choose a decreasing curve, after which the plain Pearson of mapped scores is positive even for
an assessor whose scores run against quality; signed, a decreasing straight-line fit gives back
exactly the raw Pearson correlation, and a perfectly reversed assessor scores -1, not +1.

Degenerate inputs (constant predictions or targets, fewer than two points) give NaN correlations
instead of raising, so that a bootstrap or a per-method table carries on; RMSE stays defined.

Their bootstrap intervals for ``rssqa evaluate`` come from ``rssqa.metrics.correlation_resampled``,
which computes all four for every resample at once.

scipy.stats and scipy.optimize are imported by the functions that use them: together they are
about half a second, which opening a trained experiment (whose selector imports ``srocc`` for
training) should not pay.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import expit

from rssqa.errors import InputError

LOGISTIC_MAXFEV = 10_000


def logistic4(x: np.ndarray, b1: float, b2: float, b3: float, b4: float) -> np.ndarray:
    """``(b1 - b2) / (1 + exp(-(x - b3) / |b4|)) + b2``, written with a stable sigmoid."""
    return b2 + (b1 - b2) * expit((x - b3) / np.abs(b4))


@dataclass(frozen=True)
class MonotoneMapping:
    """A fitted map from prediction scale to target scale: ``kind`` names the formula.

    logistic: params are (b1, b2, b3, b4) of :func:`logistic4`; linear: (slope, intercept).
    """

    kind: Literal["logistic", "linear"]
    params: tuple[float, ...]

    @property
    def direction(self) -> int:
        """+1 if the mapping increases, -1 if it decreases, 0 if it is constant."""
        b1, b2 = self.params[:2]
        return int(np.sign(b1 - b2 if self.kind == "logistic" else b1))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.kind == "logistic":
            return logistic4(x, *self.params)
        slope, intercept = self.params
        return slope * x + intercept


def fit_logistic4(pred: np.ndarray, target: np.ndarray) -> MonotoneMapping:
    """Least-squares 4-parameter logistic from ``pred`` to ``target``.

    Starts from b1 = max(target), b2 = min(target), b3 = mean(pred), b4 = std(pred) (1 if 0).
    Falls back to the least-squares straight line, itself monotone, when the logistic cannot be
    fitted: too few points (fewer than 5) or constant predictions, no convergence within
    ``LOGISTIC_MAXFEV`` evaluations, a non-finite result, or a fit worse than that line (the
    logistic family contains near-linear curves, so a worse fit is a stuck optimiser).
    """
    from scipy.optimize import OptimizeWarning, curve_fit

    pred, target = _validated(pred, target)
    line = _fit_line(pred, target)
    if pred.size < 5 or np.ptp(pred) == 0:
        return line

    start = (target.max(), target.min(), pred.mean(), pred.std() or 1.0)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(logistic4, pred, target, p0=start, maxfev=LOGISTIC_MAXFEV)
    except RuntimeError:  # no convergence within maxfev
        return line
    logistic = MonotoneMapping("logistic", tuple(float(p) for p in params))
    with np.errstate(all="ignore"):
        fitted = logistic(pred)
    if not np.all(np.isfinite(fitted)):
        return line
    if _sse(fitted, target) > _sse(line(pred), target):
        return line
    return logistic


def plcc(pred: np.ndarray, target: np.ndarray) -> float:
    """Pearson correlation between logistic-mapped predictions and targets, signed by the mapping's
    direction (see the module docstring); NaN if undefined."""
    pred, target = _validated(pred, target)
    return _signed_pearson(fit_logistic4(pred, target), pred, target)


def rmse(pred: np.ndarray, target: np.ndarray) -> float:
    """Root mean squared error between logistic-mapped predictions and targets.

    For constant predictions the mapping is the target mean, so this is the target's std.
    """
    pred, target = _validated(pred, target)
    return _rmse(fit_logistic4(pred, target)(pred), target)


def srocc(pred: np.ndarray, target: np.ndarray) -> float:
    """Spearman rank-order correlation (NaN if either side is constant)."""
    from scipy import stats

    pred, target = _validated(pred, target)
    if _degenerate(pred, target):
        return float("nan")
    return float(stats.spearmanr(pred, target).statistic)


def krocc(pred: np.ndarray, target: np.ndarray) -> float:
    """Kendall rank-order correlation, tau-b (NaN if either side is constant)."""
    from scipy import stats

    pred, target = _validated(pred, target)
    if _degenerate(pred, target):
        return float("nan")
    return float(stats.kendalltau(pred, target).statistic)


def correlation_scores(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """``{"plcc", "srocc", "krocc", "rmse"}``, fitting the logistic once for PLCC and RMSE."""
    pred, target = _validated(pred, target)
    mapping = fit_logistic4(pred, target)
    return {
        "plcc": _signed_pearson(mapping, pred, target),
        "srocc": srocc(pred, target),
        "krocc": krocc(pred, target),
        "rmse": _rmse(mapping(pred), target),
    }


def _validated(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if pred.shape != target.shape:
        raise InputError(
            None,
            f"{pred.size} predictions (shape {pred.shape}) against "
            f"{target.size} targets (shape {target.shape})",
            "pass one prediction per target, in the same order",
        )
    if not (np.all(np.isfinite(pred)) and np.all(np.isfinite(target))):
        raise InputError(
            None,
            "predictions or targets contain NaN or infinity",
            "drop tiles without a defined score (e.g. tiles whose label is all ignore_index)",
        )
    return pred.ravel(), target.ravel()


def _fit_line(pred: np.ndarray, target: np.ndarray) -> MonotoneMapping:
    if pred.size < 2 or np.ptp(pred) == 0:
        # No slope can be estimated: the best constant is the target mean.
        return MonotoneMapping("linear", (0.0, float(target.mean()) if target.size else 0.0))
    centred = pred - pred.mean()
    slope = centred @ (target - target.mean()) / (centred @ centred)
    return MonotoneMapping("linear", (float(slope), float(target.mean() - slope * pred.mean())))


def _degenerate(a: np.ndarray, b: np.ndarray) -> bool:
    return a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0


def _signed_pearson(mapping: MonotoneMapping, pred: np.ndarray, target: np.ndarray) -> float:
    from scipy import stats

    mapped = mapping(pred)
    if mapping.direction == 0 or _degenerate(mapped, target):
        return float("nan")
    return mapping.direction * float(stats.pearsonr(mapped, target).statistic)


def _rmse(mapped: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(np.mean((mapped - target) ** 2))) if target.size else float("nan")


def _sse(fitted: np.ndarray, target: np.ndarray) -> float:
    return float(np.sum((fitted - target) ** 2))
