"""Class masks -> per-pixel class scores: how every Text2Seg route hands its result on.

A route's output is a K x H x W float32 map in [0, 1], one plane per class prompt: the score of
the best mask of that class covering the pixel (0 where none does). Overlapping masks of different
classes are resolved later, by the argmax over the planes: the higher-scoring mask wins.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def paint_masks(masks: np.ndarray, classes: Sequence[int], scores: Sequence[float],
                num_prompts: int) -> np.ndarray:
    """K x H x W scores from M boolean H x W masks, mask m of prompt ``classes[m]`` with score
    ``scores[m]``; where masks of one class overlap, the pixel keeps the higher score."""
    height, width = masks.shape[-2:]
    planes = np.zeros((num_prompts, height, width), np.float32)
    for mask, k, score in zip(masks, classes, scores):
        np.maximum(planes[k], np.where(mask, np.float32(score), np.float32(0)), out=planes[k])
    return planes


def mask_crops(image: np.ndarray, masks: np.ndarray, margin: float = 0.1) -> list[np.ndarray]:
    """The bounding box of each mask (grown by ``margin`` of its size on each side), pixels
    outside the mask set to the crop's mean colour, so CLIP judges the region rather than
    its neighbours. An empty mask gives the whole image."""
    crops = []
    for mask in masks:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if rows.size == 0:
            crops.append(image)
            continue
        grow_y = int(margin * (rows[-1] - rows[0] + 1))
        grow_x = int(margin * (cols[-1] - cols[0] + 1))
        top, bottom = max(rows[0] - grow_y, 0), min(rows[-1] + grow_y + 1, image.shape[0])
        left, right = max(cols[0] - grow_x, 0), min(cols[-1] + grow_x + 1, image.shape[1])
        crop, inside = image[top:bottom, left:right], mask[top:bottom, left:right]
        fill = crop[inside].mean(axis=0).astype(np.uint8)
        crops.append(np.where(inside[..., None], crop, fill))
    return crops


def classify_crops(clip, crops: Sequence[np.ndarray], prompt_embeddings: torch.Tensor) -> np.ndarray:
    """N x K zero-shot class probabilities of image crops: softmax over the prompts of the
    model's scaled cosine similarities."""
    if not crops:
        return np.zeros((0, len(prompt_embeddings)), np.float32)
    logits = clip.logit_scale * clip.image_embeddings(list(crops)) @ prompt_embeddings.T
    return logits.softmax(dim=-1).numpy().astype(np.float32)


def region_means(planes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """R x K mean of each plane of K x H x W ``planes`` over each region of the H x W label image
    (regions numbered 0 .. R-1)."""
    count = labels.max() + 1
    flat = labels.ravel()
    sizes = np.bincount(flat, minlength=count).astype(np.float64)
    sums = np.stack([np.bincount(flat, weights=plane.ravel(), minlength=count) for plane in planes], 1)
    return (sums / np.maximum(sizes, 1)[:, None]).astype(np.float32)
