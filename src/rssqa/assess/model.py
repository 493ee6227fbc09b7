"""The RS-SQA assessor network (arXiv 2502.13990, Sec. III): two adapters, cross gating, a head.

::

    encoder tokens (N x L x C) --SemanticAdapter-->  F_sem ---.
                                                               CrossGating --> QualityHead --> OA
    pooled seg feature (N x C_m) --SegmentationAdapter--> F_seg'

Both inputs are cached features (the encoder and the segmentation model stay frozen), so the
network is small and trains on CPU. One network is trained per segmentation method.
"""

from __future__ import annotations

import math

import torch
from timm.models.vision_transformer import Block
from torch import nn

from rssqa.assess.config import RSSQAConfig


class SemanticAdapter(nn.Module):
    """Encoder tokens -> F_sem: linear projection, a learned [CLS] token and positional
    embedding, ``depth`` ViT blocks, and the CLS token after a final LayerNorm.

    Departure from the paper, which does not say how the adapter's tokens become one vector:
    a learned CLS token, as in ViT, rather than a mean over tokens (the mean is what the
    ``adapters=False`` ablation projects)."""

    def __init__(self, token_dim: int, num_tokens: int, hidden: int, heads: int, depth: int,
                 mlp_ratio: float = 4.0):
        super().__init__()
        self.num_tokens = num_tokens
        self.project = nn.Linear(token_dim, hidden)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, hidden))
        self.position = nn.Parameter(torch.zeros(1, num_tokens + 1, hidden))
        self.blocks = nn.Sequential(*[Block(hidden, heads, mlp_ratio=mlp_ratio, qkv_bias=True)
                                      for _ in range(depth)])
        self.norm = nn.LayerNorm(hidden)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.position, std=0.02)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.shape[1] != self.num_tokens:
            raise ValueError(f"expected {self.num_tokens} tokens, got {tokens.shape[1]}")
        x = self.project(tokens)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.position
        return self.norm(self.blocks(x))[:, 0]


class MeanTokenProjection(nn.Module):
    """Ablation ``adapters=False``: F_sem is one linear projection of the mean token."""

    def __init__(self, token_dim: int, hidden: int):
        super().__init__()
        self.project = nn.Linear(token_dim, hidden)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.project(tokens.mean(dim=1))


class SegmentationAdapter(nn.Module):
    """Pooled pre-classifier feature -> F_seg: Linear, GELU, Linear."""

    def __init__(self, seg_dim: int, hidden: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(seg_dim, hidden), nn.GELU(), nn.Linear(hidden, hidden))

    def forward(self, seg_vec: torch.Tensor) -> torch.Tensor:
        return self.mlp(seg_vec)


class CrossGating(nn.Module):
    """The paper's simple cross-gating block: the semantic feature gates the segmentation one.

    gate = GELU(W_sem F_sem); F_seg' = W_seg F_seg; out = W_fuse(gate * F_seg') + F_seg'.
    """

    def __init__(self, hidden: int):
        super().__init__()
        self.semantic = nn.Linear(hidden, hidden)
        self.segmentation = nn.Linear(hidden, hidden)
        self.fuse = nn.Linear(hidden, hidden)
        self.activation = nn.GELU()

    def forward(self, f_sem: torch.Tensor, f_seg: torch.Tensor) -> torch.Tensor:
        gate = self.activation(self.semantic(f_sem))
        f_seg = self.segmentation(f_seg)
        return self.fuse(gate * f_seg) + f_seg


class ConcatFusion(nn.Module):
    """Ablation ``fusion="concat"``: one linear layer over [F_sem, F_seg]."""

    def __init__(self, hidden: int):
        super().__init__()
        self.fuse = nn.Linear(2 * hidden, hidden)

    def forward(self, f_sem: torch.Tensor, f_seg: torch.Tensor) -> torch.Tensor:
        return self.fuse(torch.cat([f_sem, f_seg], dim=-1))


class QualityHead(nn.Module):
    """Fused feature -> predicted OA in [0, 1]: two linear layers with GELU between, dropout
    before each, and a sigmoid."""

    def __init__(self, hidden: int, dropout: float = 0.1):
        super().__init__()
        self.mlp = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Dropout(dropout), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.mlp(x)).squeeze(-1)

    @torch.no_grad()
    def start_at(self, score: float) -> None:
        """Set the output bias so an untrained head predicts ``score`` (e.g. the mean training
        OA). Not in the paper: at lr 1e-4 the bias would otherwise spend most of a short CPU
        training run climbing from sigmoid(0) = 0.5 to where OA lives."""
        score = min(max(score, 1e-3), 1 - 1e-3)
        self.mlp[-1].bias.fill_(math.log(score / (1 - score)))


class RSSQANet(nn.Module):
    """One method's assessor: (tokens N x L x C, seg_vec N x C_m) -> N predicted OA.

    With ``branches`` set to a single branch the other adapter is not built and its input is
    ignored; the fusion block only exists when both branches do.
    """

    def __init__(self, token_dim: int, num_tokens: int, seg_dim: int, config: RSSQAConfig):
        super().__init__()
        self.config = config
        hidden = config.hidden
        self.semantic = self.segmentation = self.fusion = None
        if config.branches in ("both", "semantic"):
            self.semantic = (SemanticAdapter(token_dim, num_tokens, hidden, config.heads,
                                             config.depth, config.mlp_ratio)
                             if config.adapters else MeanTokenProjection(token_dim, hidden))
        if config.branches in ("both", "segmentation"):
            self.segmentation = (SegmentationAdapter(seg_dim, hidden) if config.adapters
                                 else nn.Linear(seg_dim, hidden))
        if config.branches == "both":
            self.fusion = CrossGating(hidden) if config.fusion == "gate" else ConcatFusion(hidden)
        self.head = QualityHead(hidden, config.dropout)

    def forward(self, tokens: torch.Tensor, seg_vec: torch.Tensor) -> torch.Tensor:
        if self.fusion is not None:
            fused = self.fusion(self.semantic(tokens), self.segmentation(seg_vec))
        elif self.semantic is not None:
            fused = self.semantic(tokens)
        else:
            fused = self.segmentation(seg_vec)
        return self.head(fused)
