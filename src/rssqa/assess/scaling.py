"""Feature-wise standardisation (and principal components) fitted on the training split and saved
with the assessor.

Pooled features of different segmentation models differ in scale by orders of magnitude (a
BatchNorm+ReLU output versus a raw decoder sum), and encoder channels do too; a network trained
at one learning rate for all of them needs them on one scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

# A feature constant on the training split carries no information; dividing by 1 keeps it finite.
_MIN_STD = 1e-6


@dataclass
class Standardizer:
    """(x - mean) / std over the last axis; ``mean`` and ``std`` have the feature dimension."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray) -> Standardizer:
        """Statistics over every axis but the last (tiles, and tokens for N x L x C input)."""
        # Rows spelled out rather than -1: a member without a pre-classifier feature has N x 0.
        rows = int(np.prod(features.shape[:-1]))
        flat = np.asarray(features, dtype=np.float64).reshape(rows, features.shape[-1])
        std = flat.std(axis=0)
        return cls(mean=flat.mean(axis=0).astype(np.float32),
                   std=np.where(std < _MIN_STD, 1.0, std).astype(np.float32))

    def transform(self, features: np.ndarray) -> np.ndarray:
        return ((np.asarray(features, dtype=np.float32) - self.mean) / self.std).astype(np.float32)

    def state_dict(self, prefix: str) -> dict[str, torch.Tensor]:
        return {f"{prefix}mean": torch.from_numpy(self.mean.copy()),
                f"{prefix}std": torch.from_numpy(self.std.copy())}

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], prefix: str) -> Standardizer:
        return cls(mean=state[f"{prefix}mean"].numpy(), std=state[f"{prefix}std"].numpy())


# Where a score does not rise with OA, least squares would flip its order; the smallest positive
# slope keeps the order and predicts (almost) the mean OA.
_MIN_SLOPE = 1e-6


def fit_increasing_line(score: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """Least-squares ``target ~ slope * score + intercept`` with ``slope > 0``: puts a score on the
    OA scale (removing its bias and compression) without changing how it orders tiles."""
    score, target = np.asarray(score, np.float64), np.asarray(target, np.float64)
    variance = score.var()
    slope = np.mean((score - score.mean()) * (target - target.mean())) / variance if variance > 0 else 0.0
    slope = max(float(slope), _MIN_SLOPE)
    return slope, float(target.mean() - slope * score.mean())


def to_oa_scale(score: np.ndarray, line: tuple[float, float]) -> np.ndarray:
    """``score`` through a line from :func:`fit_increasing_line`, clipped to OA's range [0, 1]."""
    slope, intercept = line
    return np.clip(slope * np.asarray(score) + intercept, 0.0, 1.0)


@dataclass
class PrincipalComponents:
    """Standardise, then project onto the leading right singular vectors of the training rows."""

    scaler: Standardizer
    components: np.ndarray  # k x C

    @classmethod
    def fit(cls, rows: np.ndarray, count: int) -> PrincipalComponents:
        scaler = Standardizer.fit(rows)
        centred = scaler.transform(rows)
        count = min(count, *centred.shape)
        _, _, vectors = np.linalg.svd(centred, full_matrices=False)
        return cls(scaler, vectors[:count].astype(np.float32))

    def transform(self, rows: np.ndarray) -> np.ndarray:
        return self.scaler.transform(rows) @ self.components.T

    def state(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}mean": self.scaler.mean, f"{prefix}std": self.scaler.std,
                f"{prefix}components": self.components}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], prefix: str) -> PrincipalComponents:
        return cls(Standardizer(state[f"{prefix}mean"], state[f"{prefix}std"]),
                   state[f"{prefix}components"])
