"""AerialFormer: a Swin Transformer encoder with a CNN stem and a multi-dilated CNN decoder.

Hanyu, T., Yamazaki, K., Tran, M., McCann, R. A., Liao, H., Rainwater, C., Adkins, M., Cothren, J.,
Le, N. (2024). AerialFormer: Multi-resolution transformer for aerial image segmentation. Remote
Sensing, 16(16), 2930.

As in the paper: a small CNN stem gives a stride-2 map beside the Swin pyramid (strides 4-32), so
the decoder can recover fine objects; the decoder climbs from stride 32 to stride 2 with a
transposed conv per level, concatenates the skip, and runs a multi-dilated CNN block (MDC: 1x1
pre-mix, three channel groups convolved at dilations 1/2/3, 1x1 fusion) followed by a 3x3 conv;
the 1x1 classifier runs at stride 2.

Variants: ``paper`` is AerialFormer-T (Swin-T, timm ``swin_tiny_patch4_window7_224`` at any input
size; 64-channel stem giving 48 channels), the smallest configuration of the paper. ``cpu`` keeps
stem and MDC decoder on the offline ImageNet EfficientNet-Lite0 encoder with a 32-channel stem
giving 16 channels. The classifier reads the stride-2 map (the stem's width).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rssqa.backbones.timm_pyramid import Encoder
from rssqa.segzoo.base import register_variants
from rssqa.segzoo.blocks import ConvBNReLU, SegmentationModel

SWIN_OPTIONS = dict(img_size=512, strict_img_size=False)  # windows pad themselves to any size

VARIANTS = {
    "paper": dict(encoder="swin_tiny_patch4_window7_224", encoder_options=SWIN_OPTIONS,
                  stem_channels=(64, 48)),
    "cpu": dict(encoder="tf_efficientnet_lite0", stem_channels=(32, 16)),
}

# Dilations of the three MDC groups per decoder level, deepest first (the paper's settings;
# kernel 1 for the first group at stride 2).
MDC_SETTINGS = (
    ((3, 1), (3, 2), (3, 3)),
    ((3, 1), (3, 2), (3, 3)),
    ((3, 1), (3, 2), (3, 3)),
    ((3, 1), (3, 1), (3, 1)),
    ((1, 1), (3, 1), (3, 1)),
)


def stem(hidden: int, out: int) -> nn.Sequential:
    """Stride-2 CNN stem: 3x3/2, two 3x3, 1x1 projection (GELU, as the paper's backbone convs)."""
    return nn.Sequential(ConvBNReLU(3, hidden, 3, stride=2, act=nn.GELU),
                         ConvBNReLU(hidden, hidden, 3, act=nn.GELU),
                         ConvBNReLU(hidden, hidden, 3, act=nn.GELU),
                         ConvBNReLU(hidden, out, 1, act=nn.GELU))


class MultiDilatedConv(nn.Module):
    """MDC block: 1x1 pre-mix, three channel groups each with its own (kernel, dilation), 1x1 fusion."""

    def __init__(self, in_channels: int, out_channels: int, settings: tuple[tuple[int, int], ...]):
        super().__init__()
        third = -(-in_channels // 3)
        self.splits = [third, third, in_channels - 2 * third]
        self.pre = nn.Conv2d(in_channels, in_channels, 1, bias=False)
        self.groups = nn.ModuleList(
            nn.Conv2d(c, c, k, padding=d * (k - 1) // 2, dilation=d, bias=False)
            for c, (k, d) in zip(self.splits, settings))
        self.fuse = ConvBNReLU(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = torch.split(self.pre(x), self.splits, dim=1)
        return self.fuse(torch.cat([conv(p) for conv, p in zip(self.groups, parts)], dim=1))


class DecoderLevel(nn.Module):
    """Up-convolve the coarser map, concatenate the skip, MDC block, 3x3 conv."""

    def __init__(self, coarse_channels: int | None, channels: int, settings):
        super().__init__()
        self.up = None
        if coarse_channels is not None:
            self.up = nn.Sequential(nn.ConvTranspose2d(coarse_channels, channels, 2, stride=2, bias=False),
                                    nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        in_channels = channels if coarse_channels is None else 2 * channels
        self.mix = nn.Sequential(MultiDilatedConv(in_channels, channels, settings),
                                 ConvBNReLU(channels, channels, 3))

    def forward(self, skip: torch.Tensor, coarse: torch.Tensor | None = None) -> torch.Tensor:
        if self.up is not None:
            skip = torch.cat([self.up(coarse), skip], dim=1)
        return self.mix(skip)


class AerialFormer(SegmentationModel):
    def __init__(self, num_classes: int, encoder: str = "swin_tiny_patch4_window7_224",
                 encoder_options: dict | None = None, stem_channels: tuple[int, int] = (64, 48),
                 dropout: float = 0.1, pretrained: bool = False, weights: str | Path | None = None):
        super().__init__()
        self.stem = stem(*stem_channels)
        self.encoder = Encoder(encoder, pretrained=pretrained, weights=weights, **(encoder_options or {}))
        widths = [*self.encoder.channels[::-1], stem_channels[1]]  # stride 32 ... stride 2
        self.levels = nn.ModuleList(DecoderLevel(widths[i - 1] if i else None, widths[i], MDC_SETTINGS[i])
                                    for i in range(len(widths)))
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(widths[-1], num_classes, 1)

    def segment(self, x):
        skips = [*self.encoder(x)[::-1], self.stem(x)]
        out = self.levels[0](skips[0])
        for level, skip in zip(self.levels[1:], skips[1:]):
            out = level(skip, out)
        return self.classifier(self.dropout(out)), []


register_variants(
    AerialFormer, VARIANTS,
    name="aerialformer",
    classifier="classifier",
    description="Swin-T encoder + CNN stem + multi-dilated CNN decoder down to stride 2",
    paper="Hanyu et al., AerialFormer, Remote Sens. 16(16) (2024) 2930",
)
