"""BANet: a bilateral network pairing a transformer dependency path with a convolutional texture path.

Wang, L., Li, R., Wang, D., Duan, C., Wang, T., Meng, X. (2021). Transformer meets convolution: a
bilateral awareness network for semantic segmentation of very fine resolution urban scene images.
Remote Sensing, 13(16), 3065.

As in the paper: the dependency path takes the last two stages of a transformer backbone and
fuses them with an attention embedding module (linear attention on stage 4, projected and
pixel-shuffled up, used to re-weight stage 3); the texture path is three stride-2 convolutions;
the feature aggregation module fuses the two at stride 8 with linear attention; the output head
predicts ``num_classes * 8 * 8`` channels that a pixel shuffle rearranges to full resolution.

Departures: the paper's backbone, ResT-Lite, is not in timm; ``paper`` uses timm's PVTv2-B1, its
closest relative (same four-stage 64/128/x/512 pyramid, depths 2-2-2-2, spatial-reduction
attention with ratios 8/4/2/1, convolutional patch embedding; 13.5M vs 10.5M parameters, 320
instead of 256 channels at stage 3). ``cpu`` uses the offline ImageNet EfficientNet-Lite0 in the
dependency path (a CNN; the authors' code offers a ResNet-18 dependency path too) with every
decoder width halved.
The classifier (the 1x1 conv before the pixel shuffle) reads the fused stride-8 map.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rssqa.backbones.timm_pyramid import Encoder
from rssqa.segzoo.base import register_variants
from rssqa.segzoo.blocks import (ConvBNReLU, FeatureAggregation, LinearAttention, SegmentationModel,
                                 SpatialPath, resize)

VARIANTS = {
    "paper": dict(encoder="pvt_v2_b1", width=128),
    "cpu": dict(encoder="tf_efficientnet_lite0", width=64),
}


class AttentionEmbedding(nn.Module):
    """Linear attention on the deepest stage, projected and pixel-shuffled x2, re-weights stage 3."""

    def __init__(self, high_channels: int, low_channels: int):
        super().__init__()
        self.attention = LinearAttention(high_channels)
        self.project = ConvBNReLU(high_channels, low_channels, 3)
        self.upsample = nn.Sequential(nn.Conv2d(low_channels, 4 * low_channels, 1), nn.PixelShuffle(2))

    def forward(self, high: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        weights = self.upsample(self.project(high + self.attention(high)))
        return low * weights + low


class DependencyPath(nn.Module):
    """Backbone stages 3 and 4 joined by attention embedding, reduced and brought to stride 8."""

    def __init__(self, encoder: Encoder, width: int):
        super().__init__()
        self.encoder = encoder
        _, _, c16, c32 = encoder.channels
        self.embed = AttentionEmbedding(c32, c16)
        self.reduce = ConvBNReLU(c16, width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, f8, f16, f32 = self.encoder(x)
        return resize(self.reduce(self.embed(f32, f16)), f8.shape[-2:])


class BANet(SegmentationModel):
    def __init__(self, num_classes: int, encoder: str = "pvt_v2_b1", width: int = 128,
                 pretrained: bool = False, weights: str | Path | None = None):
        super().__init__()
        self.dependency = DependencyPath(Encoder(encoder, pretrained=pretrained, weights=weights), width)
        self.texture = SpatialPath(width // 2, width)
        self.aggregate = FeatureAggregation(2 * width, 2 * width)
        self.head = ConvBNReLU(2 * width, 2 * width, 3)
        self.classifier = nn.Conv2d(2 * width, num_classes * 8 * 8, 1)
        self.shuffle = nn.PixelShuffle(8)

    def segment(self, x):
        fused = self.aggregate(self.texture(x), self.dependency(x))
        return self.shuffle(self.classifier(self.head(fused))), []


register_variants(
    BANet, VARIANTS,
    name="banet",
    classifier="classifier",
    description="bilateral: transformer dependency path (ResT-Lite; here PVTv2-B1) + conv texture path",
    paper="Wang et al., Transformer meets convolution: BANet, Remote Sens. 13(16) (2021) 3065",
)
