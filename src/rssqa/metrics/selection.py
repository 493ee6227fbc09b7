"""Does following the recommendations pay? Accuracy of the picks against fixed references.

P@1 and P@3 count how often the pick is (near) the best, but not what a wrong pick costs: an
assessor with a fair P@1 can still lower accuracy against simply using one good method
everywhere. These measures put the accuracy of the picks between two references, in the terms of
algorithm selection:

- SBS (single best solver): the method with the highest mean accuracy on the SQED *train*
  split, which a user can choose without any test label (``single_best``);
- VBS (virtual best solver): the per-tile oracle, the best true accuracy of every tile;
- hindsight SBS: the best single method on the evaluated tiles themselves, a stricter reference
  that no user could have chosen in advance.

``regret`` is what is left on the table against the oracle; ``gap closed`` is the share of the
SBS-to-VBS gap the picks recover (1: oracle, 0: no better than the SBS, below 0: worse).

Scores S and true accuracy T are N x M tables (units x methods, same column order); the pick of a
row is the argmax of S, first column on ties, as ``rssqa.metrics.ranking.recommend``. S may hold
+-inf (a safe selector with an infinite margin scores its default +inf), never NaN. Units are
tiles, or whole source images after ``per_image`` averages their tiles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rssqa.errors import InputError
from rssqa.metrics.bootstrap import Interval, PairedComparison, bootstrap_ci, paired_bootstrap_test
from rssqa.metrics.ranking import _score_table

Metric = Callable[[np.ndarray, np.ndarray], float]

OA_OF_PICKS, REGRET, GAP_CLOSED, GAP_CLOSED_HINDSIGHT = (
    "OA of picks", "regret", "gap closed", "gap closed vs hindsight SBS")
MEASURES = (OA_OF_PICKS, REGRET, GAP_CLOSED, GAP_CLOSED_HINDSIGHT)


def single_best(train_true: np.ndarray) -> int:
    """Column of the method with the highest mean accuracy (first on ties).

    Called on the train split's targets it gives the SBS a user can know without test labels.
    """
    return int(np.argmax(_score_table(train_true, "true scores").mean(axis=0)))


def picks(scores: np.ndarray) -> np.ndarray:
    """Column of each row's pick: argmax along the last axis, first on ties; +-inf allowed."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim < 2 or 0 in scores.shape or np.isnan(scores).any():
        raise InputError(None, f"selection scores of shape {scores.shape} with NaN or no entries",
                         "pass a non-empty tiles x methods table without NaN")
    return np.argmax(scores, axis=-1)


def pick_table(scores: np.ndarray) -> np.ndarray:
    """One-hot table (same shape) of each row's pick: finite, with the same argmax.

    P@k refuses infinite scores (a guard on predictions); it scores a selector through this.
    """
    return (np.arange(np.shape(scores)[-1]) == picks(scores)[..., None]).astype(np.float64)


def picks_oa(scores: np.ndarray, true: np.ndarray) -> float:
    """Mean true accuracy of the picked method (argmax of ``scores``) over the rows."""
    scores, true = _selection_tables(scores, true)
    return float(np.take_along_axis(true, picks(scores)[:, None], axis=1).mean())


def _selection_tables(scores: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    true = _score_table(true, "true scores")
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != true.shape:
        raise InputError(None, f"selection scores of shape {scores.shape} against true scores of "
                         f"shape {true.shape}", "pass tiles x methods tables in the same order")
    picks(scores)  # raises on NaN
    return scores, true


def column_oa(true: np.ndarray, column: int) -> float:
    """Mean true accuracy of always using one method: the OA of the SBS when ``column`` is it."""
    true = _score_table(true, "true scores")
    _check_column(column, true.shape[1])
    return float(true[:, column].mean())


def vbs_oa(true: np.ndarray) -> float:
    """Mean of each row's best true accuracy: the per-unit oracle no selector can beat."""
    return float(_score_table(true, "true scores").max(axis=1).mean())


def hindsight_sbs(true: np.ndarray) -> int:
    """Best single method on these very rows (first on ties): known only after the labels."""
    return single_best(true)


def regret(scores: np.ndarray, true: np.ndarray) -> float:
    """OA(VBS) - OA(picks): accuracy lost against the oracle, 0 for a perfect selector."""
    return vbs_oa(true) - picks_oa(scores, true)


def gap_closed(scores: np.ndarray, true: np.ndarray, sbs: int) -> float:
    """(OA(picks) - OA(SBS)) / (OA(VBS) - OA(SBS)); NaN when the SBS is (within ``MIN_GAP``)
    already the oracle."""
    return _share_of_gap(picks_oa(scores, true), column_oa(true, sbs), vbs_oa(true))


def gap_closed_hindsight(scores: np.ndarray, true: np.ndarray) -> float:
    """``gap_closed`` against the hindsight SBS of these rows (recomputed in every resample)."""
    return gap_closed(scores, true, hindsight_sbs(true))


# An oracle gain below a tenth of an accuracy point is no gap to share: dividing by it turns a
# rounding-size difference into a share of -200 (seen on the demo's eight test images).
MIN_GAP = 1e-3


def _share_of_gap(picks: float, reference: float, oracle: float) -> float:
    gap = oracle - reference
    return float("nan") if abs(gap) < MIN_GAP else (picks - reference) / gap


def _check_column(column: int, num_methods: int) -> None:
    if not 0 <= column < num_methods:
        raise InputError(None, f"method column {column} in a table of {num_methods} methods",
                         f"give a column between 0 and {num_methods - 1}")


def one_hot(rows: int, num_methods: int, column: int) -> np.ndarray:
    """Score table that always picks ``column``: the SBS as a selector, for paired tests."""
    _check_column(column, num_methods)
    table = np.zeros((rows, num_methods))
    table[:, column] = 1.0
    return table


def selection_metrics(sbs: int) -> dict[str, Metric]:
    """The four measures as ``metric(scores, true)`` with the SBS column fixed, in report order.

    The same functions serve ``rssqa evaluate`` and the benchmark, so both report one thing.
    """
    return {OA_OF_PICKS: picks_oa, REGRET: regret,
            GAP_CLOSED: lambda s, t: gap_closed(s, t, sbs),
            GAP_CLOSED_HINDSIGHT: gap_closed_hindsight}


def per_image(scores: np.ndarray, true: np.ndarray,
              sources: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(image ids, image scores, image accuracy): each image's tiles averaged.

    ``rssqa recommend`` picks one method per whole image from its tiles' mean scores; tiles are
    equal-sized, so the mean tile accuracy is the image's accuracy. Images keep the order in which
    they first appear.
    """
    scores, true = _selection_tables(scores, true)
    if len(sources) != len(scores):
        raise InputError(None, f"{len(sources)} source ids for {len(scores)} tiles",
                         "give the source image of every tile (AssessmentInputs.sources)")
    images, first, index = np.unique(np.asarray(sources, dtype=str), return_index=True,
                                     return_inverse=True)
    counts = np.bincount(index, minlength=len(images))[:, None]
    mean = [np.stack([np.bincount(index, col, len(images)) for col in table.T], 1) / counts
            for table in (scores, true)]
    order = np.argsort(first)
    return [str(images[k]) for k in order], mean[0][order], mean[1][order]


@dataclass(frozen=True)
class SelectionSummary:
    """The selection measures of one assessor at one level ("tile" or "image").

    ``measures``: name -> estimate with its 95% bootstrap interval over units; ``vs_sbs``: paired
    bootstrap test of OA(picks) - OA(SBS); the references are point values on all units.
    """

    level: str
    units: int
    sbs: int
    hindsight_sbs: int
    oa_sbs: float
    oa_hindsight_sbs: float
    oa_vbs: float
    measures: dict[str, Interval]
    vs_sbs: PairedComparison

    def as_row(self, methods: Sequence[str] | None = None) -> dict:
        """Flat record for a CSV: ``<measure>``, ``<measure> low``/``high``, references, p."""
        name = (lambda j: methods[j]) if methods is not None else (lambda j: j)
        row = {"level": self.level, "units": self.units}
        for measure, interval in self.measures.items():
            row |= {measure: interval.estimate, f"{measure} low": interval.low,
                    f"{measure} high": interval.high}
        return row | {"OA(picks) - OA(SBS)": self.vs_sbs.diff, "p vs SBS": self.vs_sbs.p_value,
                      "SBS": name(self.sbs), "OA(SBS)": self.oa_sbs,
                      "hindsight SBS": name(self.hindsight_sbs),
                      "OA(hindsight SBS)": self.oa_hindsight_sbs, "OA(VBS)": self.oa_vbs}


def selection_summary(scores: np.ndarray, true: np.ndarray, sbs: int, n_boot: int = 1000,
                      seed: int = 0, level: str = "tile") -> SelectionSummary:
    """Every selection measure with its interval, the references and the test against the SBS.

    Rows of ``scores`` and ``true`` are resampled together; the SBS column stays fixed (it was
    chosen on the train split), the hindsight SBS is chosen anew in every resample.
    """
    scores, true = _selection_tables(scores, true)
    _check_column(sbs, true.shape[1])
    measures = {name: bootstrap_ci(metric, scores, true, n_boot=n_boot, seed=seed)
                for name, metric in selection_metrics(sbs).items()}
    vs_sbs = paired_bootstrap_test(picks_oa, scores, one_hot(*true.shape, sbs), true,
                                   n_boot=n_boot, seed=seed)
    hindsight = hindsight_sbs(true)
    return SelectionSummary(level, len(true), sbs, hindsight, column_oa(true, sbs),
                            column_oa(true, hindsight), vbs_oa(true), measures, vs_sbs)


def image_selection_summary(scores: np.ndarray, true: np.ndarray, sbs: int,
                            sources: Sequence[str], n_boot: int = 1000,
                            seed: int = 0) -> SelectionSummary:
    """``selection_summary`` over whole source images, the unit ``rssqa recommend`` picks for."""
    _, image_scores, image_true = per_image(scores, true, sources)
    return selection_summary(image_scores, image_true, sbs, n_boot, seed, level="image")
