"""The "best on average" prior: each method's mean training OA, whatever the tile.

It always recommends the method that was best on average, which is what an analyst without an
assessor would do; an assessor is only useful where it beats this per-tile.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checkpoint import read_manifest, write_manifest
from rssqa.assess.checks import require_methods, require_targets
from rssqa.assess.registry import register_assessor

KIND = "prior"


@register_assessor(KIND)
class PriorAssessor(Assessor):
    """Predicts each method's mean OA on the training split for every tile."""

    name = KIND

    def __init__(self) -> None:
        self.means: dict[str, float] = {}
        self.source: Path | None = None

    def fit(self, train: AssessmentInputs) -> PriorAssessor:
        targets = require_targets(train)
        self.means = {m: float(v) for m, v in zip(train.methods, targets.mean(axis=0))}
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_methods(self.means, inputs.methods, self.source)
        row = np.array([self.means[m] for m in inputs.methods])
        return np.tile(row, (len(inputs), 1))

    def save(self, directory: str | Path) -> None:
        require_methods(self.means, [])  # raises if not fitted
        write_manifest(directory, KIND, {"means": self.means})

    @classmethod
    def load(cls, directory: str | Path) -> PriorAssessor:
        assessor = cls()
        assessor.means = {m: float(v) for m, v in read_manifest(directory, KIND)["means"].items()}
        assessor.source = Path(directory)
        return assessor
