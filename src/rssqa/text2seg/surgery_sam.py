"""Route "surgery-sam": CLIP Surgery similarity maps of each class prompt give point prompts
(the most and least similar pixels), SAM turns each class's points into one mask; the mask
scores the class's mean zero-shot probability inside it, so a class that is absent from the
image (it still has a most similar pixel) loses to the classes that are there."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rssqa.text2seg.clip import load_clip
from rssqa.text2seg.route import register_route
from rssqa.text2seg.sam import Sam
from rssqa.text2seg.scores import paint_masks
from rssqa.text2seg.surgery import (
    class_probabilities,
    normalised_maps,
    sample_points,
    surgery_maps,
)


@register_route
class SurgerySamRoute:
    name = "surgery-sam"

    def __init__(self, prompts: Sequence[str], sam=None, clip=None, points_per_class: int = 3):
        self.prompts = list(prompts)
        self.sam, self.clip = Sam(sam), load_clip(clip)
        self.points_per_class = points_per_class
        self.prompt_embeddings = self.clip.text_embeddings(self.prompts)
        self.identity = {"route": self.name, **self.sam.identity, **self.clip.identity,
                         "points_per_class": points_per_class}

    def class_scores(self, image: np.ndarray) -> np.ndarray:
        size = image.shape[:2]
        patches = self.clip.patch_embeddings(image)
        maps = normalised_maps(surgery_maps(patches, self.prompt_embeddings), size)
        points, labels = sample_points(maps, self.points_per_class)
        masks, _ = self.sam.masks_from_points(image, points, labels)
        probabilities = class_probabilities(patches, self.prompt_embeddings, self.clip.logit_scale, size)
        scores = [float(probabilities[k][mask].mean()) if mask.any() else 0.0
                  for k, mask in enumerate(masks)]
        return paint_masks(masks, range(len(self.prompts)), scores, len(self.prompts))
