"""The offline routes: no SAM, no Grounding DINO, no CLIP weights from elsewhere. Region proposals
from scikit-image stand in for SAM's masks and the project's own CLIP-RS LiT model (``rssqa
pretrain-clip``, an open_clip folder) reads the prompts; any CLIP folder works as well.

- "superpixel-clip", the twin of "sam-clip": each region's crop classified against the prompts.
- "superpixel-surgery", the twin of "surgery-sam": surgery maps from the model's patch
  embeddings give each class its most similar points; the regions holding them form the class's
  mask, scored by the class's mean probability inside it.
- "offline", the default: each region scored by the mean of two zero-shot readings, its crop's
  class probabilities and the dense per-pixel class probabilities averaged over the region.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rssqa.text2seg.clip import load_clip
from rssqa.text2seg.regions import propose_regions, region_masks
from rssqa.text2seg.route import register_route
from rssqa.text2seg.scores import classify_crops, mask_crops, paint_masks, region_means
from rssqa.text2seg.surgery import (
    class_probabilities,
    normalised_maps,
    sample_points,
    surgery_maps,
)


class _SuperpixelRoute:
    """What the offline routes share: the CLIP folder, the prompts and the region proposals."""

    name = ""

    def __init__(self, prompts: Sequence[str], clip=None, proposals: str = "slic",
                 n_segments: int = 64, compactness: float = 10.0, scale: float = 100.0,
                 dense_size: int = 128):
        self.prompts = list(prompts)
        self.clip = load_clip(clip)
        self.proposal_options = {"method": proposals, "n_segments": n_segments,
                                 "compactness": compactness, "scale": scale}
        self.dense_size = dense_size
        self.prompt_embeddings = self.clip.text_embeddings(self.prompts)
        self.identity = {"route": self.name, **self.clip.identity, **self.proposal_options,
                         "dense_size": dense_size}

    def regions(self, image: np.ndarray) -> np.ndarray:
        return propose_regions(image, **self.proposal_options)

    def crop_probabilities(self, image: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """R x K class probabilities of each region's crop."""
        return classify_crops(self.clip, mask_crops(image, region_masks(labels)), self.prompt_embeddings)

    def dense(self, image: np.ndarray):
        """(patch embeddings, K x H x W per-pixel class probabilities)."""
        patches = self.clip.patch_embeddings(image, size=self.dense_size)
        return patches, class_probabilities(patches, self.prompt_embeddings, self.clip.logit_scale,
                                            image.shape[:2])


@register_route
class SuperpixelClipRoute(_SuperpixelRoute):
    name = "superpixel-clip"

    def class_scores(self, image: np.ndarray) -> np.ndarray:
        labels = self.regions(image)
        return np.ascontiguousarray(self.crop_probabilities(image, labels)[labels].transpose(2, 0, 1))


@register_route
class SuperpixelSurgeryRoute(_SuperpixelRoute):
    name = "superpixel-surgery"

    def __init__(self, prompts: Sequence[str], clip=None, proposals: str = "slic",
                 n_segments: int = 64, compactness: float = 10.0, scale: float = 100.0,
                 dense_size: int = 128, points_per_class: int = 3):
        super().__init__(prompts, clip, proposals, n_segments, compactness, scale, dense_size)
        self.points_per_class = points_per_class
        self.identity["points_per_class"] = points_per_class

    def class_scores(self, image: np.ndarray) -> np.ndarray:
        labels = self.regions(image)
        patches, probabilities = self.dense(image)
        maps = normalised_maps(surgery_maps(patches, self.prompt_embeddings), image.shape[:2])
        points, point_labels = sample_points(maps, self.points_per_class)
        masks = []
        for class_points, is_foreground in zip(points, point_labels):
            x, y = class_points[is_foreground == 1].astype(int).T
            masks.append(np.isin(labels, labels[y, x]))  # the regions the points fall in
        scores = [float(probabilities[k][mask].mean()) for k, mask in enumerate(masks)]
        return paint_masks(np.stack(masks), range(len(self.prompts)), scores, len(self.prompts))


@register_route
class OfflineRoute(_SuperpixelRoute):
    name = "offline"

    def class_scores(self, image: np.ndarray) -> np.ndarray:
        labels = self.regions(image)
        _, probabilities = self.dense(image)
        fused = 0.5 * (self.crop_probabilities(image, labels) + region_means(probabilities, labels))
        return np.ascontiguousarray(fused[labels].transpose(2, 0, 1))
