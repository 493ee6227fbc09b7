"""One interface for every quality assessor, RS-SQA and baselines alike.

Evaluation and recommendation only ever hold an ``Assessor``: it is fitted on the SQED train split
and predicts an overall-accuracy score for each (tile, method).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rssqa.signals import PoolSignals


@dataclass
class AssessmentInputs:
    """Everything an assessor may look at for N tiles and the pool's M methods.

    semantic_tokens: N x L x C encoder tokens; semantic_pooled: N x C'.
    seg_features: method -> N x C_m pooled pre-classifier features.
    confidence: method -> N x 2 (mean max-softmax, mean entropy) of that method's prediction.
    images: N x H x W x 3 uint8 tiles, for assessors that read pixels (NR-IQA baselines); may be None.
    targets: N x M true accuracy in ``methods`` order (OA unless the experiment names another
        label), when labels exist (train/eval).
    groups: the unit that never straddles two splits (a Dubai tile); sources: the source image
        of each tile, the unit ``recommend`` picks a method for.
    signals: label-free pool signals (agreement between methods, confidence histograms) that the
        SQED builder and the recommender compute once; None where they were not computed.
    """

    tile_ids: list[str]
    methods: list[str]
    semantic_tokens: np.ndarray
    semantic_pooled: np.ndarray
    seg_features: dict[str, np.ndarray]
    confidence: dict[str, np.ndarray]
    images: np.ndarray | None = None
    targets: np.ndarray | None = None
    groups: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    signals: PoolSignals | None = None

    def __len__(self) -> int:
        return len(self.tile_ids)

    def subset(self, index: np.ndarray) -> AssessmentInputs:
        index = np.asarray(index)
        return AssessmentInputs(
            tile_ids=[self.tile_ids[i] for i in index],
            methods=list(self.methods),
            semantic_tokens=self.semantic_tokens[index],
            semantic_pooled=self.semantic_pooled[index],
            seg_features={m: f[index] for m, f in self.seg_features.items()},
            confidence={m: c[index] for m, c in self.confidence.items()},
            images=None if self.images is None else self.images[index],
            targets=None if self.targets is None else self.targets[index],
            groups=[self.groups[i] for i in index] if self.groups else [],
            sources=[self.sources[i] for i in index] if self.sources else [],
            signals=None if self.signals is None else self.signals.subset(index),
        )


class Assessor(ABC):
    """Predicts each method's overall accuracy on each tile, without labels."""

    name: str = "assessor"
    # Assessors that read the tiles' pixels (NR-IQA baselines) set this, so callers load images.
    needs_images: bool = False
    # How much higher another method's predicted accuracy must be for it to replace the
    # default_method (inf: never); None for an assessor without a default.
    margin: float | None = None

    @abstractmethod
    def fit(self, train: AssessmentInputs) -> Assessor:
        """Learn from ``train`` (its ``targets`` are set). Returns self."""

    @abstractmethod
    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        """N x M predicted overall accuracy (or any score whose order ranks methods), in
        ``inputs.methods`` order."""

    @property
    def default_method(self) -> str | None:
        """The method kept unless the predictions argue clearly for another; None for an
        assessor that always follows its argmax."""
        return None

    def selection_scores(self, predictions: np.ndarray) -> np.ndarray:
        """N x M scores whose row-wise argmax is the method this assessor recommends.

        The predicted accuracies themselves by default; a selector with a decision rule of its
        own (a safe default kept unless beaten by a margin) overrides this. Averaging these
        scores over an image's tiles and taking the argmax gives the image-level pick.
        """
        return predictions

    def save(self, directory: Path) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot be saved")

    @classmethod
    def load(cls, directory: Path) -> Assessor:
        """The inverse of ``save``; ``rssqa.assess.registry.load_assessor`` picks the class."""
        raise NotImplementedError(f"{cls.__name__} cannot be loaded")
