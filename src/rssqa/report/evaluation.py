"""The paper's evaluation protocol, with bootstrap intervals.

Per method: PLCC (after the 4-parameter logistic), SROCC, KROCC and RMSE between predicted and
true overall accuracy over the test tiles. Across methods: P@1 and P@3 of the recommendation, and
what following the recommendations gains against always using the single best solver (SBS):
OA of the picks, regret against the per-tile oracle, share of the SBS-to-oracle gap closed
(``rssqa.metrics.selection``), per tile and per whole source image. Every figure comes with a 95%
percentile-bootstrap interval over the units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rssqa.metrics import (MEASURES, bootstrap_ci, correlation_intervals, image_selection_summary, krocc,
                           pick_table, plcc, precision_at_1, precision_at_k, rmse, selection_summary, srocc)

CORRELATIONS = {"plcc": plcc, "srocc": srocc, "krocc": krocc, "rmse": rmse}


@dataclass
class Evaluation:
    """``per_method``: one row per method with each metric and its interval (``*_low``, ``*_high``);
    ``recommendation``: one row with P@1 and P@3 and their intervals; ``selection``: one row per
    level ("tile", then "image" when sources were given) of ``SelectionSummary.as_row``, empty
    when no SBS was given."""

    assessor: str
    per_method: pd.DataFrame
    recommendation: pd.DataFrame
    selection: pd.DataFrame = field(default_factory=pd.DataFrame)


def evaluate_predictions(pred: np.ndarray, true: np.ndarray, methods: list[str], assessor: str = "",
                         n_boot: int = 1000, seed: int = 0, *, selection: np.ndarray | None = None,
                         sbs: int | None = None,
                         sources: Sequence[str] | None = None) -> Evaluation:
    """Score N x M predictions against N x M true accuracies (columns in ``methods`` order).

    ``selection``: the assessor's ``selection_scores(pred)``, whose row argmax is its pick (the
    predictions themselves when omitted); P@1, P@3 and the selection measures score the picks,
    the correlations the predictions. ``sbs``: column of the single best solver, chosen on the
    train split (``rssqa.metrics.single_best``); without it the selection measures are skipped.
    ``sources``: each tile's source image, for the same measures per whole image.
    """
    pred, true = np.asarray(pred, float), np.asarray(true, float)
    scores = pred if selection is None else np.asarray(selection, float)
    chosen = pick_table(scores)  # P@k refuses the +inf a safe selector may give its default
    rows = []
    for j, method in enumerate(methods):
        row = {"method": method}
        # All four in one pass over the resamples bootstrap_ci(metric, ...) would draw, the logistic
        # refitted batched: a curve_fit per resample and metric was nearly all of evaluate's time.
        for name, interval in correlation_intervals(pred[:, j], true[:, j], n_boot, seed).items():
            row |= _with_interval(name, interval)
        rows.append(row)
    recommendation = {"tiles": len(pred)}
    recommendation |= _with_interval("p@1", bootstrap_ci(precision_at_1, chosen, true, n_boot=n_boot, seed=seed))
    if len(methods) >= 3:  # with fewer methods "top three" is not defined
        recommendation |= _with_interval("p@3", bootstrap_ci(lambda p, t: precision_at_k(p, t, k=3), chosen,
                                                             true, n_boot=n_boot, seed=seed))
    levels = []
    if sbs is not None:
        levels.append(selection_summary(scores, true, sbs, n_boot, seed).as_row(methods))
        if sources:
            levels.append(image_selection_summary(scores, true, sbs, sources, n_boot, seed).as_row(methods))
    return Evaluation(assessor, pd.DataFrame(rows), pd.DataFrame([recommendation]), pd.DataFrame(levels))


def _with_interval(name: str, interval) -> dict:
    return {name: interval.estimate, f"{name}_low": interval.low, f"{name}_high": interval.high}


def format_interval(frame: pd.DataFrame, name: str, digits: int = 3) -> pd.Series:
    """'0.812 [0.75, 0.86]' strings for a metric column and its bounds."""
    return frame.apply(lambda r: f"{r[name]:.{digits}f} [{r[f'{name}_low']:.{digits}f}, "
                                 f"{r[f'{name}_high']:.{digits}f}]", axis=1)


def summary_table(evaluations: list[Evaluation], digits: int = 3) -> pd.DataFrame:
    """One row per assessor: mean SROCC/PLCC over methods, P@1 and P@3, and the tile-level
    selection measures (OA of picks, regret, gap closed, gap closed vs hindsight SBS), each with
    its interval, and the p-value of OA(picks) - OA(SBS).

    ``attrs["references"]`` holds the sentence naming the SBS, hindsight SBS and VBS OAs.
    """
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
            **_selection_cells(_level_row(ev, "tile"), digits),
            "tiles": int(rec["tiles"]),
        })
    table = pd.DataFrame(rows)
    table.attrs["references"] = references_sentence(selection_records(evaluations, "tile"), digits)
    return table


def selection_records(evaluations: list[Evaluation], level: str = "tile") -> pd.DataFrame:
    """Unformatted selection measures at ``level`` ("tile" or "image"), one row per assessor:
    each measure with ``low``/``high``, OA(picks) - OA(SBS), its p-value and the references."""
    rows = [{"assessor": ev.assessor, **_level_row(ev, level)} for ev in evaluations
            if _level_row(ev, level)]
    return pd.DataFrame(rows)


def selection_table(evaluations: list[Evaluation], level: str = "tile", digits: int = 3) -> pd.DataFrame:
    """Formatted selection measures at ``level``, one row per assessor, as in ``summary_table``."""
    return pd.DataFrame([{"assessor": ev.assessor, **_selection_cells(_level_row(ev, level), digits),
                          "units": _level_row(ev, level).get("units", 0)} for ev in evaluations])


def format_selection_records(records: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """The cells of ``selection_table`` from a ``selection_records`` table (e.g. read back from
    selection.csv or selection_images.csv)."""
    return pd.DataFrame([{"assessor": row["assessor"], **_selection_cells(row.to_dict(), digits),
                          "units": int(row["units"])} for _, row in records.iterrows()])


def references_sentence(records: pd.DataFrame, digits: int = 3) -> str:
    """The references of a ``selection_records`` table (the same for every assessor) in words."""
    if records.empty:
        return "No selection references: no single best solver was given."
    row = records.iloc[0]
    unit = "images" if row["level"] == "image" else "tiles"
    return (f"References on {int(row['units'])} test {unit}: SBS = {row['SBS']} (best mean on the "
            f"train split), OA {row['OA(SBS)']:.{digits}f}; hindsight SBS = {row['hindsight SBS']} "
            f"(best on these {unit}), OA {row['OA(hindsight SBS)']:.{digits}f}; VBS (per-"
            f"{unit[:-1]} oracle), OA {row['OA(VBS)']:.{digits}f}.")


def selection_verdict(record: pd.Series, assessor: str, digits: int = 3) -> str:
    """Plainly: does following ``assessor``'s picks beat always using the SBS? A difference
    counts when the paired bootstrap gives p < 0.05."""
    unit = "images" if record["level"] == "image" else "tiles"
    diff, p = record["OA(picks) - OA(SBS)"], record["p vs SBS"]
    if diff > 0 and p < 0.05:
        verdict = "beats always using the SBS"
    elif diff < 0 and p < 0.05:
        verdict = "is worse than always using the SBS"
    else:
        verdict = "does not beat always using the SBS (no clear difference on these data)"
    return (f"Following {assessor}'s recommendations on the test {unit} {verdict}: OA "
            f"{record['OA of picks']:.{digits}f} against {record['OA(SBS)']:.{digits}f} for "
            f"{record['SBS']} everywhere (difference {diff:+.{digits}f}, paired bootstrap "
            f"p = {p:.{digits}f}).")


def _level_row(ev: Evaluation, level: str) -> dict:
    if ev.selection.empty or level not in set(ev.selection["level"]):
        return {}
    return ev.selection.loc[ev.selection["level"] == level].iloc[0].to_dict()


def _selection_cells(row: dict, digits: int) -> dict:
    """'0.123 [0.100, 0.200]' per selection measure and the p vs SBS; 'n/a' without an SBS."""
    if not row:
        return {name: "n/a" for name in (*MEASURES, "p vs SBS")}
    cells = {name: f"{row[name]:.{digits}f} [{row[f'{name} low']:.{digits}f}, "
                   f"{row[f'{name} high']:.{digits}f}]" if not np.isnan(row[name])
             else "n/a (no gap)" for name in MEASURES}  # the reference already is the oracle
    return cells | {"p vs SBS": f"{row['p vs SBS']:.{digits}f}"}


def per_method_table(evaluations: list[Evaluation], digits: int = 3) -> pd.DataFrame:
    """Long table: assessor, method, and each correlation metric with its interval."""
    frames = []
    for ev in evaluations:
        frame = pd.DataFrame({"assessor": ev.assessor, "method": ev.per_method["method"]})
        for name in CORRELATIONS:
            frame[name.upper()] = format_interval(ev.per_method, name, digits)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
