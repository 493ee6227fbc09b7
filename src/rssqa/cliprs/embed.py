"""Image and caption embeddings of a CLIP model folder, for scoring pairs and for evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import open_clip
import torch
from open_clip.transform import PreprocessCfg, image_transform_v2
from PIL import Image

from rssqa.encoders.openclip import LOCAL_DIR, load_open_clip


@dataclass
class ClipEmbedder:
    """A CLIP model with its tokenizer and evaluation transform; embeddings are L2-normalised."""

    model: torch.nn.Module
    tokenizer: object
    transform: object
    batch_size: int = 64

    @classmethod
    def from_folder(cls, folder: str | Path, batch_size: int = 64) -> ClipEmbedder:
        name = f"{LOCAL_DIR}{folder}"
        model = load_open_clip(name)
        transform = image_transform_v2(PreprocessCfg(**model.visual.preprocess_cfg), is_train=False)
        return cls(model, open_clip.get_tokenizer(name), transform, batch_size)

    @torch.no_grad()
    def images(self, paths: Sequence[str | Path]) -> np.ndarray:
        """N x D embeddings of image files."""
        out = []
        for start in range(0, len(paths), self.batch_size):
            batch = [self.transform(Image.open(p).convert("RGB")) for p in paths[start:start + self.batch_size]]
            out.append(self.model.encode_image(torch.stack(batch), normalize=True))
        return torch.cat(out).numpy()

    @torch.no_grad()
    def texts(self, captions: Sequence[str]) -> np.ndarray:
        """N x D embeddings of captions."""
        out = []
        for start in range(0, len(captions), self.batch_size):
            tokens = self.tokenizer(list(captions[start:start + self.batch_size]))
            out.append(self.model.encode_text(tokens, normalize=True))
        return torch.cat(out).numpy()

    def pair_scores(self, paths: Sequence[str | Path], captions: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each (image, caption) pair; each distinct image is encoded once."""
        unique = list(dict.fromkeys(map(str, paths)))
        image_emb = self.images(unique)
        row = {p: i for i, p in enumerate(unique)}
        text_emb = self.texts(captions)
        return np.einsum("nd,nd->n", image_emb[[row[str(p)] for p in paths]], text_emb)
