"""MANet: multi-attention on every skip of a LinkNet-style decoder.

Li, R., Zheng, S., Zhang, C., Duan, C., Su, J., Wang, L., Atkinson, P. M. (2022). Multiattention
network for semantic segmentation of fine-resolution remote sensing images. IEEE Transactions on
Geoscience and Remote Sensing, 60, 1-13. (Not segmentation-models-pytorch's ``MAnet``, which is
Fan et al.'s multi-scale attention net.)

As in the paper: each encoder stage passes through a joint attention block, kernel attention
with linear complexity (softplus feature maps) plus channel attention, before it is added to the
decoder; decoder blocks are 1x1 reduce -> 3x3 transposed conv x2 -> 1x1 expand; a final transposed
conv and two 3x3 convs produce full-resolution logits.

Variants: ``paper`` is ResNet-50 with 32 channels in the full-resolution head (the paper's);
``cpu`` uses the offline ImageNet EfficientNet-Lite0 encoder and 16 head channels.
The classifier (the last 3x3 conv) reads the full-resolution head features.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rssqa.backbones.timm_pyramid import Encoder
from rssqa.segzoo.base import register_variants
from rssqa.segzoo.blocks import ConvBNReLU, LinearAttention, SegmentationModel

VARIANTS = {
    "paper": dict(encoder="resnet50", head_channels=32),
    "cpu": dict(encoder="tf_efficientnet_lite0", head_channels=16),
}


class ChannelAttention(nn.Module):
    """Softmax attention between channels (DANet's channel attention), scaled by a learnt gamma."""

    def __init__(self):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(2)
        energy = flat @ flat.transpose(1, 2)
        # Subtracting from the row maximum turns similarity into the DANet "difference" form.
        attention = torch.softmax(energy.amax(dim=-1, keepdim=True) - energy, dim=-1)
        return self.gamma * (attention @ flat).reshape_as(x)


class MultiAttention(nn.Module):
    """MANet's attention block: kernel (spatial) and channel attention, both added to the input."""

    def __init__(self, channels: int):
        super().__init__()
        self.spatial = LinearAttention(channels, kernel="softplus")
        self.channel = ChannelAttention()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.spatial(x) + self.channel(x)


class DecoderBlock(nn.Sequential):
    """1x1 reduce to a quarter, 3x3 transposed conv (x2), 1x1 expand; BatchNorm + ReLU each."""

    def __init__(self, in_channels: int, out_channels: int):
        mid = max(in_channels // 4, 1)
        super().__init__(
            ConvBNReLU(in_channels, mid, 1),
            nn.ConvTranspose2d(mid, mid, 3, stride=2, padding=1, output_padding=1, bias=False),
            nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            ConvBNReLU(mid, out_channels, 1),
        )


class MANet(SegmentationModel):
    def __init__(self, num_classes: int, encoder: str = "resnet50", head_channels: int = 32,
                 pretrained: bool = False, weights: str | Path | None = None):
        super().__init__()
        self.encoder = Encoder(encoder, pretrained=pretrained, weights=weights)
        c4, c8, c16, c32 = self.encoder.channels
        self.attention = nn.ModuleList(MultiAttention(c) for c in (c4, c8, c16, c32))
        self.decoders = nn.ModuleList([DecoderBlock(c32, c16), DecoderBlock(c16, c8),
                                       DecoderBlock(c8, c4), DecoderBlock(c4, c4)])
        self.head = nn.Sequential(
            nn.ConvTranspose2d(c4, head_channels, 4, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(head_channels, head_channels, 3, padding=1), nn.ReLU(inplace=True),
        )
        self.classifier = nn.Conv2d(head_channels, num_classes, 3, padding=1)

    def segment(self, x):
        f4, f8, f16, f32 = (attend(f) for attend, f in zip(self.attention, self.encoder(x)))
        d = self.decoders[0](f32) + f16
        d = self.decoders[1](d) + f8
        d = self.decoders[2](d) + f4
        d = self.decoders[3](d)
        return self.classifier(self.head(d)), []


register_variants(
    MANet, VARIANTS,
    name="manet",
    classifier="classifier",
    description="CNN encoder (ResNet-50) + decoder with kernel and channel attention on every skip",
    paper="Li et al., Multiattention network (MANet), IEEE TGRS 60 (2022) 1-13",
)
