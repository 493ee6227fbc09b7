"""Semantic encoders: the offline ImageNet default and user-supplied CLIP checkpoints."""
