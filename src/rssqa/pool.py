"""Running the segmentation pool on a batch of tiles: what the SQED builder and the recommender share.

For each method: the predicted mask, the pooled pre-classifier feature (RS-SQA's segmentation
branch) and the prediction's own confidence (the confidence baselines); across methods, the
label-free pool signals (agreement, confidence histograms) of ``rssqa.signals``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from rssqa.segzoo.base import FeatureTap, to_model_input
from rssqa.segzoo.train import TrainedMethod
from rssqa.signals import PoolSignals, pool_signals


@dataclass
class PoolOutput:
    """Per method name: ``masks`` N x H x W uint8, ``features`` N x C, ``confidence`` N x 2
    (mean max-softmax, mean entropy in nats); ``signals`` across the pool's methods."""

    masks: dict[str, np.ndarray] = field(default_factory=dict)
    features: dict[str, np.ndarray] = field(default_factory=dict)
    confidence: dict[str, np.ndarray] = field(default_factory=dict)
    signals: PoolSignals | None = None


@torch.no_grad()
def run_pool(pool: list[TrainedMethod], images: np.ndarray) -> PoolOutput:
    """Segment N x H x W x 3 uint8 tiles with every method of the pool."""
    pixels = to_model_input(images)
    output, max_probabilities, num_classes = PoolOutput(), {}, 0
    for member in pool:
        member.model.eval()
        with FeatureTap(member.model, member.method.classifier) as tap:
            logits = member.model(pixels)
        probabilities = logits.float().softmax(dim=1)
        max_prob, predicted = probabilities.max(dim=1)
        entropy = -(probabilities * probabilities.clamp_min(1e-12).log()).sum(dim=1)
        name = member.method.name
        output.masks[name] = predicted.to(torch.uint8).numpy()
        output.features[name] = tap.pooled.float().numpy()
        output.confidence[name] = torch.stack([max_prob.mean(dim=(1, 2)),
                                               entropy.mean(dim=(1, 2))], dim=1).numpy()
        max_probabilities[name] = max_prob.numpy()
        num_classes = max(num_classes, probabilities.shape[1])
    output.signals = pool_signals(list(output.masks), output.masks, max_probabilities, num_classes)
    return output
