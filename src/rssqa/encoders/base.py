"""The semantic branch's input: an image encoder that gives tokens and a pooled vector.

An encoder runs once per tile; every method's assessment of that tile shares its output.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass
class EncoderOutput:
    """tokens: N x L x C (patch tokens or a flattened feature map); pooled: N x C' (CLS or mean)."""

    tokens: torch.Tensor
    pooled: torch.Tensor


class SemanticEncoder(nn.Module, ABC):
    """Frozen image encoder. Subclasses set ``name``, ``token_dim``, ``pooled_dim`` and
    ``input_size`` and implement ``forward`` on already-preprocessed input."""

    name: str = "encoder"
    token_dim: int
    pooled_dim: int
    input_size: int

    @abstractmethod
    def preprocess(self, images: np.ndarray) -> torch.Tensor:
        """N x H x W x 3 uint8 RGB -> N x 3 x S x S float tensor as this encoder expects."""

    @abstractmethod
    def forward(self, pixels: torch.Tensor) -> EncoderOutput: ...

    @torch.no_grad()
    def encode(self, images: np.ndarray) -> EncoderOutput:
        """Encode uint8 RGB images (N x H x W x 3); counts forwards so callers can prove reuse."""
        self.eval()
        self.forward_count = getattr(self, "forward_count", 0) + 1
        return self(self.preprocess(images))
