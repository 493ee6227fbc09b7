"""Selectors: assessors built to choose among the methods of a tile, not only to score each.

Importing this package registers ``listwise`` (one network over all methods, listwise loss),
``pairwise`` (cost-sensitive pairwise boosted trees) and ``safe`` (any assessor, with the single
best method kept unless clearly beaten).
"""

from rssqa.assess.selectors.listwise import ListwiseSelector
from rssqa.assess.selectors.pairwise import PairwiseSelector
from rssqa.assess.selectors.safe import SafeSelector

__all__ = ["ListwiseSelector", "PairwiseSelector", "SafeSelector"]
