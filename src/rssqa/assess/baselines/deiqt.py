"""DEIQT (Qin et al. 2023, AAAI), CPU-sized and retrained per segmentation method on SQED.

The structure kept: an encoder's CLS token summarises the image; the attention-panel decoder
copies it into a panel of members, each with its own learned offset, that attend to one another
and cross-attend to the encoder's patch tokens, as several human raters would look at the same
image; each member gives a score and the panel's mean is the prediction.

Departures, for a 2-core CPU and offline weights: the frozen ImageNet EfficientNet-Lite0 replaces
the fine-tuned ViT (DeiT-S) encoder. A CNN has no CLS token, so one trainable transformer encoder
layer with a learned CLS token runs over the 7 x 7 stride-32 map (concatenated with the
stride-16 map pooled to 7 x 7, projected to width 64); one decoder layer, a panel of 6. Trained
with an L1 loss.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from rssqa.assess.baselines.nr_iqa_common import FrozenBackboneRegressor
from rssqa.assess.registry import register_assessor


class DEIQTHead(nn.Module):
    def __init__(self, channels: list[int], sizes: list[tuple[int, int]], width: int = 64,
                 heads: int = 4, panel: int = 6, dropout: float = 0.1):
        super().__init__()
        self.grid = sizes[-1]
        self.project = nn.Linear(sum(channels), width)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.position = nn.Parameter(torch.zeros(1, self.grid[0] * self.grid[1] + 1, width))
        self.encoder = nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width,
                                                  dropout=dropout, batch_first=True, norm_first=True)
        self.panel = nn.Parameter(torch.zeros(1, panel, width))
        self.decoder = nn.TransformerDecoderLayer(width, heads, dim_feedforward=2 * width,
                                                  dropout=dropout, batch_first=True, norm_first=True)
        self.head = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU(),
                                  nn.Linear(width, 1))
        for parameter in (self.cls_token, self.position, self.panel):
            nn.init.trunc_normal_(parameter, std=0.02)

    def forward(self, maps: list[torch.Tensor]) -> torch.Tensor:
        features = torch.cat(maps, dim=1)
        tokens = self.project(features.flatten(2).transpose(1, 2))
        tokens = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], 1) + self.position
        encoded = self.encoder(tokens)
        cls, patches = encoded[:, :1], encoded[:, 1:]
        members = self.decoder(cls + self.panel, patches)  # N x panel x width
        return self.head(members).squeeze(2).mean(dim=1)


@register_assessor("deiqt")
class DEIQTAssessor(FrozenBackboneRegressor):
    """DEIQT head per method on frozen EfficientNet-Lite0 maps (see the module docstring)."""

    name = "deiqt"

    def frozen_maps(self, maps: list[torch.Tensor]) -> list[torch.Tensor]:
        """The stride-16 map pooled onto the stride-32 grid, beside the stride-32 map."""
        return [F.adaptive_avg_pool2d(maps[-2], maps[-1].shape[-2:]), maps[-1]]

    def build_head(self, channels: list[int], sizes: list[tuple[int, int]]) -> nn.Module:
        return DEIQTHead(channels, sizes)
