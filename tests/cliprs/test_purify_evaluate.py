"""The threshold rule, the filter's precision/recall, retrieval and zero-shot presence metrics."""

from __future__ import annotations

import numpy as np
import pytest

from rssqa.cliprs.evaluate import (balanced_accuracy, by_group_ci, evaluate_filter, retrieval_hits,
                                   zero_shot_presence)
from rssqa.cliprs.purify import calibrated_threshold, flag_low_scores, precision, recall


def test_threshold_flags_the_chosen_share_of_held_out_clean_pairs():
    clean = np.linspace(0.2, 0.4, 101)
    threshold = calibrated_threshold(clean, false_flag_rate=0.1)
    assert threshold == pytest.approx(0.22)
    assert flag_low_scores(clean, threshold).mean() == pytest.approx(0.1, abs=0.01)
    with pytest.raises(ValueError):
        calibrated_threshold(clean, false_flag_rate=0.0)


def test_precision_and_recall_of_flags():
    flags = np.array([1, 1, 1, 0, 0, 0], bool)
    noisy = np.array([1, 1, 0, 1, 0, 0], bool)
    assert precision(flags, noisy) == pytest.approx(2 / 3)
    assert recall(flags, noisy) == pytest.approx(2 / 3)
    assert np.isnan(precision(np.zeros(6, bool), noisy))


def test_filter_intervals_resample_whole_images():
    groups = np.repeat(["a", "b", "c", "d"], 5)
    noisy = np.tile([True, False], 10)
    perfect = evaluate_filter(noisy, noisy, groups, n_boot=200)
    assert perfect["filter_precision"].estimate == perfect["filter_precision"].low == 1.0
    ci = by_group_ci(np.mean, groups, np.repeat([0.0, 0.0, 1.0, 1.0], 5), n_boot=500)
    assert ci.estimate == 0.5 and ci.low == 0.0 and ci.high == 1.0  # only 4 units: wide, honestly


def test_retrieval_counts_a_hit_by_caption_text():
    image_emb = np.eye(3)
    # captions 0,1 belong to image 0, caption 2 to image 1, caption 3 to image 2; caption 3 has
    # the same text as caption 2 and points at image 1: by text it is still a right answer.
    captions = ["land", "mostly land", "water", "water"]
    owners = [0, 0, 1, 2]
    text_emb = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 1, 0.1]], float)
    i2t, t2i = retrieval_hits(image_emb, text_emb, captions, owners, ks=(1, 2))
    assert i2t[:, 0].tolist() == [True, True, True]
    assert t2i[:, 0].tolist() == [True, True, True, True]


def test_zero_shot_presence_and_balanced_accuracy():
    image_emb = np.array([[1.0, 0.0], [0.0, 1.0]])
    positive, negative = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    predicted, truth = zero_shot_presence(image_emb, positive, negative, np.array([[0.5], [0.0]]))
    assert predicted[:, 0].tolist() == [True, False] and truth[:, 0].tolist() == [True, False]
    always = np.ones((4, 1), bool)
    assert balanced_accuracy(always, np.array([[True], [True], [True], [False]])) == 0.5
