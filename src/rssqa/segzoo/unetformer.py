"""UNetFormer: a CNN encoder with a transformer decoder of global-local attention blocks.

Wang, L., Li, R., Zhang, C., Fang, S., Duan, C., Meng, X., Atkinson, P. M. (2022). UNetFormer: A
UNet-like transformer for efficient semantic segmentation of remote sensing urban scene imagery.
ISPRS Journal of Photogrammetry and Remote Sensing, 190, 196-214.

The decoder follows the paper: a global-local transformer block (GLTB: window self-attention with
relative position bias for global context, plus a parallel 3x3/1x1 convolutional local branch,
joined by cross-shaped pooling across window borders) at strides 32, 16 and 8, weighted-sum fusion
of each skip, a feature refinement head (spatial + channel attention) at stride 4, and an auxiliary
head on the summed decoder features during training.

Variants: ``paper`` is ResNet-18 with 64 decoder channels and 8x8 windows (the paper's);
``cpu`` swaps in the offline ImageNet EfficientNet-Lite0 encoder and 32 decoder channels.
The classifier's input is the refined stride-4 map (``decode_channels`` wide).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from timm.layers import RelPosBias
from torch import nn

from rssqa.backbones.timm_pyramid import Encoder
from rssqa.segzoo.base import register_variants
from rssqa.segzoo.blocks import AuxHead, ConvBNReLU, SegmentationModel, SeparableConvBNReLU, resize

VARIANTS = {
    "paper": dict(encoder="resnet18", decode_channels=64),
    "cpu": dict(encoder="tf_efficientnet_lite0", decode_channels=32),
}


def window_self_attention(qkv: torch.Tensor, num_heads: int, window: int,
                          bias: torch.Tensor | None = None) -> torch.Tensor:
    """Multi-head self-attention inside each non-overlapping window x window square.

    qkv: B x 3C x H x W (channels ordered q/k/v, then heads; H and W multiples of ``window``);
    bias: 1 x heads x window^2 x window^2, added to the attention logits. Returns B x C x H x W.
    """
    batch, channels3, height, width = qkv.shape
    channels, rows, cols, w = channels3 // 3, height // window, width // window, window
    # -> 3 x (B * windows) x heads x w*w x head_dim
    qkv = qkv.reshape(batch, 3, num_heads, channels // num_heads, rows, w, cols, w)
    qkv = qkv.permute(1, 0, 4, 6, 2, 5, 7, 3).reshape(3, batch * rows * cols, num_heads, w * w, -1)
    out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=bias)
    out = out.reshape(batch, rows, cols, num_heads, w, w, -1).permute(0, 3, 6, 1, 4, 2, 5)
    return out.reshape(batch, channels, height, width)


class GlobalLocalAttention(nn.Module):
    """Window self-attention (global branch) beside a convolutional local branch."""

    def __init__(self, dim: int, num_heads: int, window_size: int):
        super().__init__()
        self.num_heads, self.window = num_heads, window_size
        self.qkv = nn.Conv2d(dim, 3 * dim, 1, bias=False)
        self.rel_pos = RelPosBias((window_size, window_size), num_heads)
        self.local3 = ConvBNReLU(dim, dim, 3, act=None)
        self.local1 = ConvBNReLU(dim, dim, 1, act=None)
        # Average pooling along rows and columns lets neighbouring windows exchange context.
        self.pool_rows = nn.AvgPool2d((window_size, 1), stride=1, padding=(window_size // 2 - 1, 0))
        self.pool_cols = nn.AvgPool2d((1, window_size), stride=1, padding=(0, window_size // 2 - 1))
        self.proj = SeparableConvBNReLU(dim, dim, window_size, act=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        local = self.local3(x) + self.local1(x)

        w = self.window
        padded = F.pad(x, (0, -width % w, 0, -height % w), mode="replicate")
        attended = window_self_attention(self.qkv(padded), self.num_heads, w, self.rel_pos.get_bias())
        attended = attended[..., :height, :width]

        out = (self.pool_rows(F.pad(attended, (0, 0, 0, 1), mode="replicate"))
               + self.pool_cols(F.pad(attended, (0, 1, 0, 0), mode="replicate")) + local)
        # The even-sized projection kernel needs one extra row and column to keep the size.
        out = self.proj(F.pad(out, (0, 1, 0, 1), mode="replicate"))
        return out[..., :height, :width]


class GlobalLocalBlock(nn.Module):
    """GLTB: pre-norm global-local attention and a 1x1-conv MLP, each with a residual."""

    def __init__(self, dim: int, num_heads: int = 8, window_size: int = 8, mlp_ratio: float = 4.0):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.BatchNorm2d(dim)
        self.attention = GlobalLocalAttention(dim, num_heads, window_size)
        self.norm2 = nn.BatchNorm2d(dim)
        self.mlp = nn.Sequential(nn.Conv2d(dim, hidden, 1), nn.ReLU6(), nn.Conv2d(hidden, dim, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class WeightedFusion(nn.Module):
    """Upsample the decoder map and add the projected skip with learnt, normalised weights."""

    def __init__(self, skip_channels: int, channels: int, eps: float = 1e-8):
        super().__init__()
        self.skip = nn.Conv2d(skip_channels, channels, 1, bias=False)
        self.weights = nn.Parameter(torch.ones(2))
        self.eps = eps
        self.post = ConvBNReLU(channels, channels, 3, act=nn.ReLU6)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        weights = F.relu(self.weights)
        weights = weights / (weights.sum() + self.eps)
        return self.post(weights[0] * self.skip(skip) + weights[1] * resize(x, skip.shape[-2:]))


class FeatureRefinementHead(nn.Module):
    """Weighted fusion with the stride-4 skip, then parallel spatial and channel attention."""

    def __init__(self, skip_channels: int, channels: int):
        super().__init__()
        self.fuse = WeightedFusion(skip_channels, channels)
        self.spatial = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1, groups=channels),
                                     nn.Sigmoid())
        squeezed = max(channels // 16, 1)
        self.channel = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, squeezed, 1, bias=False),
                                     nn.ReLU6(), nn.Conv2d(squeezed, channels, 1, bias=False), nn.Sigmoid())
        self.shortcut = ConvBNReLU(channels, channels, 1, act=None)
        self.proj = SeparableConvBNReLU(channels, channels, 3, act=None)
        self.act = nn.ReLU6()

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.fuse(x, skip)
        attended = self.spatial(x) * x + self.channel(x) * x
        return self.act(self.proj(attended) + self.shortcut(x))


class UNetFormer(SegmentationModel):
    def __init__(self, num_classes: int, encoder: str = "resnet18", decode_channels: int = 64,
                 window_size: int = 8, dropout: float = 0.1, pretrained: bool = False,
                 weights: str | Path | None = None):
        super().__init__()
        self.encoder = Encoder(encoder, pretrained=pretrained, weights=weights)
        c4, c8, c16, c32 = self.encoder.channels
        d = decode_channels
        self.reduce = ConvBNReLU(c32, d, 1, act=None)
        self.block32 = GlobalLocalBlock(d, window_size=window_size)
        self.fuse16 = WeightedFusion(c16, d)
        self.block16 = GlobalLocalBlock(d, window_size=window_size)
        self.fuse8 = WeightedFusion(c8, d)
        self.block8 = GlobalLocalBlock(d, window_size=window_size)
        self.refine = FeatureRefinementHead(c4, d)
        self.head = nn.Sequential(ConvBNReLU(d, d, 3, act=nn.ReLU6), nn.Dropout2d(dropout))
        self.classifier = nn.Conv2d(d, num_classes, 1)
        self.aux_head = AuxHead(d, d, num_classes)

    def segment(self, x):
        f4, f8, f16, f32 = self.encoder(x)
        d32 = self.block32(self.reduce(f32))
        d16 = self.block16(self.fuse16(d32, f16))
        d8 = self.block8(self.fuse8(d16, f8))
        logits = self.classifier(self.head(self.refine(d8, f4)))
        if not self.training:
            return logits, []
        summed = resize(d32, d8.shape[-2:]) + resize(d16, d8.shape[-2:]) + d8
        return logits, [self.aux_head(summed)]


register_variants(
    UNetFormer, VARIANTS,
    name="unetformer",
    classifier="classifier",
    description="CNN encoder (ResNet-18) + transformer decoder of global-local attention blocks",
    paper="Wang et al., UNetFormer, ISPRS J. Photogramm. Remote Sens. 190 (2022) 196-214",
)
