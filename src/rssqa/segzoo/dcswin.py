"""DC-Swin: a Swin Transformer encoder with a densely connected convolutional decoder.

Wang, L., Li, R., Duan, C., Zhang, C., Meng, X., Fang, S. (2022). A novel transformer based
semantic segmentation scheme for fine-resolution remote sensing images. IEEE Geoscience and Remote
Sensing Letters, 19, 1-5.

As in the paper: the densely connected feature aggregation module (DCFAM) links the four Swin
stages through down-connections (strided residual convs) and large-field up-connections (dilated
separable convs, rates 6 and 12), with a *shared* spatial attention (linear, on stage-3 width) and
a *shared* channel attention (linear, channels as tokens) reused at two places each; the stride-8
and stride-4 outputs are summed, then a 3x3 conv and the 1x1 classifier run at stride 4 before the
final x4 upsampling.

Variants: ``paper`` is Swin-S (timm ``swin_small_patch4_window7_224``, any input size), the
paper's; ``cpu`` keeps the DCFAM decoder on the offline ImageNet EfficientNet-Lite0 encoder (its
decoder widths follow the encoder's, 24/40/112/320). The classifier (the convolution before the
last upsample) reads the stride-4 map, as wide as encoder stage 1.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rssqa.backbones.timm_pyramid import Encoder
from rssqa.segzoo.base import register_variants
from rssqa.segzoo.blocks import (ConvBNReLU, LinearAttention, SegmentationModel, SeparableConvBNReLU,
                                 linear_attention)

SWIN_OPTIONS = dict(img_size=512, strict_img_size=False)  # windows pad themselves to any size

VARIANTS = {
    "paper": dict(encoder="swin_small_patch4_window7_224", encoder_options=SWIN_OPTIONS),
    "cpu": dict(encoder="tf_efficientnet_lite0"),
}


class SpatialAttention(LinearAttention):
    """Linear spatial self-attention with a residual; one instance is shared by two DCFAM links."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + super().forward(x)


class ChannelAttention(nn.Module):
    """Linear self-attention among channels (each channel's map is a token), with a residual."""

    def __init__(self):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.flatten(2)
        return x + self.gamma * linear_attention(tokens, tokens, tokens).reshape_as(x)


class DownConnection(nn.Module):
    """Residual block that halves the resolution: two 3x3 convs beside a strided 3x3 shortcut."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.body = nn.Sequential(ConvBNReLU(in_channels, out_channels, 3),
                                  ConvBNReLU(out_channels, out_channels, 3, stride=2, act=None))
        self.shortcut = ConvBNReLU(in_channels, out_channels, 3, stride=2, act=None)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


def up_connection(channels: tuple[int, int, int], rates: tuple[int, int]) -> nn.Sequential:
    """Two dilated separable convs, each followed by nearest x2: climbs two levels with a large field."""
    (c_in, c_mid, c_out), (rate1, rate2) = channels, rates
    return nn.Sequential(SeparableConvBNReLU(c_in, c_mid, 3, dilation=rate1), nn.Upsample(scale_factor=2),
                         SeparableConvBNReLU(c_mid, c_out, 3, dilation=rate2), nn.Upsample(scale_factor=2))


class DCFAM(nn.Module):
    """Densely connected feature aggregation over the four encoder stages -> (stride 4, stride 8)."""

    def __init__(self, channels: list[int], rates: tuple[int, int] = (6, 12)):
        super().__init__()
        c1, c2, c3, c4 = channels
        self.conv1 = nn.Conv2d(c1, c1, 1, bias=False)
        self.conv4 = nn.Conv2d(c4, c4, 1, bias=False)
        self.up4 = up_connection((c4, c3, c2), rates)
        self.up3 = up_connection((c3, c2, c1), rates)
        self.down12 = DownConnection(c1, c2)
        self.down23_a = DownConnection(c2, c3)
        self.down23_b = DownConnection(c2, c3)
        self.down34 = DownConnection(c3, c4)
        self.spatial = SpatialAttention(c3)
        self.channel = ChannelAttention()

    def forward(self, x1, x2, x3, x4):
        out4 = self.conv4(x4) + self.down34(self.spatial(self.down23_b(x2)))
        out3 = self.spatial(x3) + self.down23_a(self.channel(self.down12(x1)))
        out2 = self.channel(x2) + self.up4(out4)
        out1 = self.up3(out3) + self.conv1(x1)
        return out1, out2


class DCSwin(SegmentationModel):
    def __init__(self, num_classes: int, encoder: str = "swin_small_patch4_window7_224",
                 encoder_options: dict | None = None, rates: tuple[int, int] = (6, 12),
                 dropout: float = 0.05, pretrained: bool = False, weights: str | Path | None = None):
        super().__init__()
        self.encoder = Encoder(encoder, pretrained=pretrained, weights=weights, **(encoder_options or {}))
        c1, c2, _, _ = self.encoder.channels
        self.dcfam = DCFAM(self.encoder.channels, rates)
        self.up2 = nn.Sequential(ConvBNReLU(c2, c1, 3), nn.Upsample(scale_factor=2))
        self.dropout = nn.Dropout2d(dropout)
        self.head = ConvBNReLU(c1, c1, 3)
        self.classifier = nn.Conv2d(c1, num_classes, 1)

    def segment(self, x):
        out1, out2 = self.dcfam(*self.encoder(x))
        features = self.head(self.dropout(out1 + self.up2(out2)))
        return self.classifier(features), []


register_variants(
    DCSwin, VARIANTS,
    name="dcswin",
    classifier="classifier",
    description="Swin-S encoder + densely connected CNN decoder with shared spatial/channel attention",
    paper="Wang et al., DC-Swin, IEEE Geosci. Remote Sens. Lett. 19 (2022) 1-5",
)
