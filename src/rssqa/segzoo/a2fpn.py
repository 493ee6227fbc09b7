"""A2-FPN: a feature pyramid whose merged levels are re-weighted by linear attention.

Li, R., Wang, L., Zhang, C., Duan, C., Zheng, S. (2022). A2-FPN for semantic segmentation of
fine-resolution remotely sensed images. International Journal of Remote Sensing, 43(3), 1131-1155.

As in the paper: an FPN top-down pathway (1x1 laterals, nearest upsampling), one segmentation
branch per level (3x3 conv + GroupNorm + ReLU, bilinear x2 until stride 4), and the attention
aggregation module (AAM) that concatenates the four branches, mixes them with a 1x1 conv and adds
their linear self-attention, before dropout and the classifier at stride 4.

Variants: ``paper`` is ResNet-18 with 64 pyramid and 64 segmentation channels (the paper's);
``cpu`` uses the offline ImageNet EfficientNet-Lite0 encoder with 32 and 32.
The classifier's input is the attention-aggregated stride-4 map (4 x segmentation channels).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from rssqa.backbones.timm_pyramid import Encoder
from rssqa.segzoo.base import register_variants
from rssqa.segzoo.blocks import ConvBNReLU, LinearAttention, SegmentationModel

VARIANTS = {
    "paper": dict(encoder="resnet18", pyramid_channels=64, segmentation_channels=64),
    "cpu": dict(encoder="tf_efficientnet_lite0", pyramid_channels=32, segmentation_channels=32),
}


def segmentation_branch(in_channels: int, out_channels: int, upsamplings: int) -> nn.Sequential:
    """3x3 conv-GN-ReLU units, each followed by a bilinear x2, until the level reaches stride 4."""
    layers: list[nn.Module] = []
    for i in range(max(upsamplings, 1)):
        layers += [nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1, bias=False),
                   nn.GroupNorm(math.gcd(32, out_channels), out_channels), nn.ReLU(inplace=True)]
        if upsamplings:
            layers.append(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True))
    return nn.Sequential(*layers)


class AttentionAggregation(nn.Module):
    """AAM: concatenate the pyramid's branches, 1x1 conv, add the result's linear attention."""

    def __init__(self, channels: int):
        super().__init__()
        self.mix = ConvBNReLU(channels, channels, 1)
        self.attention = LinearAttention(channels)

    def forward(self, branches: list[torch.Tensor]) -> torch.Tensor:
        mixed = self.mix(torch.cat(branches, dim=1))
        return mixed + self.attention(mixed)


class A2FPN(SegmentationModel):
    def __init__(self, num_classes: int, encoder: str = "resnet18", pyramid_channels: int = 64,
                 segmentation_channels: int = 64, dropout: float = 0.2, pretrained: bool = False,
                 weights: str | Path | None = None):
        super().__init__()
        self.encoder = Encoder(encoder, pretrained=pretrained, weights=weights)
        channels = self.encoder.channels
        # Laterals and branches listed from the coarsest level (stride 32) to the finest (stride 4).
        self.laterals = nn.ModuleList(nn.Conv2d(c, pyramid_channels, 1) for c in reversed(channels))
        self.branches = nn.ModuleList(segmentation_branch(pyramid_channels, segmentation_channels, n)
                                      for n in (3, 2, 1, 0))
        self.aggregate = AttentionAggregation(4 * segmentation_channels)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(4 * segmentation_channels, num_classes, 1)

    def segment(self, x):
        features = self.encoder(x)[::-1]
        pyramid = [self.laterals[0](features[0])]
        for lateral, skip in zip(self.laterals[1:], features[1:]):
            pyramid.append(F.interpolate(pyramid[-1], size=skip.shape[-2:], mode="nearest") + lateral(skip))
        branches = [branch(level) for branch, level in zip(self.branches, pyramid)]
        return self.classifier(self.dropout(self.aggregate(branches))), []


register_variants(
    A2FPN, VARIANTS,
    name="a2fpn",
    classifier="classifier",
    description="CNN encoder (ResNet-18) + FPN with attention aggregation of its levels",
    paper="Li et al., A2-FPN, Int. J. Remote Sens. 43(3) (2022) 1131-1155",
)
