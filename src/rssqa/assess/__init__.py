"""Quality assessors: RS-SQA and the baselines, all behind ``Assessor``.

Build one by name with ``create_assessor`` and reload any saved one with ``load_assessor``.
"""

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.config import RSSQAConfig
from rssqa.assess.registry import (available_assessors, create_assessor, load_assessor,
                                   register_assessor)

__all__ = ["AssessmentInputs", "Assessor", "RSSQAConfig", "available_assessors",
           "create_assessor", "load_assessor", "register_assessor"]
