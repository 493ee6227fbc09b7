"""Fractal NR-IQA for remote-sensing images (after Chen, Hu and Zhang 2019, TGRS), retrained on
SQED labels.

Our reading of the method, from its description (local morphological fractal dimensions and
global multifractal features, then a regressor); no reference code is public:

- Local morphological fractal dimension: the blanket (covering) method of Peleg et al. Upper and
  lower blankets grow by one grey level per step eps (grey dilation / erosion with a 3 x 3
  square); the blanket area A(eps) = (V(eps) - V(eps - 1)) / 2 over a window scales as
  eps^(2 - D). D is fitted per non-overlapping window; its mean, spread and 10/50/90th
  percentiles over the tile are 5 features.
- Global multifractal spectrum by box counting, of two measures: luma and gradient magnitude.
  For q in -5..5 the partition function Z(q, s) = sum_i p_i(s)^q over boxes of side s gives
  tau(q) (slope of log Z against log s), the generalised dimensions D_q = tau(q) / (q - 1), and
  by Legendre transform alpha(q) = d tau / d q and f(alpha) = q alpha - tau. Features per
  measure: D_q at q = -5, -3, -1, 0, 2, 3, 5, the spectrum width alpha_max - alpha_min and the
  height difference f(alpha_min) - f(alpha_max): 9, so 18 in all.

One SVR per segmentation method replaces the original regressor.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from rssqa.assess.baselines.nr_iqa_common import ImageFeatureRegressor, luminance
from rssqa.assess.registry import register_assessor

BLANKET_STEPS = 6
WINDOW = 16
Q_VALUES = np.arange(-5.0, 5.5, 0.5)
REPORTED_Q = (-5.0, -3.0, -1.0, 0.0, 2.0, 3.0, 5.0)
BOX_SIDES = (2, 4, 8, 16, 32)


def local_fractal_dimensions(luma: np.ndarray, steps: int = BLANKET_STEPS,
                             window: int = WINDOW) -> np.ndarray:
    """Blanket-method fractal dimension of each non-overlapping ``window`` x ``window`` block."""
    rows, cols = (np.array(luma.shape) // window) * window
    if rows == 0 or cols == 0:
        return np.empty(0)
    upper = lower = luma[:rows, :cols].astype(np.float64)
    volumes = [np.zeros((rows // window, cols // window))]
    for _ in range(steps):
        upper = np.maximum(upper + 1, ndimage.grey_dilation(upper, size=(3, 3)))
        lower = np.minimum(lower - 1, ndimage.grey_erosion(lower, size=(3, 3)))
        thickness = (upper - lower).reshape(rows // window, window, cols // window, window)
        volumes.append(thickness.sum(axis=(1, 3)))
    areas = np.diff(np.stack(volumes), axis=0) / 2  # steps x blocks_r x blocks_c, all > 0
    log_eps = np.log(np.arange(1, steps + 1))
    slopes = np.polyfit(log_eps, np.log(areas.reshape(steps, -1)), deg=1)[0]
    return 2.0 - slopes


def multifractal_spectrum(measure: np.ndarray) -> np.ndarray:
    """9 features of the box-counting multifractal spectrum of a non-negative 2-D measure."""
    measure = np.asarray(measure, dtype=np.float64) + 1e-12  # no empty box: q < 0 stays finite
    sides = [s for s in BOX_SIDES if s <= min(measure.shape) // 2]
    if len(sides) < 2:
        return np.full(len(REPORTED_Q) + 2, np.nan)
    log_z = []
    for side in sides:
        rows, cols = (np.array(measure.shape) // side) * side
        boxes = measure[:rows, :cols].reshape(rows // side, side, cols // side, side).sum(axis=(1, 3))
        p = (boxes / boxes.sum()).ravel()
        log_z.append(np.log(np.sum(p[None, :] ** Q_VALUES[:, None], axis=1)))
    tau = np.polyfit(np.log(sides), np.stack(log_z), deg=1)[0]  # one slope per q
    with np.errstate(divide="ignore", invalid="ignore"):
        dimensions = tau / (Q_VALUES - 1)
    reported = [dimensions[np.isclose(Q_VALUES, q)][0] for q in REPORTED_Q]
    alpha = np.gradient(tau, Q_VALUES)
    f_alpha = Q_VALUES * alpha - tau
    low, high = np.argmin(alpha), np.argmax(alpha)
    return np.asarray(reported + [alpha[high] - alpha[low], f_alpha[low] - f_alpha[high]])


def fractal_features(image: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8 RGB -> 23 features: 5 local-dimension statistics, 2 x 9 spectrum ones."""
    luma = luminance(image[None])[0]
    local = local_fractal_dimensions(luma)
    if local.size:
        local_stats = [local.mean(), local.std(), *np.percentile(local, [10, 50, 90])]
    else:
        local_stats = [np.nan] * 5
    gradient = np.hypot(ndimage.sobel(luma, axis=0), ndimage.sobel(luma, axis=1))
    return np.concatenate([local_stats, multifractal_spectrum(luma),
                           multifractal_spectrum(gradient)])


@register_assessor("fractal")
class FractalAssessor(ImageFeatureRegressor):
    """Local fractal dimensions and multifractal spectra, one SVR per method (see the module
    docstring)."""

    name = "fractal"

    def image_features(self, images: np.ndarray) -> np.ndarray:
        return np.stack([fractal_features(image) for image in images])
