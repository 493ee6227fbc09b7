"""A stacked accuracy predictor: a learned assessor and the label-free estimators, combined with
weights fitted on predictions none of them made for a tile of its own training images.

A learned model trained on few labelled images can rank tiles worse than an estimator that needs
no fitting at all (agreement with the rest of the pool, ATC, DoC, confidence). Stacking (Wolpert
1992; Breiman 1996) lets the data say how much each deserves: every member predicts the training
tiles by cross-fitting over source images, and one non-negative weight per member (shared by the
methods, so a dozen labelled images suffice) plus an intercept is fitted by least squares on those
held-out predictions. Where the learned model is strong it takes nearly all the weight (on Dubai-8
the listwise selector's weight is 1.07, confidence's 0.05, the others' 0); where it is weak the
signals take over. The members are then refitted on the whole training split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checkpoint import read_manifest, write_manifest
from rssqa.assess.checks import require_methods, require_targets
from rssqa.assess.cross_fit import Folds, held_out_predictions, source_folds
from rssqa.assess.registry import create_assessor, load_assessor, register_assessor, seeded_kwargs

KIND = "stacked"
LABEL_FREE = ("agreement", "atc", "doc", "confidence-maxprob")


def fit_weights(member_predictions: list[np.ndarray], targets: np.ndarray) -> tuple[np.ndarray, float]:
    """Non-negative weights (one per member) and an intercept minimising the squared error of
    the weighted sum of N x M member predictions against N x M targets, over every (tile, method)."""
    from sklearn.linear_model import LinearRegression  # here: scikit-learn is slow to import

    features = np.stack([p.ravel() for p in member_predictions], axis=1)
    line = LinearRegression(positive=True).fit(features, np.asarray(targets).ravel())
    return line.coef_.astype(np.float64), float(line.intercept_)


def combine(member_predictions: list[np.ndarray], weights: np.ndarray, intercept: float) -> np.ndarray:
    return intercept + sum(w * p for w, p in zip(weights, member_predictions))


def stacked_held_out(held_out: dict[str, np.ndarray], members: list[str], targets: np.ndarray,
                     folds: Folds) -> np.ndarray:
    """What a stack of ``members`` predicts for each training tile when its weights, too, were
    fitted without that tile's images (the members' ``held_out`` predictions are already so)."""
    stacked = np.zeros_like(targets, dtype=np.float64)
    for fit_index, predict_index in folds:
        weights, intercept = fit_weights([held_out[m][fit_index] for m in members], targets[fit_index])
        stacked[predict_index] = combine([held_out[m][predict_index] for m in members], weights, intercept)
    return stacked


@register_assessor(KIND)
class StackedAssessor(Assessor):
    """``StackedAssessor(learned="listwise")``: the learned assessor and :data:`LABEL_FREE`."""

    name = KIND

    def __init__(self, learned: str = "listwise", learned_kwargs: dict[str, Any] | None = None,
                 label_free: list[str] | tuple[str, ...] = LABEL_FREE, folds: int = 5, seed: int = 0):
        self.learned, self.learned_kwargs = learned, dict(learned_kwargs or {})
        self.label_free, self.folds, self.seed = list(label_free), folds, seed
        self.members: dict[str, Assessor] = {}
        self.weights, self.intercept = np.zeros(0), 0.0
        self.methods: list[str] = []
        self.source: Path | None = None

    @property
    def member_names(self) -> list[str]:
        return [self.learned, *self.label_free]

    def new_member(self, name: str) -> Assessor:
        kwargs = self.learned_kwargs if name == self.learned else {}
        return create_assessor(name, **seeded_kwargs(name, kwargs, self.seed))

    def fit(self, train: AssessmentInputs, held_out: dict[str, np.ndarray] | None = None) -> StackedAssessor:
        """Fit on ``train``; ``held_out`` (name -> N x M cross-fitted predictions) saves
        cross-fitting members a caller already cross-fitted on the same tiles."""
        targets = require_targets(train)
        held_out = dict(held_out or {})
        missing = [name for name in self.member_names if name not in held_out]
        if missing:
            folds = source_folds(train, self.folds)
            for name in missing:
                held_out[name] = held_out_predictions(lambda name=name: self.new_member(name), train, folds)
        self.weights, self.intercept = fit_weights([held_out[n] for n in self.member_names], targets)
        self.members = {name: self.new_member(name).fit(train) for name in self.member_names}
        self.methods, self.source = list(train.methods), None
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_methods(self.methods, inputs.methods, self.source)
        return combine([self.members[n].predict(inputs) for n in self.member_names],
                       self.weights, self.intercept)

    def save(self, directory: str | Path) -> None:
        require_methods(self.methods, [])
        directory = Path(directory)
        for name, member in self.members.items():
            member.save(directory / name)
        write_manifest(directory, KIND, {
            "learned": self.learned, "learned_kwargs": self.learned_kwargs,
            "label_free": self.label_free, "folds": self.folds, "seed": self.seed,
            "methods": self.methods, "intercept": self.intercept,
            "weights": dict(zip(self.member_names, map(float, self.weights)))})

    @classmethod
    def load(cls, directory: str | Path) -> StackedAssessor:
        directory = Path(directory)
        manifest = read_manifest(directory, KIND)
        stacked = cls(manifest["learned"], manifest["learned_kwargs"], manifest["label_free"],
                      manifest["folds"], manifest["seed"])
        stacked.members = {name: load_assessor(directory / name) for name in stacked.member_names}
        stacked.weights = np.array([manifest["weights"][n] for n in stacked.member_names], np.float64)
        stacked.intercept = float(manifest["intercept"])
        stacked.methods, stacked.source = list(manifest["methods"]), directory
        return stacked
