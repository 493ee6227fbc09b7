"""Agreement with the rest of the pool as a label-free accuracy estimate.

Where several models segment the same tile, pixels on which one model departs from what the others
agree on are more often its errors than theirs. The raw signal is each method's pixel agreement with
the majority vote of the other methods (``kind="consensus"``) or its mean pairwise agreement with
each of them (``kind="pairwise"``); a per-method increasing line fitted on the training split puts
it on the accuracy scale without changing how it orders one method's tiles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checkpoint import read_manifest, write_manifest
from rssqa.assess.checks import require_methods, require_signals, require_targets
from rssqa.assess.registry import register_assessor
from rssqa.assess.scaling import fit_increasing_line, to_oa_scale
from rssqa.errors import InputError
from rssqa.signals import PoolSignals

KINDS = ("consensus", "pairwise")


def agreement_signal(signals: PoolSignals, kind: str) -> np.ndarray:
    """N x M raw agreement of each method with the others."""
    if kind == "consensus":
        return np.asarray(signals.consensus, np.float64)
    num_methods = signals.agreement.shape[1]
    if num_methods == 1:
        return np.ones((len(signals), 1))
    off_diagonal = signals.agreement.sum(axis=2) - 1.0  # drop each method's agreement with itself
    return np.asarray(off_diagonal / (num_methods - 1), np.float64)


@register_assessor("agreement-pairwise", kind="pairwise")
@register_assessor("agreement", kind="consensus")
class AgreementAssessor(Assessor):
    """Score = slope_m * agreement + intercept_m, slope_m > 0 fitted per method on train."""

    def __init__(self, kind: str = "consensus"):
        if kind not in KINDS:
            raise InputError(None, f"unknown agreement kind {kind!r}", f"use one of {', '.join(KINDS)}")
        self.kind = kind
        self.name = "agreement" if kind == "consensus" else f"agreement-{kind}"
        self.lines: dict[str, tuple[float, float]] = {}
        self.source: Path | None = None

    def fit(self, train: AssessmentInputs) -> AgreementAssessor:
        targets = require_targets(train)
        raw = agreement_signal(require_signals(train), self.kind)
        self.lines = {m: fit_increasing_line(raw[:, j], targets[:, j])
                      for j, m in enumerate(train.methods)}
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_methods(self.lines, inputs.methods, self.source)
        raw = agreement_signal(require_signals(inputs, self.source), self.kind)
        return np.stack([to_oa_scale(raw[:, j], self.lines[m]) for j, m in enumerate(inputs.methods)],
                        axis=1)

    def save(self, directory: str | Path) -> None:
        require_methods(self.lines, [])
        write_manifest(directory, self.name, {"agreement": self.kind, "lines": self.lines})

    @classmethod
    def load(cls, directory: str | Path) -> AgreementAssessor:
        manifest = read_manifest(directory)
        assessor = cls(manifest.get("agreement", "consensus"))
        assessor.lines = {m: (float(a), float(b)) for m, (a, b) in manifest["lines"].items()}
        assessor.source = Path(directory)
        return assessor
