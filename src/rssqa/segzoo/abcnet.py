"""ABCNet: a bilateral network whose context path is enhanced by linear attention.

Li, R., Zheng, S., Zhang, C., Duan, C., Wang, L., Atkinson, P. M. (2021). ABCNet: Attentive
bilateral contextual network for efficient semantic segmentation of fine-resolution remotely sensed
imagery. ISPRS Journal of Photogrammetry and Remote Sensing, 181, 84-98.

As in the paper: a spatial path (three stride-2 convolutions, stride 8) keeps detail; a contextual
path runs a CNN backbone whose stride-16 and stride-32 stages pass through attention enhancement
modules (conv + linear attention) and are merged top-down with the global average context; the
feature aggregation module fuses both paths with linear attention; the output head predicts
``num_classes * 8 * 8`` channels that a pixel shuffle rearranges to full resolution. Two
auxiliary heads supervise the context path at strides 16 and 32 in training.

Variants: ``paper`` is ResNet-18, 64/128-channel spatial path, 128-channel context and 256-channel
fusion (the paper's); ``cpu`` uses the offline ImageNet EfficientNet-Lite0 context backbone with
every width halved. The classifier (the 1x1 conv before the pixel shuffle) reads the fused stride-8
map.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rssqa.backbones.timm_pyramid import Encoder
from rssqa.segzoo.base import register_variants
from rssqa.segzoo.blocks import (AuxHead, ConvBNReLU, FeatureAggregation, LinearAttention,
                                 SegmentationModel, SpatialPath, resize)

VARIANTS = {
    "paper": dict(encoder="resnet18", width=128),
    "cpu": dict(encoder="tf_efficientnet_lite0", width=64),
}


class AttentionEnhancement(nn.Module):
    """AEM: 3x3 conv to the context width, plus its linear self-attention."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = ConvBNReLU(in_channels, out_channels, 3)
        self.attention = LinearAttention(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return x + self.attention(x)


class ContextPath(nn.Module):
    """Backbone stages 16 and 32, attention-enhanced, merged top-down with the global context."""

    def __init__(self, encoder: Encoder, width: int):
        super().__init__()
        self.encoder = encoder
        _, _, c16, c32 = encoder.channels
        self.global_context = ConvBNReLU(c32, width, 1)
        self.enhance32 = AttentionEnhancement(c32, width)
        self.enhance16 = AttentionEnhancement(c16, width)
        self.refine32 = ConvBNReLU(width, width, 3)
        self.refine16 = ConvBNReLU(width, width, 3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> context at stride 8, and the stride-16 and stride-32 sums (for the auxiliary heads)."""
        _, f8, f16, f32 = self.encoder(x)
        sum32 = self.enhance32(f32) + self.global_context(f32.mean(dim=(2, 3), keepdim=True))
        sum16 = self.enhance16(f16) + self.refine32(resize(sum32, f16.shape[-2:]))
        return self.refine16(resize(sum16, f8.shape[-2:])), sum16, sum32


class ABCNet(SegmentationModel):
    def __init__(self, num_classes: int, encoder: str = "resnet18", width: int = 128,
                 pretrained: bool = False, weights: str | Path | None = None):
        super().__init__()
        self.spatial = SpatialPath(width // 2, width)
        self.context = ContextPath(Encoder(encoder, pretrained=pretrained, weights=weights), width)
        self.aggregate = FeatureAggregation(2 * width, 2 * width)
        self.head = ConvBNReLU(2 * width, 2 * width, 3)
        self.classifier = nn.Conv2d(2 * width, num_classes * 8 * 8, 1)
        self.shuffle = nn.PixelShuffle(8)
        self.aux16 = AuxHead(width, width // 2, num_classes)
        self.aux32 = AuxHead(width, width // 2, num_classes)

    def segment(self, x):
        context, sum16, sum32 = self.context(x)
        fused = self.aggregate(self.spatial(x), context)
        logits = self.shuffle(self.classifier(self.head(fused)))
        if not self.training:
            return logits, []
        return logits, [self.aux16(sum16), self.aux32(sum32)]


register_variants(
    ABCNet, VARIANTS,
    name="abcnet",
    classifier="classifier",
    description="bilateral CNN: spatial path + attention-enhanced ResNet-18 context path",
    paper="Li et al., ABCNet, ISPRS J. Photogramm. Remote Sens. 181 (2021) 84-98",
)
