"""BLIINDS-II (Saad, Bovik and Charrier 2012, TIP) retrained on SQED labels.

No maintained Python implementation of BLIINDS-II exists (the authors' is MATLAB), so the DCT
statistics are computed here, vectorised over blocks. On 5 x 5 luma blocks (one pixel shared with
each neighbour), from the 24 AC coefficients of each block's orthonormal DCT:

1. the generalised-Gaussian shape parameter gamma (moment matching),
2. the coefficient of frequency variation zeta = std(|X|) / mean(|X|),
3. the energy subband ratio: mean over the mid and high radial bands of
   |E_n - mean(E_<n)| / (E_n + mean(E_<n)), E the band's variance,
4. the orientation variation: variance of zeta over three 30-degree orientation bands.

Each is pooled over the blocks of a scale by its mean and by the mean of its worst 10th
percentile (lowest for gamma, highest for the others, as in the paper), at three scales
(Gaussian low-pass, then every second pixel): 24 features. The paper maps them to a score with a
probabilistic model trained on LIVE; we fit one SVR per segmentation method on SQED instead.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft, ndimage
from scipy.special import gammaln

from rssqa.assess.baselines.nr_iqa_common import ImageFeatureRegressor, luminance
from rssqa.assess.registry import register_assessor

BLOCK = 5
STRIDE = 4  # neighbouring blocks share one pixel
SCALES = 3
TAIL = 0.10

_u, _v = np.meshgrid(np.arange(BLOCK), np.arange(BLOCK), indexing="ij")
_AC = (_u + _v) > 0
_RADIAL_BANDS = [(_u + _v >= lo) & (_u + _v <= hi) & _AC for lo, hi in ((1, 2), (3, 5), (6, 8))]
_ANGLE = np.degrees(np.arctan2(_u, _v))
_ORIENTATION_BANDS = [(_ANGLE >= lo) & (_ANGLE < hi) & _AC for lo, hi in ((0, 30), (30, 60), (60, 91))]

# Moment ratio E[x^2] / E[|x|]^2 of a generalised Gaussian, decreasing in its shape gamma.
_GAMMA_GRID = np.arange(0.03, 10.0, 0.001)
_RATIO_GRID = np.exp(gammaln(1 / _GAMMA_GRID) + gammaln(3 / _GAMMA_GRID)
                     - 2 * gammaln(2 / _GAMMA_GRID))


def ggd_shape(coefficients: np.ndarray) -> np.ndarray:
    """Generalised-Gaussian shape per row of ``coefficients`` (NaN for an all-zero row)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.mean(coefficients ** 2, axis=-1) / np.mean(np.abs(coefficients), axis=-1) ** 2
    # np.interp needs increasing x: walk the decreasing ratio table backwards.
    shape = np.interp(ratio, _RATIO_GRID[::-1], _GAMMA_GRID[::-1])
    return np.where(np.isfinite(ratio), shape, np.nan)


def frequency_variation(coefficients: np.ndarray) -> np.ndarray:
    """std(|X|) / mean(|X|) per row (NaN for an all-zero row)."""
    magnitude = np.abs(coefficients)
    with np.errstate(divide="ignore", invalid="ignore"):
        return magnitude.std(axis=-1) / magnitude.mean(axis=-1)


def block_dct(luma: np.ndarray) -> np.ndarray:
    """H x W luma -> B x 5 x 5 orthonormal DCT-II of the overlapping blocks."""
    blocks = sliding_window_view(luma, (BLOCK, BLOCK))[::STRIDE, ::STRIDE]
    return fft.dctn(blocks.reshape(-1, BLOCK, BLOCK), axes=(1, 2), norm="ortho")


def block_statistics(dct: np.ndarray) -> np.ndarray:
    """B x 5 x 5 DCT blocks -> B x 4 (gamma, zeta, subband ratio, orientation variation)."""
    gamma = ggd_shape(dct[:, _AC])
    zeta = frequency_variation(dct[:, _AC])
    energies = np.stack([dct[:, band].var(axis=1) for band in _RADIAL_BANDS], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = [np.abs(energies[:, n] - energies[:, :n].mean(axis=1))
                  / (energies[:, n] + energies[:, :n].mean(axis=1)) for n in (1, 2)]
    subband = np.mean(ratios, axis=0)
    orientation = np.var([frequency_variation(dct[:, band]) for band in _ORIENTATION_BANDS], axis=0)
    return np.stack([gamma, zeta, subband, orientation], axis=1)


def pool(statistics: np.ndarray) -> np.ndarray:
    """B x 4 block statistics -> 8: mean and worst-decile mean of each (NaN blocks skipped)."""
    pooled = []
    for column, worst_is_low in zip(statistics.T, (True, False, False, False)):
        values = np.sort(column[np.isfinite(column)])
        if values.size == 0:
            pooled += [np.nan, np.nan]
            continue
        tail = max(1, int(np.ceil(TAIL * values.size)))
        worst = values[:tail] if worst_is_low else values[-tail:]
        pooled += [values.mean(), worst.mean()]
    return np.asarray(pooled)


def bliinds_features(image: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8 RGB -> 24 BLIINDS-II features (8 per scale, finest first)."""
    luma = luminance(image[None])[0]
    features = []
    for _ in range(SCALES):
        if min(luma.shape) < BLOCK:
            features.append(np.full(8, np.nan))
        else:
            features.append(pool(block_statistics(block_dct(luma))))
        luma = ndimage.gaussian_filter(luma, sigma=1.0)[::2, ::2]
    return np.concatenate(features)


@register_assessor("bliinds")
class BLIINDSAssessor(ImageFeatureRegressor):
    """BLIINDS-II DCT statistics, one SVR per method (see the module docstring)."""

    name = "bliinds"

    def image_features(self, images: np.ndarray) -> np.ndarray:
        return np.stack([bliinds_features(image) for image in images])
