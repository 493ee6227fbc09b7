import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

from rssqa.errors import InputError
from rssqa.metrics import (
    confusion_matrix,
    f1_per_class,
    iou_per_class,
    macro_f1,
    mean_iou,
    overall_accuracy,
    segmentation_scores,
)

# 2x3 tile, 4 classes; class 3 appears nowhere, one pixel is unlabelled (255).
PRED = np.array([[0, 1, 1], [2, 2, 0]], dtype=np.uint8)
TARGET = np.array([[0, 1, 255], [2, 1, 0]], dtype=np.uint8)


def test_confusion_matrix_by_hand_drops_ignored_pixels():
    expected = np.array(
        [
            [2, 0, 0, 0],
            [0, 1, 1, 0],  # one true-1 pixel predicted as 2
            [0, 0, 1, 0],
            [0, 0, 0, 0],  # absent class
        ]
    )
    cm = confusion_matrix(PRED, TARGET, num_classes=4)
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype == np.int64


def test_confusion_matrix_matches_sklearn_on_a_batch():
    rng = np.random.default_rng(0)
    pred = rng.integers(0, 5, size=(3, 16, 16))
    target = rng.integers(0, 5, size=(3, 16, 16))
    target[0, :4] = 255
    labelled = target != 255
    expected = sklearn_confusion_matrix(target[labelled], pred[labelled], labels=range(5))
    np.testing.assert_array_equal(confusion_matrix(pred, target, num_classes=5), expected)


def test_scores_by_hand():
    cm = confusion_matrix(PRED, TARGET, num_classes=4)
    assert overall_accuracy(cm) == pytest.approx(4 / 5)
    np.testing.assert_allclose(iou_per_class(cm), [1.0, 0.5, 0.5, np.nan])
    assert mean_iou(cm) == pytest.approx(2 / 3)  # class 3 is left out, not counted as 0 or 1
    np.testing.assert_allclose(f1_per_class(cm), [1.0, 2 / 3, 2 / 3, np.nan])
    assert macro_f1(cm) == pytest.approx(7 / 9)
    assert segmentation_scores(PRED, TARGET, num_classes=4) == pytest.approx(
        {"oa": 4 / 5, "miou": 2 / 3, "f1": 7 / 9}
    )


def test_a_class_only_predicted_scores_zero():
    cm = confusion_matrix(np.array([0, 1]), np.array([0, 0]), num_classes=2)
    np.testing.assert_allclose(iou_per_class(cm), [0.5, 0.0])
    np.testing.assert_allclose(f1_per_class(cm), [2 / 3, 0.0])
    assert mean_iou(cm) == pytest.approx(0.25)


def test_all_ignored_tile_gives_nan_scores_without_warnings():
    target = np.full((4, 4), 255, dtype=np.uint8)
    with np.errstate(all="raise"):
        scores = segmentation_scores(np.zeros((4, 4), dtype=np.uint8), target, num_classes=3)
    assert all(np.isnan(v) for v in scores.values())


def test_ignore_index_none_keeps_every_pixel():
    cm = confusion_matrix(np.array([0, 1]), np.array([0, 1]), num_classes=2, ignore_index=None)
    assert cm.sum() == 2


def test_out_of_range_class_and_shape_mismatch_are_input_errors():
    with pytest.raises(InputError, match="class index 7"):
        confusion_matrix(np.array([0, 1]), np.array([0, 7]), num_classes=3)
    with pytest.raises(InputError, match="prediction holds class index 3"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), num_classes=3)
    with pytest.raises(InputError, match="shape"):
        confusion_matrix(np.zeros((2, 2)), np.zeros((2, 3)), num_classes=3)
