"""The segmentation model's own confidence as its quality score.

``maxprob`` uses the mean max-softmax probability of the prediction, ``entropy`` the negated mean
entropy (so higher is better for both). A per-method linear map, fitted on the training split,
puts the score on the OA scale so that RMSE and PLCC mean something; the map is constrained
increasing, so the score ranks one method's tiles exactly as its raw confidence does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checkpoint import read_manifest, write_manifest
from rssqa.assess.checks import require_methods, require_targets
from rssqa.assess.registry import register_assessor
from rssqa.assess.scaling import fit_increasing_line
from rssqa.errors import CheckpointError, InputError

SIGNALS = {"maxprob": 0, "entropy": 1}  # column of AssessmentInputs.confidence


@register_assessor("confidence-entropy", kind="entropy")
@register_assessor("confidence-maxprob", kind="maxprob")
class ConfidenceAssessor(Assessor):
    """Score = slope_m * confidence + intercept_m, with slope_m > 0 fitted per method."""

    def __init__(self, kind: str = "maxprob"):
        if kind not in SIGNALS:
            raise InputError(None, f"unknown confidence kind {kind!r}",
                             f"use one of {', '.join(SIGNALS)}")
        self.kind = kind
        self.name = f"confidence-{kind}"
        self.maps: dict[str, tuple[float, float]] = {}  # method -> (slope, intercept)
        self.source: Path | None = None

    def signal(self, inputs: AssessmentInputs, method: str) -> np.ndarray:
        """The raw confidence of ``method`` on each tile, oriented so that higher is better."""
        column = np.asarray(inputs.confidence[method], dtype=np.float64)[:, SIGNALS[self.kind]]
        return column if self.kind == "maxprob" else -column

    def fit(self, train: AssessmentInputs) -> ConfidenceAssessor:
        targets = require_targets(train)
        self.maps = {}
        for column, method in enumerate(train.methods):
            self.maps[method] = fit_increasing_line(self.signal(train, method), targets[:, column])
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_methods(self.maps, inputs.methods, self.source)
        columns = [self.maps[m][0] * self.signal(inputs, m) + self.maps[m][1]
                   for m in inputs.methods]
        return np.stack(columns, axis=1) if columns else np.empty((len(inputs), 0))

    def save(self, directory: str | Path) -> None:
        require_methods(self.maps, [])  # raises if not fitted
        write_manifest(directory, self.name, {
            "signal": self.kind,
            "maps": {m: {"slope": s, "intercept": b} for m, (s, b) in self.maps.items()},
        })

    @classmethod
    def load(cls, directory: str | Path) -> ConfidenceAssessor:
        manifest = read_manifest(directory)
        assessor = cls(manifest.get("signal", "maxprob"))
        if manifest["kind"] != assessor.name:
            raise CheckpointError(Path(directory), f"holds a {manifest['kind']!r} assessor, not a "
                                  "confidence baseline", "load it with rssqa.assess.load_assessor")
        assessor.maps = {m: (float(v["slope"]), float(v["intercept"]))
                         for m, v in manifest["maps"].items()}
        assessor.source = Path(directory)
        return assessor
