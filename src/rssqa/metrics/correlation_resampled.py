"""The four correlations of many bootstrap resamples at once, for ``rssqa evaluate``.

Refitting the logistic with curve_fit in each of a thousand resamples per method was nearly all
of evaluate's time. Here SROCC and KROCC have closed forms over all resamples, and the logistic
behind PLCC and RMSE is fitted for every resample together; what cannot be settled that way goes
through ``rssqa.metrics.correlation`` as a single score would.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from rssqa.metrics.bootstrap import Interval, bootstrap_cis
from rssqa.metrics.correlation import (MonotoneMapping, _rmse, _signed_pearson, _validated,
                                       correlation_scores, fit_logistic4, krocc)


def correlation_intervals(pred: np.ndarray, target: np.ndarray, n_boot: int = 1000, seed: int = 0,
                          alpha: float = 0.05) -> dict[str, Interval]:
    """``correlation_scores``, each with its percentile-bootstrap interval over the tiles.

    What ``bootstrap_ci(metric, pred, target, n_boot=n_boot, seed=seed)`` gives for each metric,
    from one pass: the same estimates (bit for bit), the same resamples, the same SROCC and KROCC
    intervals; PLCC and RMSE refit the logistic in every resample with a batched optimiser, so
    their bounds agree up to the fit's tolerance (see ``correlation_resamples``).
    """
    pred, target = _validated(pred, target)
    start = fit_logistic4(pred, target)

    def resampled(p: np.ndarray, t: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
        return correlation_resamples(p, t, rows, start)

    return bootstrap_cis(correlation_scores, resampled, pred, target, n_boot=n_boot, seed=seed,
                         alpha=alpha)


def correlation_resamples(pred: np.ndarray, target: np.ndarray, rows: np.ndarray,
                          start: MonotoneMapping | None = None) -> dict[str, np.ndarray]:
    """``correlation_scores`` of every resample ``pred[r], target[r]`` for the rows r of ``rows``.

    SROCC and KROCC: closed forms for all resamples at once, equal to scipy's per resample (KROCC
    bit for bit, SROCC to rounding). PLCC and RMSE: the least-squares logistic of every resample
    at once (``_batched_logistic``), from ``start``, the fit on all tiles (fitted here if not
    given), and from fit_logistic4's own start. Resamples the batched fit does not settle, and
    data on which curve_fit's outcome is erratic (``_batched_fit_applies``), are scored by
    ``fit_logistic4`` itself, as ``plcc`` and ``rmse`` do.
    """
    pred, target = _validated(pred, target)
    rows = np.atleast_2d(rows)
    if start is None:
        start = fit_logistic4(pred, target)
    per_chunk = max(1, _VALUES_PER_CHUNK // rows.shape[1])
    chunks = []
    for chunk in (rows[first:first + per_chunk] for first in range(0, len(rows), per_chunk)):
        plcc_values, rmse_values = _batched_logistic(pred, target, chunk, start)
        chunks.append({"plcc": plcc_values, "srocc": _srocc_resamples(pred, target, chunk),
                       "krocc": _krocc_resamples(pred, target, chunk), "rmse": rmse_values})
    return {name: np.concatenate([chunk[name] for chunk in chunks]) for name in chunks[0]}


# Batched bootstrap statistics. ``rows`` is a B x N array of tile indices, one resample per row.

# Kendall's tau of all resamples at once takes an N x N table of pair signs; past this many
# tiles the per-resample O(N log N) count is cheaper.
_PAIRWISE_TILES = 2048
# Resampled values handled at once: the fit keeps about fifteen B x N float arrays, 8 MiB each.
_VALUES_PER_CHUNK = 1 << 20


def _srocc_resamples(pred: np.ndarray, target: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Spearman's rho of each resample: Pearson's r of the average ranks, as scipy computes it."""
    rho = _rowwise_pearson(_resample_ranks(pred, rows), _resample_ranks(target, rows))
    rho[_degenerate_rows(pred, target, rows)] = np.nan
    return rho


def _krocc_resamples(pred: np.ndarray, target: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each resample, with scipy's arithmetic (the same floats).

    Two copies of one tile are tied on both sides and add nothing, so the concordant minus the
    discordant pairs of a resample with tile counts c are c' S c / 2, S[i, j] being
    sign(pred_i - pred_j) * sign(target_i - target_j): exact integers in float64.
    """
    if len(pred) > _PAIRWISE_TILES:
        return np.array([krocc(pred[r], target[r]) for r in rows])
    counts = _group_counts(np.arange(len(pred)), rows).astype(np.float64)
    signs = np.sign(pred[:, None] - pred) * np.sign(target[:, None] - target)
    con_minus_dis = np.einsum("bi,bi->b", counts @ signs, counts) / 2
    pairs = rows.shape[1] * (rows.shape[1] - 1) // 2
    untied_pred, untied_target = (pairs - _tied_pairs(values, rows) for values in (pred, target))
    with np.errstate(all="ignore"):
        tau = np.clip(con_minus_dis / np.sqrt(untied_pred) / np.sqrt(untied_target), -1.0, 1.0)
    tau[_degenerate_rows(pred, target, rows)] = np.nan
    return tau


def _group_counts(groups: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """B x G: how often each resample drew a tile of each group (groups: tile -> 0..G-1)."""
    size = int(groups.max()) + 1
    offsets = size * np.arange(len(rows))[:, None]
    return np.bincount((groups[rows] + offsets).ravel(), minlength=size * len(rows)).reshape(-1, size)


def _tie_groups(values: np.ndarray) -> np.ndarray:
    """Each tile's group of equal values, numbered in increasing value."""
    return np.unique(values, return_inverse=True)[1].ravel()


def _resample_ranks(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank) of ``values[r]`` for each resample r, from one
    sort of all tiles: a tie group's ranks follow everything drawn below it."""
    groups = _tie_groups(values)
    counts = _group_counts(groups, rows)
    mean_rank = np.cumsum(counts, axis=1) - (counts - 1) / 2
    return np.take_along_axis(mean_rank, groups[rows], axis=1)


def _tied_pairs(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    counts = _group_counts(_tie_groups(values), rows)
    return (counts * (counts - 1) // 2).sum(axis=1)


def _degenerate_rows(pred: np.ndarray, target: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``_degenerate`` of each resample."""
    if rows.shape[1] < 2:
        return np.ones(len(rows), dtype=bool)
    return (np.ptp(pred[rows], axis=1) == 0) | (np.ptp(target[rows], axis=1) == 0)


def _rowwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        return np.clip(_dot(a, b) / np.sqrt(_dot(a, a) * _dot(b, b)), -1.0, 1.0)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


# The logistic of every resample at once. With x standardised in each resample (xs), logistic4 is
# alpha + beta * expit(a * xs + b): linear in (alpha, beta), which are solved exactly for every
# (a, b), so Levenberg-Marquardt searches (a, b) only (variable projection, Golub and Pereyra, with
# Kaufman's Jacobian). curve_fit's slowest fits crawl for thousands of evaluations along b1 - b2
# and b4 growing together, towards a straight line; here that whole valley is the point a = 0.
# curve_fit stops such a crawl on its tolerance, this fit goes on to a lower SSE: that, and the
# rare resample where the two settle in different local optima, is how far PLCC and RMSE differ.
_FTOL = 1e-10  # an accepted step that lowers the SSE by less than this, relatively: converged
_SETTLED_DAMPING = 1.0  # ... if that step was near Gauss-Newton's, not one shrunk by damping
_MAX_STEPS = 200  # a resample not converged by then is fitted by fit_logistic4
_MAX_DAMPING = 1e12  # no step lowers the SSE any more: fitted by fit_logistic4 too
_DAMPING_FLOOR = 1e-3  # share of trace(J'J) below which no diagonal term scales the damping
_RESOLVED_SPREAD = 1e-4  # of the predictions' size: a smaller spread is left to curve_fit
_STEEPEST = 100.0  # logistic's slope, per std of the predictions, past which it is a step
# Columns of a projection's state: SSE, J'r (a, b), J'J (aa, ab, bb), Pearson's r of s and y.
_SSE, _GRADIENT, _NORMAL, _CORR = 0, slice(1, 3), slice(3, 6), 6


def _batched_logistic(pred: np.ndarray, target: np.ndarray, rows: np.ndarray,
                      start: MonotoneMapping) -> tuple[np.ndarray, np.ndarray]:
    """PLCC and RMSE of every resample, each with the mapping fit_logistic4 would choose: the
    logistic unless the straight line fits better. Degenerate or unconverged resamples, and
    resamples too small for the logistic, are scored by fit_logistic4 itself."""
    x, y = pred[rows], target[rows]
    plcc_values, rmse_values = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    done = np.zeros(len(rows), dtype=bool)
    if rows.shape[1] >= 5 and _batched_fit_applies(pred, start):
        usable = np.flatnonzero((np.ptp(x, axis=1) > 0) & (np.ptp(y, axis=1) > 0))
        xs, centre, scale = _standardised(x[usable])
        yc = y[usable] - y[usable].mean(axis=1, keepdims=True)
        a, state, converged = _best_of_two_starts(xs, yc, start, centre, scale)
        line_corr = _rowwise_pearson(xs, yc)
        line_sse = _dot(yc, yc) * (1 - line_corr**2)
        use_line = state[:, _SSE] > line_sse
        plcc_values[usable] = np.where(use_line, np.where(line_corr == 0, np.nan, line_corr),
                                       np.sign(a) * state[:, _CORR])
        rmse_values[usable] = np.sqrt(np.where(use_line, line_sse, state[:, _SSE]) / rows.shape[1])
        done[usable[converged]] = True
    for i in np.flatnonzero(~done):
        mapping = fit_logistic4(x[i], y[i])
        plcc_values[i], rmse_values[i] = _signed_pearson(mapping, x[i], y[i]), _rmse(mapping(x[i]), y[i])
    return plcc_values, rmse_values


def _batched_fit_applies(pred: np.ndarray, start: MonotoneMapping) -> bool:
    """Whether the batched fit stands in for curve_fit on these tiles: not where curve_fit's own
    outcome is erratic, which only curve_fit repeats, so that the interval describes the estimator
    that gave the estimate. That is on predictions spread over less than _RESOLVED_SPREAD of their
    size, which its finite-difference steps (1.5e-8 relative) do not resolve, and where the fit on
    all tiles is a step (steeper than _STEEPEST): PLCC then scores one split of the tiles, and each
    split point is a local optimum of the least squares."""
    spread = float(np.std(pred))
    if not spread > _RESOLVED_SPREAD * np.max(np.abs(pred)):
        return False
    return start.kind != "logistic" or spread < _STEEPEST * abs(start.params[3])


def _best_of_two_starts(xs: np.ndarray, yc: np.ndarray, start: MonotoneMapping,
                        centre: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """_fit_projected from the fit on all tiles and from fit_logistic4's own start, keeping the
    lower converged SSE of each resample. The first start is near most resamples' optimum; the
    second is curve_fit's, and finds its optimum where a resample's curve differs."""
    a, state, converged = _fit_projected(xs, yc, *_starting_point(start, centre, scale))
    if start.kind != "logistic":
        return a, state, converged  # the first start was already fit_logistic4's
    cold_a, cold_state, cold_converged = _fit_projected(xs, yc, *_starting_point(None, centre, scale))
    take = cold_converged & (~converged | (cold_state[:, _SSE] < state[:, _SSE]))
    a[take], state[take], converged[take] = cold_a[take], cold_state[take], True
    return a, state, converged


def _standardised(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    centre, scale = x.mean(axis=1), x.std(axis=1)
    return (x - centre[:, None]) / scale[:, None], centre, scale


def _starting_point(start: MonotoneMapping | None, centre: np.ndarray,
                    scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of ``start``'s curve in each resample's standard units; without a logistic start,
    fit_logistic4's own start (b3 = mean, b4 = std of the predictions), which is (1, 0) there."""
    if start is None or start.kind != "logistic" or start.params[3] == 0:
        return np.ones_like(centre), np.zeros_like(centre)
    b3, width = start.params[2], abs(start.params[3])
    return scale / width, (centre - b3) / width


def _fit_projected(xs: np.ndarray, yc: np.ndarray, a: np.ndarray,
                   b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Levenberg-Marquardt in (a, b) for all resamples at once, each stopping when an accepted
    step lowers its SSE by less than _FTOL relatively. Returns (a, state, converged)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    state = _project(a, b, xs, yc)
    damping = np.full(len(a), 1e-3)
    converged = np.zeros(len(a), dtype=bool)
    active = np.flatnonzero(np.isfinite(state).all(axis=1))
    for _ in range(_MAX_STEPS):
        if active.size == 0:
            break
        step_a, step_b = _damped_step(state[active], damping[active])
        trial = _project(a[active] + step_a, b[active] + step_b, xs[active], yc[active])
        sse = state[active, _SSE]
        better = np.isfinite(trial).all(axis=1) & (trial[:, _SSE] < sse)
        settled = better & (sse - trial[:, _SSE] <= _FTOL * sse) & (damping[active] <= _SETTLED_DAMPING)
        moved = active[better]
        a[moved], b[moved], state[moved] = a[moved] + step_a[better], b[moved] + step_b[better], trial[better]
        damping[active] = np.where(better, damping[active] / 10, damping[active] * 10)
        converged[active[settled]] = True
        active = active[~settled & (damping[active] < _MAX_DAMPING)]
    return a, state, converged


def _project(a: np.ndarray, b: np.ndarray, xs: np.ndarray, yc: np.ndarray) -> np.ndarray:
    """For each resample, the least-squares alpha + beta * s with s = expit(a * xs + b), as the
    state columns (see _SSE): its SSE, and the gradient and Gauss-Newton matrix in (a, b) with the
    Jacobian projected off span{1, s} (Kaufman)."""
    with np.errstate(all="ignore"):
        z = a[:, None] * xs + b[:, None]
    # Where the curve runs near 1, expit(z) keeps few digits of its differences (curve_fit's fits
    # drift there, towards an exponential); expit(-z) = 1 - expit(z) spans the same curves and
    # keeps them, so each resample uses the side nearer 0 and flips the signs back.
    flip = np.where(z.mean(axis=1) > 0, -1.0, 1.0)
    s = expit(flip[:, None] * z)
    sc = s - s.mean(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        ss, sy = _dot(sc, sc), _dot(sc, yc)
        beta = sy / ss
        residual = yc - beta[:, None] * sc
        slope = (flip * beta)[:, None] * s * (1 - s)  # d(beta * s) / dz
        ja, jb = _off_span(slope * xs, sc, ss), _off_span(slope, sc, ss)
        corr = flip * sy / np.sqrt(ss * _dot(yc, yc))
        return np.stack([_dot(residual, residual), _dot(ja, residual), _dot(jb, residual),
                         _dot(ja, ja), _dot(ja, jb), _dot(jb, jb), corr], axis=1)


def _off_span(v: np.ndarray, sc: np.ndarray, ss: np.ndarray) -> np.ndarray:
    """v minus its least-squares projection on span{1, s} (sc: s centred; ss: sc . sc)."""
    vc = v - v.mean(axis=1, keepdims=True)
    return vc - (_dot(vc, sc) / ss)[:, None] * sc


def _damped_step(state: np.ndarray, damping: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solves (J'J + damping * diag(J'J)) step = J'r, a 2 x 2 system per resample."""
    aa, ab, bb = state[:, _NORMAL].T
    # Marquardt's scaling, floored: where the curve runs exponential, b only shifts it and bb
    # vanishes, and a step scaled by bb alone would not shrink as the damping grows.
    floor = _DAMPING_FLOOR * (aa + bb)
    aa, bb = aa + damping * np.maximum(aa, floor), bb + damping * np.maximum(bb, floor)
    grad_a, grad_b = state[:, _GRADIENT].T
    with np.errstate(all="ignore"):
        det = aa * bb - ab * ab
        return (bb * grad_a - ab * grad_b) / det, (aa * grad_b - ab * grad_a) / det
