"""Tables of the benchmark: every metric with its seed spread and a 95% bootstrap interval, the
paired tests against the reference, what following the picks gains against the single best
solver (per tile and per source image), conformal coverage and costs.

P@1, P@3 and the selection measures score each run's picks (the argmax of its selection
scores); the correlations score its predictions.

Seeds and tiles are two sources of variation, reported apart: ``sd`` is the spread of a metric
over training seeds; the interval resamples test tiles (rows stay whole, so a tile's methods and
seeds move together) and scores the seed-averaged metric in each resample.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from rssqa.assess.conformal import SplitConformal
from rssqa.benchmark.runner import RunResult
from rssqa.metrics import (MEASURES, bootstrap_ci, column_oa, correlation_scores, hindsight_sbs,
                           one_hot, paired_bootstrap_test, per_image, pick_table, picks_oa,
                           precision_at_1,
                           precision_at_k, selection_metrics, vbs_oa)

Metric = Callable[[np.ndarray, np.ndarray], float]  # (N x M predicted, N x M true) -> value

CORRELATIONS = {"PLCC": "plcc", "SROCC": "srocc", "KROCC": "krocc", "RMSE": "rmse"}
LOWER_IS_BETTER = {"RMSE", "regret"}
# Metrics of the pick (row argmax): scored on the assessor's selection scores, not its predictions.
ON_PICKS = {"P@1", "P@3", *MEASURES}


class CorrelationMemo:
    """``correlation_scores`` of a (predicted, true) pair, computed once for all four metrics.

    Each metric's bootstrap draws the same resamples (same seed), and PLCC and RMSE share one
    logistic fit, the dominant cost: the memo makes the four intervals cost about one.
    """

    def __init__(self) -> None:
        self._scores: dict[bytes, dict[str, float]] = {}

    def __call__(self, pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
        pred, true = np.ascontiguousarray(pred, np.float64), np.ascontiguousarray(true, np.float64)
        key = hashlib.blake2b(pred.tobytes() + true.tobytes(), digest_size=16).digest()
        if key not in self._scores:
            self._scores[key] = correlation_scores(pred, true)
        return self._scores[key]


def mean_over_methods(memo: CorrelationMemo, name: str) -> Metric:
    """The paper's summary of a per-method correlation: its mean over the pool's methods."""
    def averaged(pred: np.ndarray, true: np.ndarray) -> float:
        return float(np.mean([memo(pred[:, m], true[:, m])[name] for m in range(true.shape[1])]))
    return averaged


def table_metrics(num_methods: int, memo: CorrelationMemo | None = None) -> dict[str, Metric]:
    memo = memo or CorrelationMemo()
    metrics = {label: mean_over_methods(memo, name) for label, name in CORRELATIONS.items()}
    metrics["P@1"] = precision_at_1
    if num_methods >= 3:  # "top three" needs three methods
        metrics["P@3"] = lambda pred, true: precision_at_k(pred, true, k=3)
    return metrics


def seed_averaged(metric: Metric) -> Callable[[np.ndarray, np.ndarray], float]:
    """Metric of N x S x M predictions: its mean over the S seed runs."""
    def averaged(pred: np.ndarray, true: np.ndarray) -> float:
        return float(np.mean([metric(pred[:, s], true) for s in range(pred.shape[1])]))
    return averaged


def scored(result: RunResult, metric: str) -> np.ndarray:
    """S x N x M test scores a metric reads: the picks' selection scores for P@k and the
    selection measures, the predictions for the correlations."""
    # One-hot picks: the same argmax, finite where a safe selector scores its default +inf.
    return pick_table(result.picks("test")) if metric in ON_PICKS else result.test


def metric_table(results: list[RunResult], true: np.ndarray, metrics: dict[str, Metric],
                 n_boot: int, seed: int = 0) -> pd.DataFrame:
    """One row per run; per metric the seed-mean estimate, seed sd, and bootstrap bounds
    (columns ``<metric>``, ``<metric> sd``, ``<metric> low``, ``<metric> high``), and the number
    of seed runs."""
    rows = []
    for result in results:
        row = {"assessor": result.spec.label, "seeds": len(result.seeds)}
        for name, metric in metrics.items():
            scores = scored(result, name)
            per_seed = [metric(scores[s], true) for s in range(len(result.seeds))]
            interval = bootstrap_ci(seed_averaged(metric), np.moveaxis(scores, 0, 1), true,
                                    n_boot=n_boot, seed=seed)
            row |= {name: float(np.mean(per_seed)), f"{name} sd": float(np.std(per_seed)),
                    f"{name} low": interval.low, f"{name} high": interval.high}
        rows.append(row)
    return pd.DataFrame(rows).set_index("assessor")


def per_method_table(results: list[RunResult], true: np.ndarray, methods: list[str]) -> pd.DataFrame:
    """Seed-mean point estimates of each correlation per segmentation method."""
    rows = []
    for result in results:
        for column, method in enumerate(methods):
            row = {"assessor": result.spec.label, "method": method}
            scores = [correlation_scores(result.test[s][:, column], true[:, column])
                      for s in range(len(result.seeds))]
            for label, name in CORRELATIONS.items():
                row[label] = float(np.mean([score[name] for score in scores]))
            rows.append(row)
    return pd.DataFrame(rows).set_index(["assessor", "method"])


def paired_tests(reference: RunResult, others: list[RunResult], true: np.ndarray,
                 metrics: dict[str, Metric], n_boot: int, seed: int = 0) -> pd.DataFrame:
    """Reference minus each other run on the same resampled tiles: difference, its 95% interval
    and a two-sided p-value, per metric."""
    rows = []
    for other in others:
        for name, metric in metrics.items():
            comparison = paired_bootstrap_test(seed_averaged(metric),
                                               np.moveaxis(scored(reference, name), 0, 1),
                                               np.moveaxis(scored(other, name), 0, 1), true,
                                               n_boot=n_boot, seed=seed)
            rows.append({"against": other.spec.label, "metric": name, "difference": comparison.diff,
                         "low": comparison.low, "high": comparison.high,
                         "p": comparison.p_value})
    return pd.DataFrame(rows).set_index(["against", "metric"])


def selection_table(results: list[RunResult], true: np.ndarray, sbs: int, n_boot: int,
                    seed: int = 0) -> pd.DataFrame:
    """``metric_table`` of the selection measures (OA of picks, regret, gap closed, gap closed vs
    hindsight SBS) on the runs' selection scores, plus the paired test of the seed-averaged
    OA(picks) - OA(SBS) (columns ``OA(picks) - OA(SBS)`` and ``p vs SBS``).

    ``sbs`` is the column chosen on the fit and calibration targets, never on the test units.
    """
    table = metric_table(results, true, selection_metrics(sbs), n_boot, seed)
    for result in results:
        picks = np.moveaxis(result.picks("test"), 0, 1)
        always_sbs = np.repeat(one_hot(len(true), true.shape[1], sbs)[:, None], picks.shape[1], 1)
        comparison = paired_bootstrap_test(seed_averaged(picks_oa), picks, always_sbs, true,
                                           n_boot=n_boot, seed=seed)
        table.loc[result.spec.label, "OA(picks) - OA(SBS)"] = comparison.diff
        table.loc[result.spec.label, "p vs SBS"] = comparison.p_value
    return table


def per_image_results(results: list[RunResult], true: np.ndarray,
                      sources: list[str]) -> tuple[list[RunResult], np.ndarray]:
    """The runs and true accuracy with each source image's tiles averaged (``per_image``): the
    unit ``rssqa recommend`` picks a method for. Calibration parts are left as they are."""
    images = []
    for result in results:
        picks, test = [], []
        for s in range(len(result.seeds)):
            _, image_picks, image_true = per_image(result.picks("test")[s], true, sources)
            picks.append(image_picks)
            test.append(per_image(result.test[s], true, sources)[1])
        images.append(replace(result, test=np.stack(test), selection=np.stack(picks)))
    return images, per_image(true, true, sources)[2]


def selection_references(true: np.ndarray, sbs: int, methods: list[str], unit: str) -> str:
    """The references of the selection table in one sentence: SBS, hindsight SBS, VBS OAs."""
    hindsight = hindsight_sbs(true)
    return (f"References on {len(true)} test {unit}: SBS = {methods[sbs]} (best mean OA on the fit "
            f"and calibration tiles), OA {column_oa(true, sbs):.3f}; hindsight SBS = "
            f"{methods[hindsight]} (best on these {unit}), OA {column_oa(true, hindsight):.3f}; "
            f"VBS (per-{unit[:-1]} oracle), OA {vbs_oa(true):.3f}.")


def formatted_selection(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """``formatted`` cells of the selection measures and the p-value against the SBS."""
    cells = formatted(table, list(MEASURES), digits)
    for name in MEASURES:  # a gap share is undefined where the reference already is the oracle
        cells.loc[table[name].isna().to_numpy(), name] = "n/a (no gap)"
    cells["p vs SBS"] = [f"{p:.{digits}f}" for p in table["p vs SBS"]]
    return cells


def coverage_table(results: list[RunResult], true_calibration: np.ndarray,
                   true_test: np.ndarray, levels: tuple[float, ...]) -> pd.DataFrame:
    """Split-conformal coverage on test and mean interval width per level, averaged over seeds
    (each seed's assessor is calibrated on its own calibration predictions)."""
    rows = []
    for result in results:
        coverages, widths = [], []
        for s in range(len(result.seeds)):
            conformal = SplitConformal.calibrate(result.calibration[s], true_calibration, levels)
            coverages.append(conformal.coverage(result.test[s], true_test))
            widths.append(conformal.mean_width())
        row = {"assessor": result.spec.label}
        for level in levels:
            row[f"coverage@{level:g}"] = float(np.mean([c[level] for c in coverages]))
            row[f"width@{level:g}"] = float(np.mean([w[level] for w in widths]))
        rows.append(row)
    return pd.DataFrame(rows).set_index("assessor")


def cost_table(results: list[RunResult]) -> pd.DataFrame:
    return pd.DataFrame([{"assessor": r.spec.label, "seed runs": len(r.seeds),
                          "fit s (mean)": float(np.mean(r.fit_seconds)),
                          "predict ms/tile": 1000 * float(np.mean(r.predict_seconds_per_tile))}
                         for r in results]).set_index("assessor")


def formatted(table: pd.DataFrame, metrics: list[str], digits: int = 3) -> pd.DataFrame:
    """'0.812 ± 0.010 [0.751, 0.860]' cells (± is the seed sd, shown when there are seeds); an
    undefined metric reads 'n/a' with its usual reason instead of 'nan [nan, nan]'."""
    cells = {}
    for name in metrics:
        cells[name] = [
            UNDEFINED if np.isnan(row[name]) else
            f"{row[name]:.{digits}f}"
            + (f" ± {row[f'{name} sd']:.{digits}f}" if row["seeds"] > 1 else "")
            + f" [{row[f'{name} low']:.{digits}f}, {row[f'{name} high']:.{digits}f}]"
            for _, row in table.iterrows()]
    return pd.DataFrame(cells, index=table.index)


# A correlation is undefined when an assessor predicts one value per method (the prior).
UNDEFINED = "n/a (constant prediction)"


def losses_of_reference(table: pd.DataFrame, reference: str, metrics: list[str]) -> list[tuple[str, str]]:
    """(metric, run) pairs where a run's estimate beats the reference's."""
    losses = []
    for name in metrics:
        ours = table.loc[reference, name]
        for label, value in table[name].items():
            if label == reference or np.isnan(value) or np.isnan(ours):
                continue
            better = value < ours if name in LOWER_IS_BETTER else value > ours
            if better:
                losses.append((name, label))
    return losses
