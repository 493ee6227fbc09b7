"""The chance floor: uniform random scores, reproducible from a seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checkpoint import read_manifest, write_manifest
from rssqa.assess.registry import register_assessor

KIND = "random"


@register_assessor(KIND)
class RandomAssessor(Assessor):
    """Scores drawn uniformly from [0, 1); the same inputs and seed give the same scores."""

    name = KIND

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, train: AssessmentInputs) -> RandomAssessor:
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return rng.uniform(size=(len(inputs), len(inputs.methods)))

    def save(self, directory: str | Path) -> None:
        write_manifest(directory, KIND, {"seed": self.seed})

    @classmethod
    def load(cls, directory: str | Path) -> RandomAssessor:
        return cls(seed=int(read_manifest(directory, KIND).get("seed", 0)))
