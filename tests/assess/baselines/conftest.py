"""Tiny tiles whose quality is a known function of their noise level, for the NR-IQA baselines.

Each tile is a smooth structured pattern plus Gaussian noise of a random strength. Method ``a``
does worse on noisier tiles, method ``b`` better, so an assessor that ignores the method (or the
image) cannot rank both.
"""

from __future__ import annotations

import numpy as np
import pytest

from rssqa.assess.base import AssessmentInputs
from rssqa.assess.baselines.nr_iqa_common import FrozenLiteBackbone

SIZE = 32


def make_tiles(n: int, seed: int) -> AssessmentInputs:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    noise = rng.uniform(0.0, 1.0, n)
    images = []
    for level in noise:
        phase, frequency = rng.uniform(0, 2 * np.pi, 2), rng.uniform(2, 5)
        pattern = 128 + 60 * np.sin(2 * np.pi * frequency * x + phase[0]) * np.cos(
            2 * np.pi * frequency * y + phase[1])
        rgb = pattern[..., None] * rng.uniform(0.7, 1.1, 3) + rng.normal(0, 45 * level, (SIZE, SIZE, 3))
        images.append(np.clip(rgb, 0, 255).astype(np.uint8))
    targets = np.stack([0.92 - 0.3 * noise, 0.6 + 0.3 * noise], axis=1)
    return AssessmentInputs(
        tile_ids=[f"s{seed}_t{i}" for i in range(n)], methods=["a", "b"],
        semantic_tokens=np.zeros((n, 4, 8), np.float32), semantic_pooled=np.zeros((n, 8), np.float32),
        seg_features={}, confidence={}, images=np.stack(images), targets=targets,
        groups=[f"s{seed}_img{i // 4}" for i in range(n)])


@pytest.fixture(scope="module")
def tiles_train() -> AssessmentInputs:
    return make_tiles(48, seed=1)


@pytest.fixture(scope="module")
def tiles_test() -> AssessmentInputs:
    return make_tiles(24, seed=2)


@pytest.fixture(scope="module")
def small_backbone() -> FrozenLiteBackbone:
    """Shared by the deep baselines' tests so the backbone runs once per tile."""
    return FrozenLiteBackbone(input_size=64)
