"""Route "sam-clip": SAM segments everything, CLIP classifies each mask's crop against the class
prompts; a mask takes its most probable class with that probability as its score (the member's
background threshold then drops the unsure ones)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rssqa.text2seg.clip import load_clip
from rssqa.text2seg.route import register_route
from rssqa.text2seg.sam import Sam
from rssqa.text2seg.scores import classify_crops, mask_crops, paint_masks


@register_route
class SamClipRoute:
    name = "sam-clip"

    def __init__(self, prompts: Sequence[str], sam=None, clip=None, points_per_side: int = 16,
                 pred_iou_thresh: float = 0.88, stability_score_thresh: float = 0.92):
        self.prompts = list(prompts)
        self.sam, self.clip = Sam(sam), load_clip(clip)
        self.generator_options = {"points_per_side": points_per_side,
                                  "pred_iou_thresh": pred_iou_thresh,
                                  "stability_score_thresh": stability_score_thresh}
        self.prompt_embeddings = self.clip.text_embeddings(self.prompts)
        self.identity = {"route": self.name, **self.sam.identity, **self.clip.identity,
                         **self.generator_options}

    def class_scores(self, image: np.ndarray) -> np.ndarray:
        masks, _ = self.sam.everything(image, **self.generator_options)
        probabilities = classify_crops(self.clip, mask_crops(image, masks), self.prompt_embeddings)
        classes = probabilities.argmax(axis=1) if len(masks) else []
        scores = probabilities.max(axis=1) if len(masks) else []
        return paint_masks(masks, classes, scores, len(self.prompts))
