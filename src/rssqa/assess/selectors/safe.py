"""Safe recommendation: keep the single best method unless another is predicted to beat it clearly.

Without an assessor, an analyst uses the method that was best on average on labelled data (the
single best solver, SBS). A per-tile recommender is only worth following where it raises accuracy
above that, so this wrapper keeps the SBS unless another method's predicted advantage over it
exceeds a margin. The margin is chosen on the training split alone, by cross-fitting: the base
assessor is fitted on all but one fold of source images and predicts the held-out fold, and the
margin that maximises the accuracy of the resulting picks over all folds is kept (the larger one on
ties, which is the safer), but only if it pays on images it was not chosen on: the picks, each
fold's with the margin chosen on the other folds, must gain over the default by more than one
standard error (over source images), or the default is kept everywhere. The base is then refitted on the
whole training split.

With ``base="auto"`` the base itself is chosen the same way, per experiment: every candidate
(:data:`CANDIDATES`, simplest first: the label-free estimators, the listwise selector, the same
with a softer listwise target, and with fewer feature components too, the stack of the listwise
selector and the label-free estimators) is cross-fitted over the same folds and given its own
margin. The base's predictions are also the accuracy the selector reports, so only
candidates that rank tiles about as well as the best one does held out (mean SROCC within
:data:`TIE`) are eligible; among them the one whose picks close the largest share of the held-out
gap between the default and the per-tile oracle wins, one within :data:`TIE` of it counting as a
tie, and ties go to the simpler. The table it chose from is kept with the selector
(``choice.csv``) and printed by ``rssqa train``.

The wrapper predicts what its base predicts; only its ``selection_scores`` differ, by the margin
added to the SBS's column, so the pick of a whole image (the argmax of its tiles' mean scores)
follows the same rule. The same held-out predictions calibrate per-tile conformal intervals, saved
as ``conformal.json`` beside the selector: normalised by each tile's difficulty, learnt from the
held-out residuals of the other source images (``rssqa.assess.conformal``); slightly wide, since
each came from a base fitted on four fifths of the data and the final base sees it all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checkpoint import read_manifest, write_manifest
from rssqa.assess.checks import require_methods, require_targets
from rssqa.assess.conformal import SplitConformal, save_conformal
from rssqa.assess.cross_fit import Folds, held_out_predictions, source_folds, source_units
from rssqa.assess.registry import (create_assessor, load_assessor, register_assessor,
                                   seeded_kwargs)
from rssqa.assess.stacked import StackedAssessor, stacked_held_out
from rssqa.files import atomic_write_text
from rssqa.metrics import srocc

if TYPE_CHECKING:
    import pandas as pd

KIND = "safe"
BASE_DIR = "base"
CHOICE_FILE = "choice.csv"
AUTO = "auto"  # the base chosen per experiment, among CANDIDATES
# Accuracy predictors only: the pairwise selector's scores are vote shares, not accuracies (it
# stays available as a fixed base). On Dubai-8 with 4 to 16 labelled images, choosing it by gap
# alone left the reported accuracy ranking tiles at SROCC 0.15-0.5.
CANDIDATES = ("agreement", "atc", "doc", "confidence-maxprob", "listwise", "listwise-soft",
              "listwise-compact", "stacked")
# A candidate must close this much more of the held-out gap than a simpler one to be preferred
# (about the spread of the gap closed between selector seeds on Dubai-8), and rank tiles no more
# than this much worse than the best candidate (mean SROCC) to be eligible at all.
TIE = 0.02


def best_margin(predictions: np.ndarray, targets: np.ndarray, default: int) -> float:
    """The margin over the default's predicted score that maximises the mean target of the picks.

    Candidates: 0 and every predicted advantage seen, so each distinct decision rule is tried once;
    no margin at all (always the default) is the largest candidate, and the largest of equals wins.
    """
    advantage = _advantage(predictions, default)
    candidates = np.unique(np.concatenate([[0.0], advantage[advantage > 0], [np.inf]]))
    accuracy = np.array([_picked(predictions, targets, default, margin).mean()
                         for margin in candidates])
    return float(candidates[np.flatnonzero(accuracy >= accuracy.max() - 1e-12)[-1]])


def choose_margin(predictions: np.ndarray, targets: np.ndarray, default: int, folds: Folds,
                  units: list[str]) -> tuple[float, dict]:
    """The margin for these held-out predictions, and what it gives on images it was not chosen on.

    A margin that maximises the picks' accuracy on the tiles it is then scored on looks better than
    it is (with a small gap, noise alone passes for a gain), so its gain is measured honestly: each
    fold's tiles are picked with the margin chosen on the other folds. Unless that honest gain per
    source image exceeds one standard error (the one-standard-error rule of model selection), no
    margin is kept: the default always. Returns the margin and a summary of the honest picks.
    """
    honest, switched = np.empty(len(targets)), np.zeros(len(targets), dtype=bool)
    for fit_index, held_index in folds:
        margin = best_margin(predictions[fit_index], targets[fit_index], default)
        honest[held_index] = _picked(predictions[held_index], targets[held_index], default, margin)
        switched[held_index] = _advantage(predictions[held_index], default) > margin
    if not _gain_exceeds_its_error(honest - targets[:, default], units):
        honest, switched, margin = targets[:, default], np.zeros(len(targets), dtype=bool), np.inf
    else:
        margin = best_margin(predictions, targets, default)
    of_default, of_oracle = float(targets[:, default].mean()), float(targets.max(axis=1).mean())
    headroom = of_oracle - of_default
    return margin, {"accuracy_of_picks": float(honest.mean()),
                    "accuracy_of_default": of_default, "accuracy_of_oracle": of_oracle,
                    "gap_closed": float((honest.mean() - of_default) / headroom) if headroom > 0 else 0.0,
                    "switched_share": float(switched.mean())}


def _gain_exceeds_its_error(gain: np.ndarray, units: list[str]) -> bool:
    """Whether the mean gain over source images exceeds its standard error (images, not tiles,
    are the independent draws)."""
    _, unit = np.unique(np.asarray(units), return_inverse=True)
    per_unit = np.bincount(unit, weights=gain) / np.bincount(unit)
    if len(per_unit) < 2:
        return False
    return bool(per_unit.mean() > per_unit.std(ddof=1) / np.sqrt(len(per_unit)))


def _advantage(predictions: np.ndarray, default: int) -> np.ndarray:
    return predictions.max(axis=1) - predictions[:, default]


def choose_base(rows: list[dict]) -> dict:
    """The row (candidates simplest first, each with its held-out ``gap_closed`` and ``srocc``)
    that wins: among those ranking tiles within TIE of the best SROCC, the simplest within TIE of
    their largest gap closed."""
    ranking = [row["srocc"] for row in rows if np.isfinite(row["srocc"])]
    floor = max(ranking) - TIE if ranking else -np.inf
    eligible = [row for row in rows if not np.isfinite(row["srocc"]) and not ranking
                or np.isfinite(row["srocc"]) and row["srocc"] >= floor]
    best = max(row["gap_closed"] for row in eligible)
    return next(row for row in eligible if row["gap_closed"] >= best - TIE)


def mean_srocc(predictions: np.ndarray, targets: np.ndarray) -> float:
    """Mean over methods of the Spearman correlation of predicted and true accuracy (methods
    whose predictions or accuracies are constant left out; NaN if all are)."""
    values = [srocc(predictions[:, j], targets[:, j]) for j in range(targets.shape[1])]
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _picked(predictions: np.ndarray, targets: np.ndarray, default: int, margin: float) -> np.ndarray:
    scores = predictions.copy()
    scores[:, default] += margin
    return targets[np.arange(len(targets)), np.argmax(scores, axis=1)]


@register_assessor(KIND)
class SafeSelector(Assessor):
    """``SafeSelector(base="listwise")``: the base assessor's predictions, the SBS kept by default.
    ``base="auto"``: the base chosen among ``candidates`` (``base_kwargs``: name -> settings)."""

    name = KIND

    def __init__(self, base: str = "listwise", base_kwargs: dict[str, Any] | None = None,
                 folds: int = 5, seed: int = 0, candidates: list[str] | tuple[str, ...] = CANDIDATES):
        self.base_name, self.base_kwargs = base, dict(base_kwargs or {})
        self.folds, self.seed = folds, seed
        self.candidates = list(candidates) if base == AUTO else [base]
        for name in self.candidates:  # an unknown base or a misspelt setting is refused now
            self._new(name)
        self.chosen: str = base
        self.choice: list[dict] = []  # per candidate: its margin and what it gave held out
        self.base: Assessor | None = None
        self.methods: list[str] = []
        self.default: str | None = None  # the SBS of the training split
        self.margin: float = 0.0
        self.cross_fit: dict = {}  # what the chosen margin gave on the held-out folds
        self.conformal: SplitConformal | None = None  # from the held-out folds' residuals
        self.source: Path | None = None

    def _kwargs(self, name: str) -> dict[str, Any]:
        return dict(self.base_kwargs.get(name, {}) if self.base_name == AUTO else self.base_kwargs)

    def _new(self, name: str) -> Assessor:
        if name == StackedAssessor.name:
            kwargs = self._kwargs(name)
            if self.base_name == AUTO:  # the stack's learned member is the listwise candidate
                kwargs.setdefault("learned_kwargs", self._kwargs("listwise"))
            return StackedAssessor(**{"folds": self.folds, **kwargs, "seed": self.seed})
        return create_assessor(name, **seeded_kwargs(name, self._kwargs(name), self.seed))

    def fit(self, train: AssessmentInputs) -> SafeSelector:
        targets = require_targets(train)
        folds = source_folds(train, self.folds)
        held_out = self._held_out(train, folds)
        default = int(np.argmax(targets.mean(axis=0)))
        units = source_units(train)
        self.choice = []
        for name in self.candidates:
            margin, summary = choose_margin(held_out[name], targets, default, folds, units)
            self.choice.append({"base": name, "margin": margin, **summary,
                                "srocc": mean_srocc(held_out[name], targets)})
        chosen = choose_base(self.choice)
        self.chosen, self.margin = chosen["base"], chosen["margin"]
        self.cross_fit = {k: v for k, v in chosen.items() if k not in ("base", "margin")}
        self.conformal = SplitConformal.calibrate(held_out[self.chosen], targets, groups=units)
        self.methods, self.default = list(train.methods), train.methods[default]
        base = self._new(self.chosen)
        self.base = (base.fit(train, held_out=held_out) if isinstance(base, StackedAssessor)
                     else base.fit(train))
        self.source = None
        return self

    def _held_out(self, train: AssessmentInputs, folds) -> dict[str, np.ndarray]:
        """Each candidate's cross-fitted predictions; a stack reuses its members' (cross-fitted
        once, for the candidates and the stack alike) and cross-fits only its weights."""
        stacked = StackedAssessor.name
        stack = self._new(stacked) if stacked in self.candidates else None
        members = stack.member_names if stack is not None else []
        held_out = {}
        for name in dict.fromkeys([n for n in self.candidates if n != stacked] + members):
            new = (lambda name=name: stack.new_member(name)) if name in members else (
                lambda name=name: self._new(name))
            held_out[name] = held_out_predictions(new, train, folds)
        if stack is not None:
            held_out[stacked] = stacked_held_out(held_out, members, require_targets(train), folds)
        return held_out

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        self._require_fitted()
        return self.base.predict(inputs)

    @property
    def default_method(self) -> str | None:
        return self.default

    def selection_scores(self, predictions: np.ndarray) -> np.ndarray:
        self._require_fitted()
        scores = np.array(predictions, dtype=np.float64, copy=True)
        column = self.methods.index(self.default)
        scores[:, column] = np.inf if np.isinf(self.margin) else scores[:, column] + self.margin
        return scores

    def _require_fitted(self) -> None:
        if self.base is None:
            require_methods([], [])  # raises "not fitted"

    def save(self, directory: str | Path) -> None:
        self._require_fitted()
        directory = Path(directory)
        self.base.save(directory / BASE_DIR)
        if self.conformal is not None:
            save_conformal(directory, self.conformal, self.methods)
        if self.choice:
            atomic_write_text(directory / CHOICE_FILE, choice_table(self.choice).to_csv(index=False))
        write_manifest(directory, KIND, {
            "base": self.base_name, "base_kwargs": self.base_kwargs, "folds": self.folds,
            "seed": self.seed, "candidates": self.candidates, "chosen": self.chosen,
            "default": self.default, "methods": self.methods,
            "margin": None if np.isinf(self.margin) else self.margin, "cross_fit": self.cross_fit})

    @classmethod
    def load(cls, directory: str | Path) -> SafeSelector:
        directory = Path(directory)
        manifest = read_manifest(directory, KIND)
        selector = cls(manifest["base"], manifest["base_kwargs"], manifest["folds"], manifest["seed"],
                       manifest.get("candidates", CANDIDATES))
        selector.chosen = manifest.get("chosen", manifest["base"])
        selector.base = load_assessor(directory / BASE_DIR)
        selector.default = manifest["default"]
        selector.methods = list(manifest["methods"])
        selector.margin = np.inf if manifest["margin"] is None else float(manifest["margin"])
        selector.cross_fit = manifest["cross_fit"]
        selector.source = directory
        return selector


def choice_table(choice: list[dict]) -> pd.DataFrame:
    """The candidates as ``rssqa train`` prints them: held-out gap closed, accuracy of the picks,
    the margin and how often it leaves the default; the chosen one marked."""
    import pandas as pd  # here: opening an experiment to recommend never needs it

    table = pd.DataFrame(choice)
    chosen = choose_base(choice)["base"]
    table.insert(0, "chosen", np.where(table["base"] == chosen, "*", ""))
    return table
