"""CLIP, the part of Text2Seg that reads the class prompts: prompt embeddings, embeddings of image
crops (to classify SAM's masks) and of every patch of a tile (for the similarity maps).

Two kinds of local folder give the same three operations:

- a Hugging Face ``CLIPModel`` folder (``config.json`` with ``model_type: clip``, a tokenizer and
  an image processor), e.g. OpenAI's CLIP saved with ``save_pretrained``;
- an open_clip folder (``open_clip_config.json``), e.g. the CLIP-RS LiT model that ``rssqa
  pretrain-clip`` writes to ``<run>/clip_rs/model``. Its patch embeddings need a convolutional
  tower with average pooling and a linear projection (the LiT model's): projecting each location
  of the last feature map gives embeddings whose mean is exactly the image embedding.

Every embedding is L2-normalised.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from rssqa.errors import InputError
from rssqa.text2seg.loading import (
    OPEN_CLIP_CONFIG,
    folder_digest,
    load_pretrained,
    load_processor,
    model_folder,
)

_BATCH = 64


def load_clip(directory: str | Path | None):
    """The CLIP scorer of a local folder: open_clip layout if it has ``open_clip_config.json``,
    otherwise a Hugging Face ``CLIPModel`` folder."""
    if directory is None:
        raise InputError(None, "this Text2Seg route needs a local CLIP model folder",
                         "pass clip: <folder>, a Hugging Face CLIPModel folder or an open_clip one "
                         "such as the CLIP-RS model `rssqa pretrain-clip` writes to <run>/clip_rs/model")
    if (Path(directory).expanduser() / OPEN_CLIP_CONFIG).is_file():
        return OpenClipScorer(Path(directory).expanduser().resolve())
    return HfClipScorer(model_folder(directory, "CLIP", ("clip",)))


def resize_pixels(images: Sequence[np.ndarray], size: int, mean, std) -> torch.Tensor:
    """H x W x 3 uint8 images (any sizes) -> N x 3 x size x size, scaled to 0..1 and normalised.
    The whole image is resized (no centre crop): a crop's edges are part of what it shows."""
    batch = []
    for image in images:
        x = torch.from_numpy(np.array(image, np.uint8)).permute(2, 0, 1)[None].float().div_(255.0)
        batch.append(F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                                   antialias=True))
    pixels = torch.cat(batch)
    mean = torch.tensor(mean, dtype=pixels.dtype).view(1, -1, 1, 1)
    std = torch.tensor(std, dtype=pixels.dtype).view(1, -1, 1, 1)
    return (pixels - mean) / std


class HfClipScorer:
    """A transformers ``CLIPModel`` with its tokenizer and image normalisation."""

    def __init__(self, path: Path):
        from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

        self.model = load_pretrained(CLIPModel, path, "CLIP")
        self.tokenizer = load_processor(AutoTokenizer, path, "CLIP")
        image_processor = load_processor(AutoImageProcessor, path, "CLIP")
        self.mean, self.std = image_processor.image_mean, image_processor.image_std
        self.size = self.model.config.vision_config.image_size
        self.logit_scale = self.model.logit_scale.detach().exp().item()
        self.identity = {"clip": str(path), "clip_digest": folder_digest(path)}

    @torch.no_grad()
    def text_embeddings(self, prompts: Sequence[str]) -> torch.Tensor:
        tokens = self.tokenizer(list(prompts), padding=True, truncation=True, return_tensors="pt")
        return F.normalize(_projected(self.model.get_text_features(**tokens)), dim=-1)

    @torch.no_grad()
    def image_embeddings(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        out = [_projected(self.model.get_image_features(
                   pixel_values=resize_pixels(images[i:i + _BATCH], self.size, self.mean, self.std)))
               for i in range(0, len(images), _BATCH)]
        return F.normalize(torch.cat(out), dim=-1)

    @torch.no_grad()
    def patch_embeddings(self, image: np.ndarray, size: int | None = None) -> torch.Tensor:
        """D x h x w: each patch token through the final norm and the image projection, as the
        class token is (the first step of CLIP Surgery's dense maps). ``size`` other than the
        model's input size interpolates the position embeddings."""
        size = size or self.size
        pixels = resize_pixels([image], size, self.mean, self.std)
        hidden = self.model.vision_model(pixel_values=pixels, interpolate_pos_encoding=size != self.size
                                         ).last_hidden_state[0, 1:]
        tokens = self.model.visual_projection(self.model.vision_model.post_layernorm(hidden))
        side = round(tokens.shape[0] ** 0.5)
        return F.normalize(tokens, dim=-1).T.reshape(-1, side, side)


def _projected(output) -> torch.Tensor:
    """The projected embeddings of ``get_*_features``: a tensor in older transformers, an output
    whose ``pooler_output`` holds them in newer ones."""
    return output if isinstance(output, torch.Tensor) else output.pooler_output


class OpenClipScorer:
    """An open_clip folder (the CLIP-RS LiT model, or any open_clip CLIP)."""

    def __init__(self, path: Path):
        import open_clip

        from rssqa.encoders.openclip import LOCAL_DIR, load_open_clip

        self.model = load_open_clip(f"{LOCAL_DIR}{path}")
        self.tokenizer = open_clip.get_tokenizer(f"{LOCAL_DIR}{path}")
        visual = self.model.visual
        self.mean, self.std = visual.image_mean, visual.image_std
        size = visual.image_size
        self.size = size if isinstance(size, int) else size[0]
        self.logit_scale = self.model.logit_scale.detach().exp().item()
        self.identity = {"clip": str(path), "clip_digest": folder_digest(path)}

    @torch.no_grad()
    def text_embeddings(self, prompts: Sequence[str]) -> torch.Tensor:
        return self.model.encode_text(self.tokenizer(list(prompts)), normalize=True)

    @torch.no_grad()
    def image_embeddings(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        out = [self.model.encode_image(resize_pixels(images[i:i + _BATCH], self.size, self.mean,
                                                     self.std), normalize=True)
               for i in range(0, len(images), _BATCH)]
        return torch.cat(out)

    @torch.no_grad()
    def patch_embeddings(self, image: np.ndarray, size: int | None = None) -> torch.Tensor:
        """D x h x w embeddings of the last feature map's locations, the tile resized to ``size``
        (the tower is convolutional: a larger input gives a finer map)."""
        visual = self.model.visual
        trunk, head = getattr(visual, "trunk", None), getattr(visual, "head", None)
        projection = getattr(head, "proj", None)
        if trunk is None or not isinstance(projection, torch.nn.Linear):
            raise InputError(None, "dense similarity maps from an open_clip model need a timm "
                             "convolutional tower with a linear projection (the CLIP-RS LiT model)",
                             "use a Hugging Face CLIP folder for ViT towers")
        pixels = resize_pixels([image], size or self.size, self.mean, self.std)
        features = trunk.forward_features(pixels)[0]  # C x h x w
        # Average pooling then a linear map equals the mean of the per-location linear maps.
        tokens = projection(features.flatten(1).T)
        return F.normalize(tokens, dim=-1).T.reshape(-1, *features.shape[-2:])
