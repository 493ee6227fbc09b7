"""The segmentation pool: one module per method, each registering a SegMethod on import."""

from rssqa.segzoo.base import FeatureTap, SegMethod, available_methods, get_method, register_method

# Built-in methods register themselves on import (keep one line per method).
from rssqa.segzoo import deeplabv3plus, fpn, unet  # noqa: E402,F401  isort: skip
from rssqa.segzoo import a2fpn  # noqa: E402,F401  isort: skip
from rssqa.segzoo import abcnet  # noqa: E402,F401  isort: skip
from rssqa.segzoo import aerialformer  # noqa: E402,F401  isort: skip
from rssqa.segzoo import banet  # noqa: E402,F401  isort: skip
from rssqa.segzoo import dcswin  # noqa: E402,F401  isort: skip
from rssqa.segzoo import manet  # noqa: E402,F401  isort: skip
from rssqa.segzoo import unetformer  # noqa: E402,F401  isort: skip
from rssqa.segzoo import upernet  # noqa: E402,F401  isort: skip

__all__ = ["FeatureTap", "SegMethod", "available_methods", "get_method", "register_method"]
