"""SAM (Segment Anything) from a local folder: masks from box prompts, from point prompts, and
"segment everything" from a grid of points. transformers' ``SamModel`` and ``SamProcessor`` do
the work; the image embedding is computed once per image and shared by every prompt."""

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


class Sam:
    """A SAM model and its processor, read from ``directory``."""

    def __init__(self, directory: str | Path | None):
        from transformers import SamModel, SamProcessor

        path = model_folder(directory, "SAM", ("sam",))
        self.model = load_pretrained(SamModel, path, "SAM")
        self.processor = load_processor(SamProcessor, path, "SAM")
        self.identity = {"sam": str(path), "sam_digest": folder_digest(path)}
        self._generator = None

    @torch.no_grad()
    def _prompted(self, image: np.ndarray, **prompts) -> tuple[np.ndarray, np.ndarray]:
        """One mask per prompt (the best of SAM's three by its predicted IoU), at the image's
        size: M x H x W bool, and the M predicted IoUs."""
        inputs = self.processor(images=image, return_tensors="pt", **prompts)
        embeddings = self.model.get_image_embeddings(inputs["pixel_values"])
        prompt_inputs = {k: v for k, v in inputs.items() if k.startswith("input_")}
        output = self.model(image_embeddings=embeddings, multimask_output=True, **prompt_inputs)
        masks = self.processor.post_process_masks(output.pred_masks, inputs["original_sizes"],
                                                  inputs["reshaped_input_sizes"])[0]
        iou = output.iou_scores[0]  # M x 3
        best = iou.argmax(dim=-1)
        chosen = masks[torch.arange(len(best)), best]
        return chosen.numpy().astype(bool), iou.gather(1, best[:, None])[:, 0].numpy()

    def masks_from_boxes(self, image: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One mask per (x0, y0, x1, y1) box in image pixels."""
        if len(boxes) == 0:
            return np.zeros((0, *image.shape[:2]), bool), np.zeros(0, np.float32)
        return self._prompted(image, input_boxes=[np.asarray(boxes, np.float32).tolist()])

    def masks_from_points(self, image: np.ndarray, points: np.ndarray,
                          labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One mask per point set: ``points`` M x P x 2 (x, y), ``labels`` M x P (1 foreground,
        0 background)."""
        return self._prompted(image, input_points=[np.asarray(points, np.float32).tolist()],
                              input_labels=[np.asarray(labels).tolist()])

    def everything(self, image: np.ndarray, points_per_side: int = 16, pred_iou_thresh: float = 0.88,
                   stability_score_thresh: float = 0.92) -> tuple[np.ndarray, np.ndarray]:
        """SAM's automatic masks (transformers' mask-generation pipeline) from a grid of
        ``points_per_side`` x ``points_per_side`` point prompts: M x H x W bool and their
        predicted IoUs, largest mask first."""
        from PIL import Image
        from transformers import pipeline

        if self._generator is None:
            self._generator = pipeline("mask-generation", model=self.model,
                                       image_processor=self.processor.image_processor, device="cpu")
        # transformers' points_per_crop is the grid's points per side (SAM's 32 x 32 default)
        result = self._generator(Image.fromarray(image), points_per_crop=points_per_side,
                                 points_per_batch=64, pred_iou_thresh=pred_iou_thresh,
                                 stability_score_thresh=stability_score_thresh)
        if not result["masks"]:
            return np.zeros((0, *image.shape[:2]), bool), np.zeros(0, np.float32)
        masks = np.stack([np.asarray(m, bool) for m in result["masks"]])
        scores = np.asarray([float(s) for s in result["scores"]], np.float32)
        order = np.argsort(-masks.sum(axis=(1, 2)), kind="stable")
        return masks[order], scores[order]
