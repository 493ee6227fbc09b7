"""Building blocks shared by the pool's hand-written methods.

Every method here is "timm encoder -> the method's own decoder -> 1x1 classifier"; this module holds
what several decoders have in common: the conv units, the linear attention of Li, Wang et al.
(ABCNet, BANet, A2-FPN, MANet, DC-Swin all use a variant of it), the bilateral-network parts that
BANet and ABCNet share, and ``SegmentationModel``, which makes any input size work.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn


class ConvBNReLU(nn.Sequential):
    """Conv ("same" padding) -> BatchNorm -> activation; ``act=None`` leaves the activation out."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 dilation: int = 1, groups: int = 1, act: type[nn.Module] | None = nn.ReLU):
        layers = [
            nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                      padding=dilation * (kernel_size - 1) // 2, dilation=dilation, groups=groups,
                      bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)


class SeparableConvBNReLU(nn.Sequential):
    """Depthwise k x k (optionally dilated) -> pointwise 1x1 -> BatchNorm -> activation."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, dilation: int = 1,
                 act: type[nn.Module] | None = nn.ReLU):
        layers = [
            nn.Conv2d(in_channels, in_channels, kernel_size, padding=dilation * (kernel_size - 1) // 2,
                      dilation=dilation, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)


AttentionKernel = Literal["taylor", "softplus"]


def linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     kernel: AttentionKernel = "taylor", eps: float = 1e-6) -> torch.Tensor:
    """Self-attention in time linear in the number of tokens L.

    q, k: B x L x D, v: B x L x C -> B x L x C. The similarity of query i and key j is
    ``1 + q_i.k_j`` on L2-normalised vectors for ``"taylor"`` (a first-order expansion of
    softmax, the form of ABCNet, BANet, A2-FPN and DC-Swin) or ``softplus(q_i).softplus(k_j)``
    for ``"softplus"`` (MANet's kernel attention). Either way sum_j sim(i, j) v_j factorises, so
    the L x L matrix is never built.
    """
    if kernel == "taylor":
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        numerator = v.sum(dim=1, keepdim=True) + q @ (k.transpose(1, 2) @ v)
        denominator = k.shape[1] + q @ k.sum(dim=1).unsqueeze(-1)
    elif kernel == "softplus":
        q, k = F.softplus(q), F.softplus(k)
        numerator = q @ (k.transpose(1, 2) @ v)
        denominator = q @ k.sum(dim=1).unsqueeze(-1)
    else:
        raise ValueError(f"unknown attention kernel {kernel!r}")
    return numerator / (denominator + eps)


class LinearAttention(nn.Module):
    """Spatial linear self-attention over an NCHW map, scaled by a learnt ``gamma``.

    Returns only the attended values; ``gamma`` starts at zero so that a caller's residual
    connection makes the block an identity at initialisation, as in the original methods.
    """

    def __init__(self, channels: int, reduction: int = 8, kernel: AttentionKernel = "taylor"):
        super().__init__()
        key_channels = max(channels // reduction, 1)
        self.query = nn.Conv2d(channels, key_channels, 1)
        self.key = nn.Conv2d(channels, key_channels, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.kernel = kernel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def tokens(t: torch.Tensor) -> torch.Tensor:
            return t.flatten(2).transpose(1, 2)

        out = linear_attention(tokens(self.query(x)), tokens(self.key(x)), tokens(self.value(x)),
                               self.kernel)
        return self.gamma * out.transpose(1, 2).reshape_as(x)


class SpatialPath(nn.Sequential):
    """The shallow, wide-stride path of bilateral networks (ABCNet's spatial path, BANet's texture
    path): 7x7/2, 3x3/2, 3x3/2 convolutions keep fine detail at 1/8 resolution."""

    def __init__(self, hidden_channels: int, out_channels: int):
        super().__init__(
            ConvBNReLU(3, hidden_channels, 7, stride=2),
            ConvBNReLU(hidden_channels, hidden_channels, 3, stride=2),
            ConvBNReLU(hidden_channels, hidden_channels, 3, stride=2),
            ConvBNReLU(hidden_channels, out_channels, 1),
        )


class FeatureAggregation(nn.Module):
    """Fuses the two paths of a bilateral network (ABCNet/BANet FAM): concatenate, 1x1 conv, then
    re-weight the fused map by its own linear attention."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.fuse = ConvBNReLU(in_channels, out_channels, 1)
        self.attention = LinearAttention(out_channels)

    def forward(self, spatial: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        fused = self.fuse(torch.cat([spatial, context], dim=1))
        return fused * self.attention(fused) + fused


class AuxHead(nn.Sequential):
    """Auxiliary (deep-supervision) classifier, run only in training: conv, dropout, 1x1 conv."""

    def __init__(self, in_channels: int, hidden_channels: int, num_classes: int, dropout: float = 0.1):
        super().__init__(
            ConvBNReLU(in_channels, hidden_channels, 3),
            nn.Dropout2d(dropout),
            nn.Conv2d(hidden_channels, num_classes, 1),
        )


def resize(x: torch.Tensor, size: tuple[int, int] | torch.Size) -> torch.Tensor:
    """Bilinear resize of an NCHW map (no-op when it already has that size)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


class SegmentationModel(nn.Module):
    """Base of the pool's models: any input size in, logits at that size out.

    The input is zero-padded (zero is the dataset mean after the pool's scaling) to a multiple of
    ``size_divisor`` so that every stride-2 step of encoder and decoder halves exactly; logits are
    resized to the padded size and cropped back. Subclasses implement ``segment``; in training
    mode a model with auxiliary heads returns ``(logits, [aux_logits, ...])``, all at input size.
    """

    size_divisor: int = 32

    def segment(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Padded input -> (logits at any resolution, auxiliary logits; empty unless training)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        height, width = x.shape[-2:]
        padded = F.pad(x, (0, -width % self.size_divisor, 0, -height % self.size_divisor))
        logits, aux = self.segment(padded)

        def fit(t: torch.Tensor) -> torch.Tensor:
            return resize(t, padded.shape[-2:])[..., :height, :width]

        if self.training and aux:
            return fit(logits), [fit(a) for a in aux]
        return fit(logits)
