"""Safe recommendation: keep the single best method unless another is predicted to beat it clearly.

Without an assessor, an analyst uses the method that was best on average on labelled data (the
single best solver, SBS). A per-tile recommender is only worth following where it raises accuracy
above that, so this wrapper keeps the SBS unless another method's predicted advantage over it
exceeds a margin. The margin is chosen on the training split alone, by cross-fitting: the base
assessor is fitted on all but one fold of source images and predicts the held-out fold, and the
margin that maximises the accuracy of the resulting picks over all folds is kept (the larger one on
ties, which is the safer). The base is then refitted on the whole training split.

The wrapper predicts what its base predicts; only its ``selection_scores`` differ, by the margin
added to the SBS's column, so the pick of a whole image (the argmax of its tiles' mean scores)
follows the same rule. The same held-out predictions calibrate per-tile conformal intervals, saved
as ``conformal.json`` beside the selector: normalised by each tile's difficulty, learnt from the
held-out residuals of the other source images (``rssqa.assess.conformal``); slightly wide, since
each came from a base fitted on four fifths of the data and the final base sees it all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checkpoint import read_manifest, write_manifest
from rssqa.assess.checks import require_methods, require_targets
from rssqa.assess.conformal import SplitConformal, save_conformal
from rssqa.assess.registry import (create_assessor, load_assessor, register_assessor,
                                   seeded_kwargs)
from rssqa.errors import InputError

KIND = "safe"
BASE_DIR = "base"


def choose_margin(predictions: np.ndarray, targets: np.ndarray, default: int) -> tuple[float, dict]:
    """The margin over the default's predicted score that maximises the mean target of the picks.

    Candidates: 0 and every predicted advantage seen, so each distinct decision rule is tried once;
    no margin at all (always the default) is the largest candidate. Returns the margin and a
    summary of what it gives on these (held-out) predictions.
    """
    advantage = predictions.max(axis=1) - predictions[:, default]
    candidates = np.unique(np.concatenate([[0.0], advantage[advantage > 0], [np.inf]]))
    accuracy = np.array([_picked(predictions, targets, default, margin).mean()
                         for margin in candidates])
    best = np.flatnonzero(accuracy >= accuracy.max() - 1e-12)[-1]  # the safest of the best
    margin = float(candidates[best])
    switched = advantage > margin
    return margin, {"accuracy_of_picks": float(accuracy[best]),
                    "accuracy_of_default": float(targets[:, default].mean()),
                    "accuracy_of_oracle": float(targets.max(axis=1).mean()),
                    "switched_share": float(switched.mean())}


def _picked(predictions: np.ndarray, targets: np.ndarray, default: int, margin: float) -> np.ndarray:
    scores = predictions.copy()
    scores[:, default] += margin
    return targets[np.arange(len(targets)), np.argmax(scores, axis=1)]


@register_assessor(KIND)
class SafeSelector(Assessor):
    """``SafeSelector(base="listwise")``: the base assessor's predictions, the SBS kept by default."""

    name = KIND

    def __init__(self, base: str = "listwise", base_kwargs: dict[str, Any] | None = None,
                 folds: int = 5, seed: int = 0):
        self.base_name, self.base_kwargs = base, dict(base_kwargs or {})
        self.folds, self.seed = folds, seed
        self._new_base()  # an unknown base or a misspelt base setting is refused now, not at fit
        self.base: Assessor | None = None
        self.methods: list[str] = []
        self.default: str | None = None  # the SBS of the training split
        self.margin: float = 0.0
        self.cross_fit: dict = {}  # what the chosen margin gave on the held-out folds
        self.conformal: SplitConformal | None = None  # from the held-out folds' residuals
        self.source: Path | None = None

    def _new_base(self) -> Assessor:
        return create_assessor(self.base_name,
                               **seeded_kwargs(self.base_name, self.base_kwargs, self.seed))

    def fit(self, train: AssessmentInputs) -> SafeSelector:
        targets = require_targets(train)
        units = train.sources or train.groups or train.tile_ids
        if len(set(units)) < 2:
            raise InputError(None, "the training split comes from one source image, so no margin "
                             "can be chosen on held-out images", "build the SQED from more images")
        held_out = np.zeros_like(targets)
        splitter = GroupKFold(n_splits=min(self.folds, len(set(units))))
        for fit_index, predict_index in splitter.split(targets, groups=units):
            base = self._new_base().fit(train.subset(fit_index))
            held_out[predict_index] = base.predict(train.subset(predict_index))
        default = int(np.argmax(targets.mean(axis=0)))
        self.margin, self.cross_fit = choose_margin(held_out, targets, default)
        self.conformal = SplitConformal.calibrate(held_out, targets, groups=units)
        self.methods, self.default = list(train.methods), train.methods[default]
        self.base = self._new_base().fit(train)
        self.source = None
        return self

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
        write_manifest(directory, KIND, {
            "base": self.base_name, "base_kwargs": self.base_kwargs, "folds": self.folds,
            "seed": self.seed, "default": self.default, "methods": self.methods,
            "margin": None if np.isinf(self.margin) else self.margin, "cross_fit": self.cross_fit})

    @classmethod
    def load(cls, directory: str | Path) -> SafeSelector:
        directory = Path(directory)
        manifest = read_manifest(directory, KIND)
        selector = cls(manifest["base"], manifest["base_kwargs"], manifest["folds"], manifest["seed"])
        selector.base = load_assessor(directory / BASE_DIR)
        selector.default = manifest["default"]
        selector.methods = list(manifest["methods"])
        selector.margin = np.inf if manifest["margin"] is None else float(manifest["margin"])
        selector.cross_fit = manifest["cross_fit"]
        selector.source = directory
        return selector
