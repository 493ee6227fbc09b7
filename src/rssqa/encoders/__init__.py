"""Semantic encoders: the offline ImageNet default and user-supplied CLIP checkpoints."""

from rssqa.encoders.base import EncoderOutput, SemanticEncoder
from rssqa.encoders.registry import (available_encoders, build_encoder, create_encoder,
                                     register_encoder)

__all__ = ["EncoderOutput", "SemanticEncoder", "available_encoders", "build_encoder", "create_encoder", "register_encoder"]
