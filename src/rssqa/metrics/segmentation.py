"""Per-image segmentation accuracy: the labels RS-SQA learns to predict.

Everything derives from one confusion matrix, so OA, mIoU and F1 of an image always agree with
each other, and matrices of several tiles can simply be summed to score a whole scene.
"""

from __future__ import annotations

import numpy as np

from rssqa.errors import InputError


def confusion_matrix(
    pred: np.ndarray, target: np.ndarray, num_classes: int, ignore_index: int | None = 255
) -> np.ndarray:
    """K x K pixel counts: ``cm[t, p]`` pixels of true class ``t`` predicted as ``p``.

    ``pred`` and ``target`` hold class indices and may have any (equal) shape, e.g. HxW or NxHxW.
    Pixels whose target is ``ignore_index`` are dropped (pass None to keep every pixel); every
    other value must lie in ``0..num_classes-1``.
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise InputError(
            None,
            f"prediction shape {pred.shape} differs from label shape {target.shape}",
            "segment and label the same tile at the same resolution",
        )
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")

    pred, target = pred.ravel(), target.ravel()
    if ignore_index is not None:
        labelled = target != ignore_index
        pred, target = pred[labelled], target[labelled]
    _check_class_range(target, num_classes, "label")
    _check_class_range(pred, num_classes, "prediction")

    # One bincount over the flattened (true, predicted) pair index is the whole matrix.
    pair = target.astype(np.int64) * num_classes + pred.astype(np.int64)
    return np.bincount(pair, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def overall_accuracy(cm: np.ndarray) -> float:
    """Fraction of labelled pixels predicted correctly; NaN when no pixel is labelled."""
    cm = np.asarray(cm)
    total = cm.sum()
    return float(np.trace(cm) / total) if total > 0 else float("nan")


def iou_per_class(cm: np.ndarray) -> np.ndarray:
    """Intersection over union of each class; NaN for a class absent from target and prediction."""
    cm = np.asarray(cm, dtype=np.float64)
    true_positive = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - true_positive
    return _divide_or_nan(true_positive, union)


def mean_iou(cm: np.ndarray) -> float:
    """Mean IoU over the classes that occur in the target or the prediction (union > 0).

    A class that neither the label nor the model puts on the image says nothing about this image,
    so it is left out rather than counted as 0 or 1; this keeps per-tile scores comparable
    between tiles that show different subsets of the classes. NaN when no pixel is labelled.
    """
    return _nanmean(iou_per_class(cm))


def f1_per_class(cm: np.ndarray) -> np.ndarray:
    """F1 (Dice) of each class, ``2 TP / (2 TP + FP + FN)``.

    NaN where undefined, i.e. for a class absent from target and prediction; a class that is only
    predicted, or only labelled, scores 0.
    """
    cm = np.asarray(cm, dtype=np.float64)
    true_positive = np.diag(cm)
    return _divide_or_nan(2 * true_positive, cm.sum(axis=0) + cm.sum(axis=1))


def macro_f1(cm: np.ndarray) -> float:
    """Mean F1 over the classes that occur in the target or the prediction (as in :func:`mean_iou`)."""
    return _nanmean(f1_per_class(cm))


def class_iou(pred: np.ndarray, target: np.ndarray, class_index: int,
              ignore_index: int | None = 255) -> np.ndarray:
    """IoU of one class on each of N tiles, from N x H x W predictions and labels (pixels
    labelled ``ignore_index`` left out). A tile where neither the label nor the prediction holds
    the class scores 1: there was nothing to find, and nothing was found; one where only one of
    them does scores 0."""
    pred, target = np.asarray(pred), np.asarray(target)
    labelled = np.ones(target.shape, bool) if ignore_index is None else target != ignore_index
    truth, found = (target == class_index) & labelled, (pred == class_index) & labelled
    union = (truth | found).sum(axis=(1, 2))
    overlap = (truth & found).sum(axis=(1, 2))
    return np.where(union > 0, overlap / np.maximum(union, 1), 1.0)


def segmentation_scores(
    pred: np.ndarray, target: np.ndarray, num_classes: int, ignore_index: int | None = 255
) -> dict[str, float]:
    """``{"oa", "miou", "f1"}`` of one prediction against its label.

    A tile whose pixels are all ``ignore_index`` has no defined accuracy: every score is NaN, and
    callers decide whether to drop the tile.
    """
    cm = confusion_matrix(pred, target, num_classes, ignore_index)
    return {"oa": overall_accuracy(cm), "miou": mean_iou(cm), "f1": macro_f1(cm)}


def _check_class_range(values: np.ndarray, num_classes: int, what: str) -> None:
    if values.size == 0:
        return
    low, high = values.min(), values.max()
    if low < 0 or high >= num_classes:
        bad = low if low < 0 else high
        raise InputError(
            None,
            f"{what} holds class index {bad}, outside 0..{num_classes - 1}",
            "check num_classes and the mask colour map, or mark unlabelled pixels with ignore_index",
        )


def _divide_or_nan(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _nanmean(values: np.ndarray) -> float:
    # np.nanmean warns on an all-NaN slice; an unlabelled tile is expected, not exceptional.
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if defined.size else float("nan")
