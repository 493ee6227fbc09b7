"""Encoders by name, so configs say ``encoder: {name: ..., ...}`` and never import classes."""

from __future__ import annotations

from collections.abc import Callable

from rssqa.encoders.base import SemanticEncoder

_FACTORIES: dict[str, Callable[..., SemanticEncoder]] = {}


def register_encoder(name: str):
    def decorator(factory: Callable[..., SemanticEncoder]):
        _FACTORIES[name] = factory
        return factory
    return decorator


def create_encoder(name: str, **kwargs) -> SemanticEncoder:
    if name not in _FACTORIES:
        raise KeyError(f"unknown semantic encoder {name!r}; known: {', '.join(sorted(_FACTORIES))}")
    return _FACTORIES[name](**kwargs)


def available_encoders() -> list[str]:
    return sorted(_FACTORIES)


@register_encoder("efficientnet-lite0")
def _efficientnet_lite0(**kwargs) -> SemanticEncoder:
    from rssqa.encoders.efficientnet import EfficientNetLiteEncoder

    return EfficientNetLiteEncoder(**kwargs)


@register_encoder("open_clip")
def _open_clip(**kwargs) -> SemanticEncoder:
    """kwargs: model (e.g. "ViT-B-32" or "local-dir:<folder>"), pretrained (a local file), input_size."""
    from rssqa.encoders.openclip import OpenClipEncoder

    return OpenClipEncoder(**kwargs)


@register_encoder("hf-clip")
def _hf_clip(**kwargs) -> SemanticEncoder:
    """kwargs: path (a local Hugging Face CLIP folder)."""
    from rssqa.encoders.hf_clip import HFClipEncoder

    return HFClipEncoder(**kwargs)


@register_encoder("clip-rs")
def _clip_rs(**kwargs) -> SemanticEncoder:
    """kwargs: checkpoint (a model folder written by `rssqa pretrain-clip`), input_size."""
    from rssqa.encoders.openclip import clip_rs_encoder

    return clip_rs_encoder(**kwargs)
