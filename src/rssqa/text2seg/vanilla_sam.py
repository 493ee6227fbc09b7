"""Route "sam", the reference Text2Seg is measured against: SAM segments everything with no
text-guided prompts at all. SAM's masks carry no class, so every mask takes the one class CLIP
finds most probable for the whole image (with that probability as score). Read so, it shows what
SAM alone contributes: the layout of the masks, not which class each is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rssqa.text2seg.clip import load_clip
from rssqa.text2seg.sam import Sam
from rssqa.text2seg.scores import classify_crops, paint_masks


class VanillaSamRoute:
    name = "sam"

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
        image_class = classify_crops(self.clip, [image], self.prompt_embeddings)[0]
        k = int(image_class.argmax())
        return paint_masks(masks, [k] * len(masks), [float(image_class[k])] * len(masks),
                           len(self.prompts))
