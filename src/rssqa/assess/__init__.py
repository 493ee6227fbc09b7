"""Quality assessors: RS-SQA and the baselines, all behind ``Assessor``."""

from rssqa.assess.base import AssessmentInputs, Assessor

__all__ = ["AssessmentInputs", "Assessor"]
