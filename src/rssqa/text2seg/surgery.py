"""Class similarity maps in the manner of CLIP Surgery (Li et al., 2023), and the point prompts
Text2Seg samples from them.

A patch embedding's cosine similarity to a prompt has a large part that every prompt shares: the
patch resembles "an image" before it resembles any class, so raw maps of different classes light
up the same places. Feature surgery removes that shared part. Written out per channel, the
similarity is the sum over channels of patch x prompt products; the channels whose products are
high for every prompt are the redundant ones, so their mean over the prompts is taken away before
the channels are summed. Summing then subtracting the mean commutes, so that is the patch's
similarity to each prompt minus its mean similarity over all prompts. (CLIP Surgery also changes
the ViT's last attention blocks, "architecture surgery"; that part is not reproduced here.)
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def surgery_maps(patches: torch.Tensor, prompts: torch.Tensor) -> torch.Tensor:
    """K x h x w class maps from D x h x w patch embeddings and K x D prompt embeddings."""
    similarity = torch.einsum("dhw,kd->khw", patches, prompts)
    return similarity - similarity.mean(dim=0, keepdim=True)


def class_probabilities(patches: torch.Tensor, prompts: torch.Tensor, logit_scale: float,
                        size: tuple[int, int]) -> np.ndarray:
    """K x H x W zero-shot class probabilities of each pixel: softmax over the prompts of the
    scaled patch similarities, upsampled to ``size``."""
    logits = logit_scale * torch.einsum("dhw,kd->khw", patches, prompts)
    logits = F.interpolate(logits[None], size=size, mode="bilinear", align_corners=False)[0]
    return logits.softmax(dim=0).numpy().astype(np.float32)


def normalised_maps(maps: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """Each class map upsampled to ``size`` and rescaled to 0..1 over the image, as CLIP Surgery
    shows them: every class then has its most and least likely place in the image."""
    maps = F.interpolate(maps[None], size=size, mode="bilinear", align_corners=False)[0]
    low = maps.flatten(1).min(dim=1).values[:, None, None]
    high = maps.flatten(1).max(dim=1).values[:, None, None]
    return ((maps - low) / (high - low).clamp_min(1e-8)).numpy().astype(np.float32)


def sample_points(maps: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Point prompts per class from K x H x W normalised maps: the ``count`` highest pixels as
    foreground points and the ``count`` lowest as background points.

    Returns K x 2count x 2 (x, y) pixel coordinates and K x 2count labels (1 foreground, 0
    background). Ties break by pixel order, so the points are deterministic."""
    num_classes, _, width = maps.shape
    flat = maps.reshape(num_classes, -1)
    order = np.argsort(-flat, axis=1, kind="stable")
    chosen = np.concatenate([order[:, :count], order[:, ::-1][:, :count]], axis=1)
    points = np.stack([chosen % width, chosen // width], axis=-1).astype(np.float32)
    labels = np.concatenate([np.ones((num_classes, count)), np.zeros((num_classes, count))], axis=1)
    return points, labels.astype(np.int64)
