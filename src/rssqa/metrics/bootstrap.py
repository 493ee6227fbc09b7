"""Bootstrap confidence intervals and paired comparisons over tiles.

Tiles are the unit of resampling: every array passed in is indexed along its first axis with the
same resampled rows, so a statistic over (prediction, target) pairs or over N x M score tables
(precision@1) keeps its rows together.

Written here rather than with ``scipy.stats.bootstrap`` because that one moves the resampled axis
last (N x M tables would reach the statistic transposed) and returns a NaN interval as soon as one
resample is degenerate, e.g. a resample in which every prediction is equal so SROCC is undefined.
Here such resamples are dropped before taking percentiles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from rssqa.errors import InputError

Statistic = Callable[..., float]
ResampledStatistics = Callable[..., dict[str, np.ndarray]]

_INDICES_PER_BLOCK = 1 << 22  # 32 MiB of int64 row indices


@dataclass(frozen=True)
class Interval:
    """A statistic on the full data and its bootstrap percentile interval."""

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class PairedComparison:
    """Statistic of predictor A minus that of B on the same tiles, with a bootstrap test.

    p_value is two-sided: twice the fraction of resampled differences on the other side of 0
    from ``diff`` (0 counts as the other side), capped at 1; 1 when ``diff`` is exactly 0.
    """

    diff: float
    low: float
    high: float
    p_value: float


def bootstrap_ci(
    statistic: Statistic, *arrays: np.ndarray, n_boot: int = 1000, seed: int = 0, alpha: float = 0.05
) -> Interval:
    """Percentile bootstrap interval of ``statistic(*arrays)`` at level ``1 - alpha``.

    Resamples that give NaN are ignored; if all do, the bounds are NaN.
    """
    arrays = _same_rows(arrays)
    estimate = float(statistic(*arrays))
    low, high = _percentile_interval(_resampled(statistic, arrays, n_boot, seed), alpha)
    return Interval(estimate, low, high)


def bootstrap_cis(
    statistics: Callable[..., dict[str, float]],
    resampled: ResampledStatistics,
    *arrays: np.ndarray,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, Interval]:
    """Percentile bootstrap intervals of several statistics, computed a block of resamples at once.

    ``statistics(*arrays)`` gives each estimate by name; ``resampled(*arrays, rows)`` gives the same
    names, each an array with the statistic on every resample, where ``rows`` is a B x N array of
    row indices (one resample per row). The resamples are those ``bootstrap_ci`` draws with the
    same ``n_boot`` and ``seed``, so each interval is the one ``bootstrap_ci`` would give with a
    per-resample statistic that agrees with ``resampled``.
    """
    arrays = _same_rows(arrays)
    estimates = statistics(*arrays)
    blocks = [resampled(*arrays, rows) for rows in _row_blocks(len(arrays[0]), n_boot, seed)]
    resampled_values = {name: np.concatenate([block[name] for block in blocks]) for name in estimates}
    return {
        name: Interval(float(estimate), *_percentile_interval(resampled_values[name], alpha))
        for name, estimate in estimates.items()
    }


def paired_bootstrap_test(
    statistic: Callable[[np.ndarray, np.ndarray], float],
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    target: np.ndarray,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> PairedComparison:
    """Is ``statistic(pred_a, target)`` different from ``statistic(pred_b, target)``?

    Both predictors are scored on the same resampled tiles, so what the tiles share (hard tiles
    are hard for both) cancels out of the difference.
    """

    def difference(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> float:
        return float(statistic(a, t)) - float(statistic(b, t))

    arrays = _same_rows((pred_a, pred_b, target))
    diff = difference(*arrays)
    diffs = _resampled(difference, arrays, n_boot, seed)
    low, high = _percentile_interval(diffs, alpha)
    return PairedComparison(diff, low, high, _two_sided_p(diff, diffs))


def _same_rows(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    if not arrays:
        raise ValueError("bootstrap needs at least one array to resample")
    arrays = tuple(np.asarray(a) for a in arrays)
    rows = {len(a) if a.ndim else 0 for a in arrays}
    if len(rows) != 1 or 0 in rows:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise InputError(
            None,
            f"arrays of shapes {shapes} to resample by row",
            "pass non-empty arrays with one row per tile",
        )
    return arrays


def _resampled(statistic: Statistic, arrays: tuple[np.ndarray, ...], n_boot: int, seed: int) -> np.ndarray:
    blocks = _row_blocks(len(arrays[0]), n_boot, seed)
    return np.array([statistic(*(a[r] for a in arrays)) for rows in blocks for r in rows], dtype=np.float64)


def _row_blocks(n: int, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """Row indices of the resamples, one resample per row, a block at a time to bound memory on
    large N. The draws depend only on (n, n_boot, seed): every statistic bootstrapped with the
    same seed sees the same resamples, which keeps comparisons across metrics paired."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    rng = np.random.default_rng(seed)
    block = max(1, _INDICES_PER_BLOCK // n)
    for start in range(0, n_boot, block):
        yield rng.integers(0, n, size=(min(block, n_boot - start), n))


def _percentile_interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(defined, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)


def _two_sided_p(diff: float, diffs: np.ndarray) -> float:
    defined = diffs[~np.isnan(diffs)]
    if np.isnan(diff) or defined.size == 0:
        return float("nan")
    if diff == 0:
        return 1.0
    other_side = defined <= 0 if diff > 0 else defined >= 0
    return float(min(1.0, 2 * other_side.mean()))
