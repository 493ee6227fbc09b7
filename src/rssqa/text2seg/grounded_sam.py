"""Route "grounded-sam": Grounding DINO finds boxes of each class prompt, SAM turns each box
into a mask; a mask scores its box's detection score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rssqa.text2seg.grounding import GroundingDino
from rssqa.text2seg.route import register_route
from rssqa.text2seg.sam import Sam
from rssqa.text2seg.scores import paint_masks


@register_route
class GroundedSamRoute:
    name = "grounded-sam"

    def __init__(self, prompts: Sequence[str], sam=None, grounding_dino=None,
                 box_threshold: float = 0.3, text_threshold: float = 0.25):
        self.prompts = list(prompts)
        self.sam = Sam(sam)
        self.detector = GroundingDino(grounding_dino, box_threshold, text_threshold)
        self.identity = {"route": self.name, **self.sam.identity, **self.detector.identity}

    def class_scores(self, image: np.ndarray) -> np.ndarray:
        masks, classes, scores = [], [], []
        for k, prompt in enumerate(self.prompts):
            boxes, box_scores = self.detector.boxes(image, prompt)
            box_masks, _ = self.sam.masks_from_boxes(image, boxes)
            masks.extend(box_masks)
            classes.extend([k] * len(box_masks))
            scores.extend(box_scores.tolist())
        stacked = np.stack(masks) if masks else np.zeros((0, *image.shape[:2]), bool)
        return paint_masks(stacked, classes, scores, len(self.prompts))
