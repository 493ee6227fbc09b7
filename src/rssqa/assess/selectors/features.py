"""The feature space every cross-method selector shares: one row per (tile, method).

A selector must tell the methods of one tile apart, so besides what each method's own output says
(agreement with the other methods, confidence, the share of confident pixels, the share of pixels
given to each class) every signal also appears relative to the tile's mean over the pool: on a hard tile every method's confidence drops,
and only the differences say which one to trust. A few principal components of the tile's semantic
embedding and of each method's pooled pre-classifier feature (RS-SQA's two branches, compressed)
carry the scene and the method's view of it; a one-hot column per method lets a model learn each
method's own level. Everything is fitted on the training split and saved as plain arrays.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import load_file as load_arrays
from safetensors.numpy import save_file

from rssqa.assess.base import AssessmentInputs
from rssqa.assess.baselines.agreement import agreement_signal
from rssqa.assess.checkpoint import read_saved
from rssqa.assess.checks import require_signals
from rssqa.assess.scaling import PrincipalComponents, Standardizer
from rssqa.signals import with_relative

SIGNAL_NAMES = ("consensus", "pairwise agreement", "max-softmax", "negative entropy",
                "share >= 0.5", "share >= 0.7", "share >= 0.9", "share >= 0.98")
_SHARE_BINS = (25, 35, 45, 49)
FEATURES_FILE = "features.safetensors"  # a saved selector's fitted feature space  # histogram bins (of 50) where the shares above start


def pool_signal_table(inputs: AssessmentInputs) -> np.ndarray:
    """N x M x 8 label-free signals of each method on each tile (``SIGNAL_NAMES``)."""
    signals = require_signals(inputs)
    confidence = np.stack([np.asarray(inputs.confidence[m], np.float64) for m in inputs.methods],
                          axis=1)
    columns = [agreement_signal(signals, "consensus"), agreement_signal(signals, "pairwise"),
               confidence[:, :, 0], -confidence[:, :, 1]]
    columns += list(np.moveaxis(signals.shares_above()[:, :, list(_SHARE_BINS)], 2, 0))
    return np.stack(columns, axis=2)


class SelectorFeatures:
    """Fitted on a training split, maps any inputs over the same methods to N x M x F rows."""

    def __init__(self, semantic_components: int = 8, seg_components: int = 4):
        self.semantic_components = semantic_components
        self.seg_components = seg_components
        self.methods: list[str] = []
        self.semantic: PrincipalComponents | None = None
        self.seg: dict[str, PrincipalComponents] = {}
        self.scaler: Standardizer | None = None

    def fit(self, train: AssessmentInputs) -> SelectorFeatures:
        self.methods = list(train.methods)
        self.semantic = PrincipalComponents.fit(np.asarray(train.semantic_pooled),
                                                self.semantic_components)
        self.seg = {m: PrincipalComponents.fit(np.asarray(train.seg_features[m]), self.seg_components)
                    for m in self.methods}
        self.scaler = Standardizer.fit(self._raw(train))
        return self

    def transform(self, inputs: AssessmentInputs) -> np.ndarray:
        """N x M x F standardised features; the last M columns are the method's one-hot."""
        features = self.scaler.transform(self._raw(inputs))
        one_hot = np.broadcast_to(np.eye(len(self.methods), dtype=np.float32),
                                  (len(inputs), len(self.methods), len(self.methods)))
        return np.concatenate([features, one_hot], axis=2)

    def _raw(self, inputs: AssessmentInputs) -> np.ndarray:
        signals = with_relative(pool_signal_table(inputs))
        classes = with_relative(np.asarray(require_signals(inputs).class_shares, np.float64))
        semantic = self.semantic.transform(np.asarray(inputs.semantic_pooled))
        semantic = np.broadcast_to(semantic[:, None, :], (len(inputs), len(self.methods),
                                                          semantic.shape[1]))
        width = max(p.components.shape[0] for p in self.seg.values())
        seg = np.zeros((len(inputs), len(self.methods), width), np.float32)
        for j, m in enumerate(self.methods):
            projected = self.seg[m].transform(np.asarray(inputs.seg_features[m]))
            seg[:, j, :projected.shape[1]] = projected
        return np.concatenate([signals, classes, semantic, seg], axis=2).astype(np.float32)

    def state(self) -> dict[str, np.ndarray]:
        state = {"scaler.mean": self.scaler.mean, "scaler.std": self.scaler.std}
        state |= self.semantic.state("semantic.")
        for j, m in enumerate(self.methods):
            state |= self.seg[m].state(f"seg{j}.")
        return state

    def save(self, directory: Path) -> None:
        save_file(self.state(), Path(directory) / FEATURES_FILE)

    @classmethod
    def load(cls, directory: Path, methods: list[str]) -> SelectorFeatures:
        return read_saved(Path(directory) / FEATURES_FILE,
                          lambda path: cls.from_state(load_arrays(path), methods))

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], methods: list[str]) -> SelectorFeatures:
        features = cls()
        features.methods = list(methods)
        features.scaler = Standardizer(state["scaler.mean"], state["scaler.std"])
        features.semantic = PrincipalComponents.from_state(state, "semantic.")
        features.seg = {m: PrincipalComponents.from_state(state, f"seg{j}.")
                        for j, m in enumerate(methods)}
        features.semantic_components = features.semantic.components.shape[0]
        features.seg_components = max(p.components.shape[0] for p in features.seg.values())
        return features
