"""What a segmentation method is to rssqa, and how its pre-classifier feature is tapped.

A method is a model builder plus the dotted name of its classifier module. RS-SQA's segmentation
branch reads the feature map *entering* that module; a forward pre-hook takes it, so no model is
ever edited to expose it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from rssqa.backbones.timm_pyramid import pick_variant
from rssqa.registry import Registry

@dataclass(frozen=True)
class SegMethod:
    """A segmentation method of the pool.

    build(num_classes, pretrained) returns an ``nn.Module`` mapping Nx3xHxW to NxKxHxW logits at
    the input resolution. In training mode a model may return ``(logits, [aux_logits, ...])``; the
    trainer adds the auxiliary losses, everything else only ever sees eval-mode logits.
    ``pretrained=True`` may load offline weights only (never a download).

    classifier: dotted path (``model.get_submodule``) of the module whose *input* is the
    pre-classifier feature map.
    """

    name: str
    build: Callable[..., nn.Module]
    classifier: str
    description: str = ""
    paper: str = ""
    defaults: dict = field(default_factory=dict)

    def create(self, num_classes: int, pretrained: bool = False, **overrides) -> nn.Module:
        return self.build(num_classes=num_classes, pretrained=pretrained, **{**self.defaults, **overrides})


def _load_builtin_methods() -> None:
    # Importing the package registers every built-in method exactly once.
    import rssqa.segzoo  # noqa: F401


METHODS: Registry[SegMethod] = Registry("segmentation method", _load_builtin_methods)


def register_method(method: SegMethod) -> SegMethod:
    return METHODS.add(method.name, method)


def register_variants(model: Callable[..., nn.Module], variants: Mapping[str, dict], *, name: str,
                      classifier: str, description: str = "", paper: str = "") -> SegMethod:
    """Register a method whose sizes are named configurations of one model class (``paper``: as
    published; ``cpu``: sized for CPUs), chosen by the ``variant`` keyword; any other keyword
    overrides one setting of the chosen configuration."""
    def build(num_classes: int, pretrained: bool = False, variant: str = "paper",
              weights: str | Path | None = None, **overrides) -> nn.Module:
        config = {**pick_variant(name, variants, variant), **overrides}
        return model(num_classes, pretrained=pretrained, weights=weights, **config)

    build.__name__ = f"build_{name}"
    return register_method(SegMethod(name, build, classifier, description, paper))


def get_method(name: str) -> SegMethod:
    return METHODS.get(name)


def available_methods() -> list[str]:
    return METHODS.names()


class FeatureTap:
    """Context manager: global-average pooled input of ``model``'s classifier on each forward.

    >>> with FeatureTap(model, method.classifier) as tap:
    ...     logits = model(x)
    >>> tap.pooled  # N x C
    """

    def __init__(self, model: nn.Module, classifier: str):
        self.module = model.get_submodule(classifier)
        self.pooled: torch.Tensor | None = None
        self._handle = None

    def _hook(self, module: nn.Module, inputs: tuple) -> None:
        feature = inputs[0]
        if feature.ndim == 4:  # NxCxHxW
            self.pooled = feature.detach().mean(dim=(2, 3))
        elif feature.ndim == 3:  # NxLxC tokens
            self.pooled = feature.detach().mean(dim=1)
        else:
            self.pooled = feature.detach()

    def __enter__(self) -> FeatureTap:
        self._handle = self.module.register_forward_pre_hook(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        self._handle.remove()
