"""Label-free pool signals: agreement between methods and confidence histograms, on hand-made masks."""

import numpy as np
import pytest

from rssqa.signals import (HISTOGRAM_BINS, concatenate, confidence_histogram, consensus_agreement,
                           pairwise_agreement, pool_signals)


def masks_of_three():
    # 3 methods x 1 tile x 2 x 2 pixels
    return np.array([[[[0, 1], [1, 1]]], [[[0, 1], [1, 0]]], [[[0, 0], [1, 1]]]], np.uint8)


def test_consensus_is_agreement_with_the_majority_of_the_others():
    # Method 0 against the vote of methods 1 and 2: pixel (0,1) votes 1 vs 0, a tie that goes to
    # class 0, so method 0 (class 1) disagrees; likewise at (1,1). It agrees on 2 of 4 pixels.
    assert consensus_agreement(masks_of_three(), num_classes=2)[0].tolist() == [0.5, 0.5, 0.5]


def test_a_method_that_departs_from_the_rest_has_the_lowest_consensus():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, (2, 16, 16)).astype(np.uint8)
    noisy = truth.copy()
    noisy[:, :8] = (noisy[:, :8] + 1) % 4  # wrong on half of every tile
    consensus = consensus_agreement(np.stack([truth, truth, truth, noisy]), num_classes=4)
    assert consensus[:, 3].max() < consensus[:, :3].min()
    assert consensus[:, :3].min() == 1.0


def test_pairwise_agreement_is_symmetric_with_ones_on_the_diagonal():
    agreement = pairwise_agreement(masks_of_three())[0]
    assert agreement.tolist() == [[1.0, 0.75, 0.75], [0.75, 1.0, 0.5], [0.75, 0.5, 1.0]]


def test_confidence_histogram_shares_sum_to_one_and_fall_in_the_right_bins():
    probabilities = np.array([[[0.99, 0.51], [0.51, 0.2]]])
    histogram = confidence_histogram(probabilities)
    assert histogram.shape == (1, HISTOGRAM_BINS)
    assert histogram.sum() == pytest.approx(1.0)
    assert histogram[0, 49] == 0.25 and histogram[0, 25] == 0.5 and histogram[0, 10] == 0.25


def test_share_from_bin_counts_confident_pixels_per_method():
    masks = {m: mask for m, mask in zip("abc", masks_of_three())}
    probabilities = {"a": np.full((1, 2, 2), 0.95), "b": np.full((1, 2, 2), 0.55),
                     "c": np.array([[[0.95, 0.95], [0.55, 0.55]]])}
    signals = pool_signals(list("abc"), masks, probabilities, num_classes=2)
    assert signals.share_from_bin(np.array([45, 45, 45])).tolist() == [[1.0, 0.0, 0.5]]
    assert signals.share_from_bin(np.array([0, 0, HISTOGRAM_BINS])).tolist() == [[1.0, 1.0, 0.0]]
    both = concatenate([signals, signals.subset(np.array([0]))])
    assert len(both) == 2 and both.agreement.shape == (2, 3, 3)
    assert signals.class_shares[0].tolist() == [[0.25, 0.75], [0.5, 0.5], [0.5, 0.5]]
