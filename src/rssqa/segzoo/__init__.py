"""The segmentation pool: one module per method, each registering a SegMethod."""

from rssqa.segzoo.base import FeatureTap, SegMethod, available_methods, get_method, register_method

__all__ = ["FeatureTap", "SegMethod", "available_methods", "get_method", "register_method"]
