"""Route "sam", the reference Text2Seg is measured against: SAM segments everything with no
text-guided prompts at all. SAM's masks carry no class, so every mask takes the one class CLIP
finds most probable for the whole image (with that probability as score). Read so, it shows what
SAM alone contributes: the layout of the masks, not which class each is."""

from __future__ import annotations

import numpy as np

from rssqa.text2seg.route import register_route
from rssqa.text2seg.sam_clip import SamClipRoute
from rssqa.text2seg.scores import classify_crops, paint_masks


@register_route
class VanillaSamRoute(SamClipRoute):
    """The same models and settings as "sam-clip"; only the labelling of the masks differs."""

    name = "sam"

    def class_scores(self, image: np.ndarray) -> np.ndarray:
        masks, _ = self.sam.everything(image, **self.generator_options)
        image_class = classify_crops(self.clip, [image], self.prompt_embeddings)[0]
        k = int(image_class.argmax())
        return paint_masks(masks, [k] * len(masks), [float(image_class[k])] * len(masks),
                           len(self.prompts))
