"""BRISQUE (Mittal, Moorthy and Bovik 2012, TIP) retrained on SQED labels.

The 36 spatial natural-scene statistics (generalised-Gaussian fit of the mean-subtracted
contrast-normalised luma, asymmetric fits of its four neighbour products, at two scales) come
from ``piq``, a maintained PyTorch implementation. piq's ``brisque()`` would then score them with
the LIVE-trained SVR it downloads; instead we fit our own SVR per segmentation method on the SQED
train split, as the paper retrains every baseline. The feature routine is piq's private
``_natural_scene_statistics``, hence the pinned piq minor version.
"""

from __future__ import annotations

import numpy as np
import torch
from piq.brisque import _natural_scene_statistics
from piq.functional import imresize, rgb2yiq

from rssqa.assess.baselines.nr_iqa_common import ImageFeatureRegressor
from rssqa.assess.registry import register_assessor

SCALES = 2
FEATURES_PER_SCALE = 18


def brisque_features(images: np.ndarray, kernel_size: int = 7, sigma: float = 7 / 6) -> np.ndarray:
    """n x H x W x 3 uint8 RGB -> n x 36 BRISQUE features.

    A tile whose fits are undefined at some scale (piq asserts on zero variance, e.g. a flat
    tile of water) gets NaN there; the batch is then redone tile by tile so the others keep theirs.
    """
    try:
        return _features(images, kernel_size, sigma, undefined_as_nan=False)
    except AssertionError:
        return np.concatenate([_features(image[None], kernel_size, sigma, undefined_as_nan=True)
                               for image in images])


def _features(images: np.ndarray, kernel_size: int, sigma: float,
              undefined_as_nan: bool) -> np.ndarray:
    rgb = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    luma = torch.round(rgb2yiq(rgb)[:, :1])  # as piq: MATLAB's rgb2gray keeps luma integral
    features = []
    for _ in range(SCALES):
        try:
            features.append(_natural_scene_statistics(luma, kernel_size, sigma).numpy())
        except AssertionError:
            if not undefined_as_nan:
                raise
            features.append(np.full((len(images), FEATURES_PER_SCALE), np.nan))
        luma = imresize(luma, sizes=(luma.shape[2] // 2, luma.shape[3] // 2))
    return np.concatenate(features, axis=1)


@register_assessor("brisque")
class BRISQUEAssessor(ImageFeatureRegressor):
    """BRISQUE features, one SVR per method (see the module docstring)."""

    name = "brisque"

    def image_features(self, images: np.ndarray) -> np.ndarray:
        return brisque_features(images)
