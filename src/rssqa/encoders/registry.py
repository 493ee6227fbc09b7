"""Encoders by name, so configs say ``encoder: {name: ..., ...}`` and never import classes."""

from __future__ import annotations

from rssqa.config import ExperimentConfig
from rssqa.encoders.base import SemanticEncoder
from rssqa.registry import Registry
from rssqa.torch_setup import seed_everything

# Factories import their encoder's module only when called: naming an encoder never loads torch
# models it does not use.
ENCODERS: Registry = Registry("semantic encoder")
register_encoder = ENCODERS.register


def create_encoder(name: str, **kwargs) -> SemanticEncoder:
    return ENCODERS.create(name, **kwargs)


def build_encoder(config: ExperimentConfig) -> SemanticEncoder:
    """The semantic encoder ``config.encoder`` names, the same in every process that builds it
    (seeded, for any randomly initialised part)."""
    seed_everything(config.seed)
    return create_encoder(config.encoder.name, **config.encoder.kwargs)


def available_encoders() -> list[str]:
    return ENCODERS.names()


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
