"""Baseline assessors, one module each; importing this package registers them all.

A new baseline: add a module whose ``Assessor`` subclass carries ``@register_assessor(name)`` and
implements ``save``/``load`` (state as ``assessor.json``), then import it here.
"""

from rssqa.assess.baselines import agreement, atc, blackbox, confidence, prior, random  # noqa: F401
from rssqa.assess.baselines import bliinds, brisque, deiqt, fractal, hyperiqa, maniqa  # noqa: F401
from rssqa.assess.baselines.confidence import ConfidenceAssessor
from rssqa.assess.baselines.prior import PriorAssessor
from rssqa.assess.baselines.random import RandomAssessor

__all__ = ["ConfidenceAssessor", "PriorAssessor", "RandomAssessor"]
