"""Running the segmentation pool on a batch of tiles: what the SQED builder and the recommender share.

For each member (a method trained here, a folder of saved predictions, a user's torch model; see
``rssqa.pool.member``): the predicted mask, the pooled pre-classifier feature (RS-SQA's
segmentation branch; N x 0 for a member without one) and the prediction's own confidence (the
confidence baselines); across members, the label-free pool signals of ``rssqa.signals``.

A mask-only member (saved index or colour masks) has no probabilities. It is taken to be certain
of every pixel: max-probability 1 and entropy 0, so its confidence is (1, 0) and all its pixels
fall in the top confidence bin. Confidence-based assessors then see a constant for it (no
information, but no NaN), while agreement signals, which need masks only, work as for any member.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from rssqa.pool.member import PoolMember, Segmentation, TileRef
from rssqa.signals import PoolSignals, pool_signals


@dataclass
class PoolOutput:
    """Per member name: ``masks`` N x H x W uint8, ``features`` N x D (D = 0 for a member without
    a pre-classifier feature), ``confidence`` N x 2 (mean max-softmax, mean entropy in nats),
    ``max_probability`` N x H x W float32 max-softmax per pixel (1 for a mask-only member);
    ``signals`` across the pool's members."""

    masks: dict[str, np.ndarray] = field(default_factory=dict)
    features: dict[str, np.ndarray] = field(default_factory=dict)
    confidence: dict[str, np.ndarray] = field(default_factory=dict)
    signals: PoolSignals | None = None
    max_probability: dict[str, np.ndarray] = field(default_factory=dict)


def confidence_maps(segmentation: Segmentation) -> tuple[np.ndarray, np.ndarray]:
    """N x H x W max-probability and entropy (nats) of one member's output; 1 and 0 everywhere
    for a mask-only member (see the module docstring)."""
    if segmentation.probabilities is None:
        shape = segmentation.masks.shape
        return np.ones(shape, np.float32), np.zeros(shape, np.float32)
    probabilities = torch.from_numpy(np.asarray(segmentation.probabilities, np.float32))
    max_prob = probabilities.max(dim=1).values
    entropy = -(probabilities * probabilities.clamp_min(1e-12).log()).sum(dim=1)
    return max_prob.numpy(), entropy.numpy()


def run_pool(pool: list[PoolMember], images: np.ndarray,
             refs: list[TileRef] | None = None) -> PoolOutput:
    """Segment N x H x W x 3 uint8 tiles with every member of the pool; ``refs`` say where each
    tile comes from (members that read saved predictions need them)."""
    output, num_classes = PoolOutput(), 0
    for member in pool:
        segmentation = member.segment(images, refs)
        max_prob, entropy = confidence_maps(segmentation)
        name = member.name
        output.masks[name] = np.asarray(segmentation.masks, np.uint8)
        output.features[name] = (np.zeros((len(images), 0), np.float32)
                                 if segmentation.features is None
                                 else np.asarray(segmentation.features, np.float32))
        output.confidence[name] = np.stack([max_prob.mean(axis=(1, 2)), entropy.mean(axis=(1, 2))],
                                           axis=1).astype(np.float32)
        output.max_probability[name] = max_prob
        num_classes = max(num_classes, member.num_classes)
    output.signals = pool_signals(list(output.masks), output.masks, output.max_probability,
                                  num_classes)
    return output
