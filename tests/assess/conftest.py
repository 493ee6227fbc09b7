"""Synthetic assessment inputs whose OA is a known function of the features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rssqa.assess.base import AssessmentInputs
from rssqa.assess.config import RSSQAConfig

# Two methods whose pooled features differ in scale by three orders of magnitude, as real ones do.
SEG_DIMS = {"unet": 12, "deeplab": 20}
SEG_SCALES = {"unet": 1.0, "deeplab": 1000.0}


def make_inputs(n: int, seed: int = 0, num_tokens: int = 16,
                token_dim: int = 24) -> AssessmentInputs:
    """OA of each method = a tile difficulty read from the tokens + a method-specific term read
    from its segmentation feature; confidence follows OA (max-prob) and its inverse (entropy)."""
    rng = np.random.default_rng(seed)
    tokens = rng.normal(size=(n, num_tokens, token_dim)).astype(np.float32)
    difficulty = np.tanh(tokens[:, :, :2].mean(axis=(1, 2)) * np.sqrt(2 * num_tokens))
    seg, confidence, targets = {}, {}, []
    for offset, (method, dim) in zip((0.0, 0.04), SEG_DIMS.items()):
        features = rng.normal(size=(n, dim)) * SEG_SCALES[method]
        oa = 0.72 + offset + 0.1 * difficulty + 0.06 * np.tanh(features[:, 0] / SEG_SCALES[method])
        seg[method] = features.astype(np.float32)
        maxprob = 0.5 + 0.5 * oa + rng.normal(scale=0.01, size=n)
        confidence[method] = np.stack([maxprob, 1.5 - maxprob], axis=1).astype(np.float32)
        targets.append(oa)
    return AssessmentInputs(
        tile_ids=[f"tile{seed}_{i}" for i in range(n)], methods=list(SEG_DIMS),
        semantic_tokens=tokens, semantic_pooled=tokens.mean(axis=1), seg_features=seg,
        confidence=confidence, targets=np.stack(targets, axis=1).astype(np.float32),
        groups=[f"image{i // 4}" for i in range(n)])


@pytest.fixture(scope="session")
def train_inputs() -> AssessmentInputs:
    return make_inputs(320, seed=1)


@pytest.fixture(scope="session")
def test_inputs() -> AssessmentInputs:
    return make_inputs(160, seed=2)


@pytest.fixture(scope="session")
def synthetic():
    """The ``make_inputs`` factory, for tests that need inputs of their own."""
    return make_inputs


@pytest.fixture(scope="session")
def small_config() -> RSSQAConfig:
    """Small enough to train in a few seconds on one CPU core, big enough to learn the task."""
    return RSSQAConfig(hidden=32, heads=2, depth=1, mlp_ratio=2.0, epochs=25, batch_size=32,
                       lr=3e-3, warmup_epochs=2, lr_step=15, seed=0)


@pytest.fixture(scope="module")
def single_thread():
    """Tiny networks train faster on one thread than fighting over a busy machine's cores."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
