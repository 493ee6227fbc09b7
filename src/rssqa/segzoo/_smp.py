"""Shared builder for the segmentation-models-pytorch methods of the pool.

smp models are encoder -> decoder -> ``segmentation_head``; the head's first layer is the classifier,
so its input is the pre-classifier feature map for every smp architecture alike.
"""

from __future__ import annotations

import segmentation_models_pytorch as smp
from torch import nn

from rssqa.segzoo.pretrained import load_efficientnet_lite0

OFFLINE_ENCODER = "tf_efficientnet_lite0"
SMP_CLASSIFIER = "segmentation_head.0"


def build_smp(architecture: type[nn.Module], num_classes: int, pretrained: bool = False,
              encoder: str = OFFLINE_ENCODER, variant: str = "cpu", **kwargs) -> nn.Module:
    """``pretrained`` loads the offline ImageNet EfficientNet-Lite0 weights; other encoders are
    built randomly initialised (smp's own downloads are never used). ``variant`` is accepted for
    uniformity with the paper's methods: these models have one size only."""
    if variant not in ("cpu", "paper"):
        raise ValueError(f"unknown variant {variant!r}; smp methods have 'cpu' (= 'paper') only")
    model = architecture(encoder_name=f"tu-{encoder}", encoder_weights=None, classes=num_classes, **kwargs)
    if pretrained:
        if encoder != OFFLINE_ENCODER:
            raise ValueError(f"offline pretrained weights exist for {OFFLINE_ENCODER} only, not {encoder!r}")
        load_efficientnet_lite0(model.encoder.model)
    return model
