"""Label-free signals of a segmentation pool on a tile: how far its methods agree, how sure each is.

Two families of accuracy estimators that need no ground truth read these: agreement between models
(a method that disagrees with the consensus of the others is usually the one that is wrong) and
average thresholded confidence (ATC: the share of pixels whose confidence clears a threshold fitted
on labelled data). Both need per-pixel information that a tile's mean confidence throws away, so
the SQED builder and the recommender compute these once, from the same pool run, and keep only
the small summaries below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rssqa.structure import mask_structure

# Max-softmax histogram resolution: ATC thresholds are fitted on these bin edges, so 0.02 steps.
HISTOGRAM_BINS = 50


@dataclass
class PoolSignals:
    """Per tile, for the ``methods`` of a pool (arrays follow ``methods``' order).

    consensus: N x M, each method's pixel agreement with the majority vote of the *other* methods.
    agreement: N x M x M, pixel agreement of every pair of methods (1 on the diagonal).
    confidence_histograms: N x M x B, share of the tile's pixels whose max-softmax probability
        falls in each of B equal bins over [0, 1].
    class_shares: N x M x C, share of the tile's pixels each method assigns to each class (what
        the scene holds, as each method sees it; methods differ most on some classes).
    structure: N x M x F, shape statistics of each method's mask (``rssqa.structure``: boundary
        density, fragments); None where they were not computed.
    """

    methods: list[str]
    consensus: np.ndarray
    agreement: np.ndarray
    confidence_histograms: np.ndarray
    class_shares: np.ndarray
    structure: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.consensus)

    def subset(self, index: np.ndarray) -> PoolSignals:
        return PoolSignals(list(self.methods), self.consensus[index], self.agreement[index],
                           self.confidence_histograms[index], self.class_shares[index],
                           None if self.structure is None else self.structure[index])

    def shares_above(self) -> np.ndarray:
        """N x M x (B + 1): ``[..., k]`` is the share of pixels in bins k and above, i.e. whose
        max-softmax is at least k / B (the last entry is 0)."""
        tail = np.cumsum(self.confidence_histograms[:, :, ::-1], axis=2)[:, :, ::-1]
        zeros = np.zeros(tail.shape[:2] + (1,), tail.dtype)
        return np.concatenate([tail, zeros], axis=2).astype(np.float64)

    def share_from_bin(self, first_bins: np.ndarray) -> np.ndarray:
        """N x M share of pixels in histogram bins ``first_bins[m]`` and above (M integers in
        0..B; B gives 0)."""
        tail = self.shares_above()
        index = np.broadcast_to(np.asarray(first_bins, np.int64)[None, :, None],
                                tail.shape[:2] + (1,))
        return np.take_along_axis(tail, index, axis=2)[:, :, 0]


def with_relative(table: np.ndarray) -> np.ndarray:
    """N x M x F -> N x M x 2F: each per-method signal and its difference from the tile's mean over
    the pool (on a hard tile every method's signals drop; the differences say which to trust)."""
    return np.concatenate([table, table - table.mean(axis=1, keepdims=True)], axis=2)


def confidence_histogram(max_probability: np.ndarray, bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """N x B share of each tile's pixels per max-softmax bin, from N x H x W probabilities."""
    flat = np.asarray(max_probability, np.float64).reshape(len(max_probability), -1)
    index = np.clip((flat * bins).astype(np.int64), 0, bins - 1)
    counts = np.stack([np.bincount(row, minlength=bins) for row in index])
    return (counts / flat.shape[1]).astype(np.float32)


def class_shares(masks: np.ndarray, num_classes: int) -> np.ndarray:
    """N x M x C share of pixels per predicted class from M x N x H x W class masks."""
    flat = masks.reshape(masks.shape[0], masks.shape[1], -1).astype(np.int64)
    counts = np.stack([np.stack([np.bincount(row, minlength=num_classes)[:num_classes] for row in method])
                       for method in flat], axis=1)
    return (counts / flat.shape[2]).astype(np.float32)


def pairwise_agreement(masks: np.ndarray) -> np.ndarray:
    """N x M x M pixel agreement from M x N x H x W class masks."""
    num_methods = len(masks)
    agreement = np.ones((masks.shape[1], num_methods, num_methods), np.float32)
    for i in range(num_methods):
        for j in range(i + 1, num_methods):
            share = (masks[i] == masks[j]).mean(axis=(1, 2))
            agreement[:, i, j] = agreement[:, j, i] = share
    return agreement


def consensus_agreement(masks: np.ndarray, num_classes: int) -> np.ndarray:
    """N x M agreement of each method with the pixel-wise majority vote of the others.

    Ties in the vote go to the lowest class index. With a single method there are no others, so
    its agreement is 1 (nothing contradicts it).
    """
    num_methods = len(masks)
    if num_methods == 1:
        return np.ones((masks.shape[1], 1), np.float32)
    one_hot = masks[..., None] == np.arange(num_classes, dtype=masks.dtype)  # M x N x H x W x C
    votes = one_hot.sum(axis=0, dtype=np.int16)
    consensus = np.empty((masks.shape[1], num_methods), np.float32)
    for m in range(num_methods):
        majority_of_others = np.argmax(votes - one_hot[m], axis=-1)
        consensus[:, m] = (masks[m] == majority_of_others).mean(axis=(1, 2))
    return consensus


def pool_signals(methods: list[str], masks: dict[str, np.ndarray],
                 max_probability: dict[str, np.ndarray], num_classes: int) -> PoolSignals:
    """Every signal of one batch: N x H x W ``masks`` and ``max_probability`` per method."""
    stacked = np.stack([np.asarray(masks[m]) for m in methods])
    return PoolSignals(
        methods=list(methods),
        consensus=consensus_agreement(stacked, num_classes),
        agreement=pairwise_agreement(stacked),
        confidence_histograms=np.stack([confidence_histogram(max_probability[m]) for m in methods],
                                       axis=1),
        class_shares=class_shares(stacked, num_classes),
        structure=np.stack([mask_structure(masks[m]) for m in methods], axis=1),
    )


def concatenate(parts: list[PoolSignals]) -> PoolSignals:
    """The signals of consecutive batches as one."""
    return PoolSignals(list(parts[0].methods),
                       np.concatenate([p.consensus for p in parts]),
                       np.concatenate([p.agreement for p in parts]),
                       np.concatenate([p.confidence_histograms for p in parts]),
                       np.concatenate([p.class_shares for p in parts]),
                       None if any(p.structure is None for p in parts)
                       else np.concatenate([p.structure for p in parts]))
