"""What a predicted mask's own shape says about its quality, with no model and no labels.

A segmentation that went wrong on a tile usually looks wrong: speckle (many tiny fragments, a long
boundary for its area), or the opposite, one class flooding the tile. These statistics need only
the class mask, so they exist for every pool member, a folder of saved masks included; the
black-box assessor (``rssqa.assess.baselines.blackbox``) reads them beside the pool signals.
Fragments are 4-connected regions of one class.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

STRUCTURE_NAMES = ("boundary density", "log fragments", "largest fragment share",
                   "mean fragment share", "small-fragment pixel share", "small-fragment share",
                   "classes present")
# A fragment of fewer pixels than this is speckle at any tile size rssqa uses (an 8 x 8 patch).
SMALL_FRAGMENT = 64


def boundary_density(mask: np.ndarray) -> float:
    """Share of horizontally or vertically adjacent pixel pairs that hold different classes."""
    horizontal = mask[:, 1:] != mask[:, :-1]
    vertical = mask[1:, :] != mask[:-1, :]
    return float((horizontal.sum() + vertical.sum()) / max(1, horizontal.size + vertical.size))


def fragment_sizes(mask: np.ndarray) -> np.ndarray:
    """Pixel counts of every fragment (4-connected region of one class) of an H x W mask."""
    sizes = []
    for value in np.unique(mask):
        labelled, count = ndimage.label(mask == value)
        sizes.append(np.bincount(labelled.ravel(), minlength=count + 1)[1:])
    return np.concatenate(sizes)


def tile_structure(mask: np.ndarray) -> np.ndarray:
    """The ``STRUCTURE_NAMES`` statistics of one H x W class mask."""
    sizes = fragment_sizes(mask).astype(np.float64)
    area = float(mask.size)
    small = sizes < SMALL_FRAGMENT
    return np.array([boundary_density(mask), np.log1p(len(sizes)), sizes.max() / area,
                     sizes.mean() / area, sizes[small].sum() / area, small.mean(),
                     len(np.unique(mask))], np.float32)


def mask_structure(masks: np.ndarray) -> np.ndarray:
    """N x F statistics (``STRUCTURE_NAMES``) of N x H x W class masks."""
    masks = np.asarray(masks)
    if len(masks) == 0:
        return np.zeros((0, len(STRUCTURE_NAMES)), np.float32)
    return np.stack([tile_structure(mask) for mask in masks])
