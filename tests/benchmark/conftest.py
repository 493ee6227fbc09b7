"""A tiny synthetic benchmark: tiles whose OA depends on their noise (seen in the pixels and in
the semantic tokens) and on a method-specific feature."""

from __future__ import annotations

import numpy as np
import pytest

from rssqa.assess.base import AssessmentInputs
from rssqa.benchmark.runner import BenchmarkData

METHODS = ["unet", "fpn", "deeplab"]


def make_split(n: int, seed: int, size: int = 32) -> AssessmentInputs:
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 1, n)
    y, x = np.mgrid[0:size, 0:size] / size
    images = np.stack([np.clip(128 + 60 * np.sin(2 * np.pi * 3 * x + rng.uniform(0, 6))[..., None]
                               + rng.normal(0, 50 * level, (size, size, 3)), 0, 255)
                       for level in noise]).astype(np.uint8)
    tokens = rng.normal(size=(n, 4, 8)).astype(np.float32)
    tokens[:, :, 0] += 2 * noise[:, None]
    seg, confidence, targets = {}, {}, []
    for index, method in enumerate(METHODS):
        feature = rng.normal(size=(n, 6)).astype(np.float32)
        oa = 0.85 - 0.25 * noise * (index + 1) / 3 + 0.03 * np.tanh(feature[:, 0])
        seg[method] = feature
        confidence[method] = np.stack([oa, 1 - oa], 1).astype(np.float32) + rng.normal(
            0, 0.02, (n, 2)).astype(np.float32)
        targets.append(oa)
    return AssessmentInputs(
        tile_ids=[f"s{seed}_t{i}" for i in range(n)], methods=list(METHODS), semantic_tokens=tokens,
        semantic_pooled=tokens.mean(1), seg_features=seg, confidence=confidence, images=images,
        targets=np.stack(targets, 1), groups=[f"s{seed}_img{i // 4}" for i in range(n)],
        sources=[f"s{seed}_img{i // 4}" for i in range(n)])


@pytest.fixture(scope="module")
def benchmark_data() -> BenchmarkData:
    return BenchmarkData(fit=make_split(48, 1), calibration=make_split(24, 2), test=make_split(30, 3))
