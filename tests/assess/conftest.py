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


def make_pool_inputs(n: int, seed: int = 0, informative: bool = True) -> AssessmentInputs:
    """Three methods whose best one changes from tile to tile with a hidden scene type.

    With ``informative`` the pool signals reveal each method's accuracy (agreement with the others
    and confident-pixel shares follow it, with noise); otherwise they are noise and only the
    method's average level can be learnt. Method "b" is best on average.
    """
    from rssqa.signals import HISTOGRAM_BINS, PoolSignals

    rng = np.random.default_rng(seed)
    methods = ["a", "b", "c"]
    scene = rng.integers(0, 3, n)  # which method this scene favours
    level = np.array([0.70, 0.74, 0.69])
    oa = level + 0.08 * (scene[:, None] == np.arange(3)) + rng.normal(0, 0.02, (n, 3))
    seen = oa if informative else rng.permuted(oa, axis=0)
    consensus = np.clip(seen + rng.normal(0, 0.01, (n, 3)), 0, 1)
    agreement = seen[:, :, None] * seen[:, None, :]  # two accurate methods agree more
    agreement[:, np.arange(3), np.arange(3)] = 1.0
    # max-softmax spread around the method's accuracy: more accurate, more confident pixels
    bins = (np.arange(HISTOGRAM_BINS) + 0.5) / HISTOGRAM_BINS
    histograms = np.exp(-0.5 * ((bins - seen[:, :, None]) / 0.1) ** 2)
    histograms = (histograms / histograms.sum(axis=2, keepdims=True)).astype(np.float32)
    tokens = rng.normal(size=(n, 4, 8)).astype(np.float32)
    confidence = {m: np.stack([seen[:, j], 1 - seen[:, j]], 1).astype(np.float32)
                  for j, m in enumerate(methods)}
    return AssessmentInputs(
        tile_ids=[f"s{seed}_t{i}" for i in range(n)], methods=methods, semantic_tokens=tokens,
        semantic_pooled=tokens.mean(axis=1),
        seg_features={m: rng.normal(size=(n, 5)).astype(np.float32) for m in methods},
        confidence=confidence, targets=oa, groups=[f"g{i % 4}" for i in range(n)],
        sources=[f"s{seed}_img{i // 5}" for i in range(n)],
        signals=PoolSignals(methods, consensus.astype(np.float32), agreement.astype(np.float32),
                            histograms, rng.dirichlet(np.ones(4), (n, 3)).astype(np.float32)))


@pytest.fixture(scope="session")
def pool_inputs():
    """The ``make_pool_inputs`` factory."""
    return make_pool_inputs
