"""Shared builder for the segmentation-models-pytorch methods of the pool.

smp models are encoder -> decoder -> ``segmentation_head``; the head's first layer is the classifier,
so its input is the pre-classifier feature map for every smp architecture alike.
"""

from __future__ import annotations

from functools import lru_cache

import torch.nn.functional as F
from torch import nn

from rssqa.errors import InputError
from rssqa.backbones.pretrained import load_efficientnet_lite0

OFFLINE_ENCODER = "tf_efficientnet_lite0"
SMP_CLASSIFIER = "segmentation_head.0"
OUTPUT_STRIDE = 32


class _PadToStride:
    """Mixin for an smp architecture: zero-pad the input to a multiple of the encoder's output
    stride (smp refuses other sizes) and crop the logits back, so any tile size works. As a mixin
    rather than a wrapper module, it leaves the state-dict keys and the classifier path unchanged."""

    def forward(self, x):
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % OUTPUT_STRIDE, -width % OUTPUT_STRIDE
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        return super().forward(x)[..., :height, :width]


@lru_cache(maxsize=None)
def _padded(architecture: type[nn.Module]) -> type[nn.Module]:
    return type(architecture.__name__, (_PadToStride, architecture), {})


def build_smp(architecture: type[nn.Module], num_classes: int, pretrained: bool = False,
              encoder: str = OFFLINE_ENCODER, variant: str = "cpu", **kwargs) -> nn.Module:
    """``pretrained`` loads the offline ImageNet EfficientNet-Lite0 weights; other encoders are
    built randomly initialised (smp's own downloads are never used). ``variant`` is accepted for
    uniformity with the paper's methods: these models have one size only."""
    if variant not in ("cpu", "paper"):
        raise InputError(None, f"unknown variant {variant!r}", "smp methods have one size: 'cpu' (= 'paper')")
    if pretrained and encoder != OFFLINE_ENCODER:
        raise InputError(None, f"no offline pretrained weights for encoder {encoder!r}",
                         f"use {OFFLINE_ENCODER} or pretrained=False")
    model = _padded(architecture)(encoder_name=f"tu-{encoder}", encoder_weights=None, classes=num_classes,
                                  **kwargs)
    if pretrained:
        load_efficientnet_lite0(model.encoder.model)
    return model
