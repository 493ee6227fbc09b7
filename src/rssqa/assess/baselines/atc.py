"""Average thresholded confidence (ATC) and difference of confidences (DoC).

Two label-free accuracy estimators from the distribution-shift literature that read only a model's
own softmax, fitted per method on the labelled training split:

- ATC (Garg et al., 2022): find the confidence threshold t at which the share of training pixels
  above t equals the method's mean training accuracy; on a new tile, the share of its pixels above
  t is the accuracy estimate. Thresholds sit on the 0.02-wide bins of the stored histograms.
- DoC (Guillory et al., 2021): a tile's accuracy is the training accuracy shifted by how much its
  mean confidence differs from the training tiles' mean confidence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checkpoint import read_manifest, write_manifest
from rssqa.assess.checks import require_methods, require_signals, require_targets
from rssqa.assess.registry import register_assessor


@register_assessor("atc")
class ATCAssessor(Assessor):
    """Per method, the share of a tile's pixels whose max-softmax clears a fitted threshold."""

    name = "atc"

    def __init__(self) -> None:
        self.first_bins: dict[str, int] = {}  # method -> first histogram bin counted as confident
        self.source: Path | None = None

    def fit(self, train: AssessmentInputs) -> ATCAssessor:
        targets = require_targets(train)
        signals = require_signals(train)
        mean_shares = signals.shares_above().mean(axis=0)  # M x (B + 1), one per candidate bin
        best = np.argmin(np.abs(mean_shares - targets.mean(axis=0)[:, None]), axis=1)
        self.first_bins = {m: int(k) for m, k in zip(train.methods, best)}
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_methods(self.first_bins, inputs.methods, self.source)
        signals = require_signals(inputs, self.source)
        return signals.share_from_bin(np.array([self.first_bins[m] for m in inputs.methods]))

    def save(self, directory: str | Path) -> None:
        require_methods(self.first_bins, [])
        write_manifest(directory, self.name, {"first_bins": self.first_bins})

    @classmethod
    def load(cls, directory: str | Path) -> ATCAssessor:
        assessor = cls()
        assessor.first_bins = {m: int(k) for m, k in
                               read_manifest(directory, "atc")["first_bins"].items()}
        assessor.source = Path(directory)
        return assessor


@register_assessor("doc")
class DoCAssessor(Assessor):
    """Accuracy = mean training accuracy + (tile's mean confidence - mean training confidence)."""

    name = "doc"

    def __init__(self) -> None:
        self.shifts: dict[str, float] = {}  # method -> mean train accuracy - mean train confidence
        self.source: Path | None = None

    def fit(self, train: AssessmentInputs) -> DoCAssessor:
        targets = require_targets(train)
        self.shifts = {m: float(targets[:, j].mean() - np.mean(train.confidence[m][:, 0]))
                       for j, m in enumerate(train.methods)}
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_methods(self.shifts, inputs.methods, self.source)
        return np.stack([np.clip(np.asarray(inputs.confidence[m][:, 0], np.float64)
                                 + self.shifts[m], 0.0, 1.0) for m in inputs.methods], axis=1)

    def save(self, directory: str | Path) -> None:
        require_methods(self.shifts, [])
        write_manifest(directory, self.name, {"shifts": self.shifts})

    @classmethod
    def load(cls, directory: str | Path) -> DoCAssessor:
        assessor = cls()
        assessor.shifts = {m: float(v) for m, v in read_manifest(directory, "doc")["shifts"].items()}
        assessor.source = Path(directory)
        return assessor
