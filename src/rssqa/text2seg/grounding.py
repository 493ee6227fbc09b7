"""Grounding DINO from a local folder: boxes of the things a text prompt names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from rssqa.text2seg.loading import (
    folder_digest,
    load_pretrained,
    load_processor,
    model_folder,
)


class GroundingDino:
    """``GroundingDinoForObjectDetection`` and its processor, read from ``directory``."""

    def __init__(self, directory: str | Path | None, box_threshold: float = 0.3,
                 text_threshold: float = 0.25):
        from transformers import AutoProcessor, GroundingDinoForObjectDetection

        path = model_folder(directory, "Grounding DINO", ("grounding-dino",))
        self.model = load_pretrained(GroundingDinoForObjectDetection, path, "Grounding DINO")
        self.processor = load_processor(AutoProcessor, path, "Grounding DINO")
        self.box_threshold, self.text_threshold = box_threshold, text_threshold
        self.identity = {"grounding_dino": str(path), "grounding_dino_digest": folder_digest(path),
                         "box_threshold": box_threshold, "text_threshold": text_threshold}

    @torch.no_grad()
    def boxes(self, image: np.ndarray, prompt: str) -> tuple[np.ndarray, np.ndarray]:
        """B x 4 (x0, y0, x1, y1) pixel boxes of ``prompt`` in ``image``, and their scores.

        One prompt per call, so every box belongs to that prompt's class: no phrase matching."""
        text = prompt.strip().lower().rstrip(".") + "."  # Grounding DINO's phrase format
        inputs = self.processor(images=image, text=text, return_tensors="pt")
        outputs = self.model(**inputs)
        result = self.processor.post_process_grounded_object_detection(
            outputs, inputs["input_ids"], threshold=self.box_threshold,
            text_threshold=self.text_threshold, target_sizes=[image.shape[:2]])[0]
        height, width = image.shape[:2]
        boxes = result["boxes"].numpy().astype(np.float32)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        return boxes, result["scores"].numpy().astype(np.float32)
