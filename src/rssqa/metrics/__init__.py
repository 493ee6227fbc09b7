"""Metrics: per-image segmentation accuracy, the IQA correlation protocol, recommendation precision,
and bootstrap uncertainty for all of them."""

from rssqa.metrics.bootstrap import Interval, PairedComparison, bootstrap_ci, paired_bootstrap_test
from rssqa.metrics.correlation import (
    MonotoneMapping,
    correlation_scores,
    fit_logistic4,
    krocc,
    logistic4,
    plcc,
    rmse,
    srocc,
)
from rssqa.metrics.ranking import best_method_counts, precision_at_1, precision_at_k, recommend
from rssqa.metrics.segmentation import (
    confusion_matrix,
    f1_per_class,
    iou_per_class,
    macro_f1,
    mean_iou,
    overall_accuracy,
    segmentation_scores,
)

__all__ = [
    "Interval",
    "MonotoneMapping",
    "PairedComparison",
    "best_method_counts",
    "bootstrap_ci",
    "confusion_matrix",
    "correlation_scores",
    "f1_per_class",
    "fit_logistic4",
    "iou_per_class",
    "krocc",
    "logistic4",
    "macro_f1",
    "mean_iou",
    "overall_accuracy",
    "paired_bootstrap_test",
    "plcc",
    "precision_at_1",
    "precision_at_k",
    "recommend",
    "rmse",
    "segmentation_scores",
    "srocc",
]
