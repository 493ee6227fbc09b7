"""Refinement: rewrite flagged captions with a pluggable captioner.

A captioner maps images (N x H x W x 3 uint8) to one caption each. Two are provided:

- :class:`MaskCaptioner` (the default): segment the image with any segmentation callable and
  caption the predicted mask with the same rules as the high-quality captions
  (:func:`rssqa.cliprs.captions.describe_mask`). The segmentation can be a trained rssqa.segzoo
  model (:class:`ModelSegmenter`); offline, the default is :class:`NearestCentroidSegmenter`, a
  per-pixel colour classifier fitted on the high-quality images' masks: weak (it sees colour, not
  shape), but it needs no training run and shows what the refinement step does with an imperfect
  segmenter, as any real one is;
- :class:`VLMCaptioner`: a local vision-language model through transformers (BLIP, GIT, LLaVA,
  Qwen2-VL, ... whatever ``AutoModelForImageTextToText`` loads), when the user has its weights.
  The paper refines with a VLM; none can be installed offline here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.neighbors import NearestCentroid

from rssqa.cliprs.captions import describe_mask
from rssqa.errors import InputError

Segmenter = Callable[[np.ndarray], np.ndarray]
"""HxWx3 uint8 image -> HxW class-index mask."""


class NearestCentroidSegmenter:
    """Each pixel takes the class whose mean training colour is nearest (scikit-learn's
    ``NearestCentroid`` on RGB), fitted on up to ``pixels_per_class`` pixels of each class."""

    def __init__(self, pixels_per_class: int = 20000, seed: int = 0):
        self.pixels_per_class = pixels_per_class
        self.seed = seed
        self.classifier = NearestCentroid()

    def fit(self, images: Sequence[np.ndarray], masks: Sequence[np.ndarray],
            ignore_index: int = 255) -> NearestCentroidSegmenter:
        pixels = np.concatenate([np.asarray(i).reshape(-1, 3) for i in images]).astype(np.float32)
        labels = np.concatenate([np.asarray(m).ravel() for m in masks])
        keep = labels != ignore_index
        pixels, labels = pixels[keep], labels[keep]
        rng = np.random.default_rng(self.seed)
        chosen = np.concatenate([
            rng.choice(np.flatnonzero(labels == c), min(self.pixels_per_class, (labels == c).sum()), replace=False)
            for c in np.unique(labels)])
        self.classifier.fit(pixels[chosen], labels[chosen])
        return self

    def __call__(self, image: np.ndarray) -> np.ndarray:
        image = np.asarray(image)
        flat = image.reshape(-1, 3).astype(np.float32)
        return self.classifier.predict(flat).reshape(image.shape[:2]).astype(np.uint8)


class ModelSegmenter:
    """A segmentation network (e.g. a trained rssqa.segzoo model): argmax of its logits."""

    def __init__(self, model: torch.nn.Module):
        self.model = model.eval()

    @torch.no_grad()
    def __call__(self, image: np.ndarray) -> np.ndarray:
        from rssqa.backbones.pretrained import to_model_input

        logits = self.model(to_model_input(image[None]))
        return logits.argmax(1)[0].numpy().astype(np.uint8)


@dataclass
class MaskCaptioner:
    """Caption the mask a segmenter predicts, with the high-quality caption rules."""

    segment: Segmenter
    class_names: Sequence[str]
    ignore_index: int = 255
    seed: int = 0

    def __call__(self, images: Sequence[np.ndarray]) -> list[str]:
        rng = np.random.default_rng(self.seed)
        return [describe_mask(self.segment(image), self.class_names, n=1, ignore_index=self.ignore_index,
                              rng=rng)[0] for image in images]


class VLMCaptioner:
    """A local image-to-text model (any ``AutoModelForImageTextToText`` folder) as captioner.

    Chat models (with a chat template) are asked ``prompt``; plain captioners (BLIP, GIT) caption
    the image unprompted.
    """

    def __init__(self, path: str | Path, prompt: str = "Describe the land cover in this aerial image in one sentence.",
                 max_new_tokens: int = 40, batch_size: int = 8):
        from transformers import AutoModelForImageTextToText, AutoProcessor

        from rssqa.encoders.openclip import quiet_loading

        path = Path(path)
        if not (path / "config.json").is_file():
            raise InputError(path, "is not a local Hugging Face model folder (no config.json)",
                             "download the captioning model once and point at its folder; rssqa "
                             "never downloads weights")
        with quiet_loading():
            self.processor = AutoProcessor.from_pretrained(path, local_files_only=True)
            self.model = AutoModelForImageTextToText.from_pretrained(path, local_files_only=True).eval()
        self.prompt, self.max_new_tokens, self.batch_size = prompt, max_new_tokens, batch_size
        self.chat = bool(getattr(self.processor, "chat_template", None))

    def _inputs(self, images: list):
        if not self.chat:
            return self.processor(images=images, return_tensors="pt")
        message = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": self.prompt}]}]
        text = self.processor.apply_chat_template(message, add_generation_prompt=True)
        return self.processor(images=images, text=[text] * len(images), return_tensors="pt", padding=True)

    @torch.no_grad()
    def __call__(self, images: Sequence[np.ndarray]) -> list[str]:
        from PIL import Image

        captions = []
        for start in range(0, len(images), self.batch_size):
            batch = [Image.fromarray(np.asarray(i)) for i in images[start:start + self.batch_size]]
            inputs = self._inputs(batch)
            generated = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
            if "input_ids" in inputs:  # decoder-only models echo the prompt first
                generated = generated[:, inputs["input_ids"].shape[1]:]
            captions += [c.strip() for c in self.processor.batch_decode(generated, skip_special_tokens=True)]
        return captions
