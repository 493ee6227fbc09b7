"""The paper's evaluation protocol, with bootstrap intervals.

Per method: PLCC (after the 4-parameter logistic), SROCC, KROCC and RMSE between predicted and
true overall accuracy over the test tiles. Across methods: P@1 and P@3 of the recommendation.
Every figure comes with a 95% percentile-bootstrap interval over tiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rssqa.metrics import bootstrap_ci, krocc, plcc, precision_at_1, precision_at_k, rmse, srocc

CORRELATIONS = {"plcc": plcc, "srocc": srocc, "krocc": krocc, "rmse": rmse}


@dataclass
class Evaluation:
    """``per_method``: one row per method with each metric and its interval (``*_low``, ``*_high``);
    ``recommendation``: one row with P@1 and P@3 and their intervals."""

    assessor: str
    per_method: pd.DataFrame
    recommendation: pd.DataFrame


def evaluate_predictions(pred: np.ndarray, true: np.ndarray, methods: list[str], assessor: str = "",
                         n_boot: int = 1000, seed: int = 0) -> Evaluation:
    """Score N x M predictions against N x M true accuracies (columns in ``methods`` order)."""
    pred, true = np.asarray(pred, float), np.asarray(true, float)
    rows = []
    for j, method in enumerate(methods):
        row = {"method": method}
        for name, metric in CORRELATIONS.items():
            row |= _with_interval(name, bootstrap_ci(metric, pred[:, j], true[:, j], n_boot=n_boot, seed=seed))
        rows.append(row)
    recommendation = {"tiles": len(pred)}
    recommendation |= _with_interval("p@1", bootstrap_ci(precision_at_1, pred, true, n_boot=n_boot, seed=seed))
    if len(methods) >= 3:  # with fewer methods "top three" is not defined
        recommendation |= _with_interval("p@3", bootstrap_ci(lambda p, t: precision_at_k(p, t, k=3), pred,
                                                             true, n_boot=n_boot, seed=seed))
    return Evaluation(assessor, pd.DataFrame(rows), pd.DataFrame([recommendation]))


def _with_interval(name: str, interval) -> dict:
    return {name: interval.estimate, f"{name}_low": interval.low, f"{name}_high": interval.high}


def format_interval(frame: pd.DataFrame, name: str, digits: int = 3) -> pd.Series:
    """'0.812 [0.75, 0.86]' strings for a metric column and its bounds."""
    return frame.apply(lambda r: f"{r[name]:.{digits}f} [{r[f'{name}_low']:.{digits}f}, "
                                 f"{r[f'{name}_high']:.{digits}f}]", axis=1)


def summary_table(evaluations: list[Evaluation], digits: int = 3) -> pd.DataFrame:
    """One row per assessor: mean SROCC/PLCC over methods, P@1 and P@3 with intervals."""
    rows = []
    for ev in evaluations:
        rec = ev.recommendation.iloc[0]
        rows.append({
            "assessor": ev.assessor,
            "SROCC (mean over methods)": f"{ev.per_method['srocc'].mean():.{digits}f}",
            "PLCC (mean over methods)": f"{ev.per_method['plcc'].mean():.{digits}f}",
            "P@1": format_interval(ev.recommendation, "p@1", digits).iloc[0],
            "P@3": (format_interval(ev.recommendation, "p@3", digits).iloc[0]
                    if "p@3" in ev.recommendation else "n/a"),
            "tiles": int(rec["tiles"]),
        })
    return pd.DataFrame(rows)


def per_method_table(evaluations: list[Evaluation], digits: int = 3) -> pd.DataFrame:
    """Long table: assessor, method, and each correlation metric with its interval."""
    frames = []
    for ev in evaluations:
        frame = pd.DataFrame({"assessor": ev.assessor, "method": ev.per_method["method"]})
        for name in CORRELATIONS:
            frame[name.upper()] = format_interval(ev.per_method, name, digits)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
