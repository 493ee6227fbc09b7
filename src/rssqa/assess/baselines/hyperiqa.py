"""HyperIQA (Su et al. 2020, CVPR), CPU-sized and retrained per segmentation method on SQED.

The idea kept: a content-understanding hyper network reads the image's semantics and generates
the weights of a small target network, which maps multi-scale local distortion features to a
score, so the same distortion can be judged differently on different content.

Departures, for a 2-core CPU and offline weights: the backbone is the frozen ImageNet
EfficientNet-Lite0 (strides 8/16/32, 40/112/320 channels) instead of a fine-tuned ResNet-50; the
hyper network generates each target layer's weights with a linear layer from the pooled content
vector instead of convolutions over the 7 x 7 content map; the target network is 64-32-16-8-1
instead of 224-112-56-28-14-1; no random crops (maps are cached). The loss is L1, as in the paper.
"""

from __future__ import annotations

import torch
from torch import nn

from rssqa.assess.baselines.nr_iqa_common import FrozenBackboneRegressor
from rssqa.assess.registry import register_assessor


class LocalDistortionAware(nn.Module):
    """One scale's map -> a short vector: 1x1 conv, global average pool, linear."""

    def __init__(self, channels: int, out_features: int, squeeze: int = 16):
        super().__init__()
        self.conv = nn.Conv2d(channels, squeeze, kernel_size=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(squeeze, out_features)

    def forward(self, feature_map: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.conv(feature_map)).flatten(1))


class HyperIQAHead(nn.Module):
    def __init__(self, channels: list[int], lda_features: int = 16, target_sizes=(64, 32, 16, 8),
                 content_features: int = 64):
        super().__init__()
        last_lda = target_sizes[0] - lda_features * (len(channels) - 1)
        self.lda = nn.ModuleList(
            [LocalDistortionAware(c, lda_features) for c in channels[:-1]]
            + [LocalDistortionAware(channels[-1], last_lda)])
        self.content = nn.Sequential(nn.Conv2d(channels[-1], content_features, kernel_size=1),
                                     nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        shapes = list(zip(list(target_sizes[1:]) + [1], target_sizes))  # (out, in) per layer
        self.shapes = shapes
        self.weight_generators = nn.ModuleList(nn.Linear(content_features, o * i) for o, i in shapes)
        self.bias_generators = nn.ModuleList(nn.Linear(content_features, o) for o, _ in shapes)

    def forward(self, maps: list[torch.Tensor]) -> torch.Tensor:
        x = torch.cat([lda(m) for lda, m in zip(self.lda, maps)], dim=1)  # N x target_sizes[0]
        content = self.content(maps[-1])
        for layer, ((out, inp), weights, biases) in enumerate(
                zip(self.shapes, self.weight_generators, self.bias_generators)):
            weight = weights(content).view(-1, out, inp)
            x = torch.bmm(weight, x.unsqueeze(2)).squeeze(2) + biases(content)
            if layer < len(self.shapes) - 1:
                x = torch.sigmoid(x)
        return x.squeeze(1)


@register_assessor("hyperiqa")
class HyperIQAAssessor(FrozenBackboneRegressor):
    """HyperIQA head per method on frozen EfficientNet-Lite0 maps (see the module docstring)."""

    name = "hyperiqa"

    def build_head(self, channels: list[int], sizes: list[tuple[int, int]]) -> nn.Module:
        return HyperIQAHead(channels)
