"""Region proposals without SAM: superpixels (SLIC) or graph segmentation (Felzenszwalb), from
scikit-image. The offline routes use them where Text2Seg uses SAM's masks."""

from __future__ import annotations

import numpy as np
from skimage.segmentation import felzenszwalb, slic

PROPOSALS = ("slic", "felzenszwalb")


def propose_regions(image: np.ndarray, method: str = "slic", n_segments: int = 64,
                    compactness: float = 10.0, scale: float = 100.0) -> np.ndarray:
    """H x W int label image numbering the regions 0 .. R-1 (every pixel in one region).

    ``n_segments`` (SLIC) is for a 256-px tile and scales with the image's area, so a region
    covers about the same ground at any tile size; ``scale`` is Felzenszwalb's."""
    if method == "slic":
        wanted = max(1, round(n_segments * image.shape[0] * image.shape[1] / 256**2))
        labels = slic(image, n_segments=wanted, compactness=compactness, start_label=0,
                      channel_axis=-1)
    elif method == "felzenszwalb":
        labels = felzenszwalb(image, scale=scale, sigma=0.8, min_size=max(16, image.size // 3 // 400))
    else:
        raise ValueError(f"unknown region proposal method {method!r}; use one of {PROPOSALS}")
    _, dense = np.unique(labels, return_inverse=True)  # renumber 0 .. R-1 without gaps
    return dense.reshape(labels.shape)


def region_masks(labels: np.ndarray) -> np.ndarray:
    """R x H x W boolean masks of a label image's regions."""
    return labels[None] == np.arange(labels.max() + 1)[:, None, None]
