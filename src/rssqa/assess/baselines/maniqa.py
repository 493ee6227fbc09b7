"""MANIQA (Yang et al. 2022, CVPR workshops), CPU-sized and retrained per segmentation method.

The structure kept: multi-level features concatenated on one grid; transposed attention blocks
(attention across channels, each channel's spatial map a token) alternating with spatial
transformer blocks and a channel reduction, twice; and the dual-branch patch-weighted head (each
position predicts a score and a positive weight; the image score is their weighted mean).

Departures, for a 2-core CPU and offline weights: the frozen ImageNet EfficientNet-Lite0 replaces
the ViT-B/8 (its stride-8/16/32 maps, average-pooled onto the 7 x 7 grid of the coarsest one,
replace four ViT layers at 28 x 28); a 1 x 1 convolution reduces the concatenation to 64
channels before the first transposed attention (MANIQA reduces after it: attention over 472
channels costs 14 times more); the scale Swin blocks become plain transformer encoder layers,
since a 7 x 7 grid fits one attention window; widths are 64 then 32 instead of 768 then 384. The
loss is MSE, as in the paper.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from rssqa.assess.baselines.nr_iqa_common import FrozenBackboneRegressor
from rssqa.assess.registry import register_assessor



class TransposedAttention(nn.Module):
    """MANIQA's TAB: channels attend to channels; queries, keys and values are linear maps of
    each channel's flattened spatial map. Residual."""

    def __init__(self, positions: int, dropout: float = 0.1):
        super().__init__()
        self.query = nn.Linear(positions, positions)
        self.key = nn.Linear(positions, positions)
        self.value = nn.Linear(positions, positions)
        self.scale = positions ** -0.5
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # N x C x positions
        attention = torch.softmax(self.query(x) @ self.key(x).transpose(1, 2) * self.scale, dim=-1)
        return x + self.dropout(attention @ self.value(x))


class MANIQAHead(nn.Module):
    def __init__(self, channels: list[int], grid: tuple[int, int], widths=(64, 32),
                 heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.grid = grid
        positions = grid[0] * grid[1]
        self.stem = nn.Conv2d(sum(channels), widths[0], kernel_size=1)
        stages, width_in = [], widths[0]
        for width in widths:
            stages.append(nn.ModuleDict({
                "tab": TransposedAttention(positions, dropout),
                "reduce": nn.Conv2d(width_in, width, kernel_size=1),
                "spatial": nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width,
                                                      dropout=dropout, batch_first=True,
                                                      norm_first=True),
            }))
            width_in = width
        self.stages = nn.ModuleList(stages)
        self.position = nn.Parameter(torch.zeros(1, positions, widths[0]))
        self.score = nn.Sequential(nn.Linear(width_in, width_in), nn.ReLU(), nn.Dropout(dropout),
                                   nn.Linear(width_in, 1))
        self.weight = nn.Sequential(nn.Linear(width_in, width_in), nn.ReLU(), nn.Dropout(dropout),
                                    nn.Linear(width_in, 1), nn.Softplus())
        nn.init.trunc_normal_(self.position, std=0.02)

    def forward(self, maps: list[torch.Tensor]) -> torch.Tensor:
        x = self.stem(torch.cat(maps, dim=1))
        for index, stage in enumerate(self.stages):
            x = stage["tab"](x.flatten(2)).view_as(x)
            tokens = stage["reduce"](x).flatten(2).transpose(1, 2)  # N x positions x width
            if index == 0:
                tokens = tokens + self.position
            tokens = stage["spatial"](tokens)
            x = tokens.transpose(1, 2).reshape(x.shape[0], -1, *self.grid)
        tokens = x.flatten(2).transpose(1, 2)
        score, weight = self.score(tokens).squeeze(2), self.weight(tokens).squeeze(2) + 1e-6
        return (score * weight).sum(dim=1) / weight.sum(dim=1)


@register_assessor("maniqa")
class MANIQAAssessor(FrozenBackboneRegressor):
    """MANIQA head per method on frozen EfficientNet-Lite0 maps (see the module docstring)."""

    name = "maniqa"
    loss = staticmethod(F.mse_loss)

    def frozen_maps(self, maps: list[torch.Tensor]) -> list[torch.Tensor]:
        return [F.adaptive_avg_pool2d(m, maps[-1].shape[-2:]) for m in maps]

    def build_head(self, channels: list[int], sizes: list[tuple[int, int]]) -> nn.Module:
        """``maps`` arrive pooled onto one grid (``frozen_maps``)."""
        return MANIQAHead(channels, grid=sizes[-1])
