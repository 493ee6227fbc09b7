"""Tiny CLIP models and image-text pairs written to disk, as a user's would be."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from rssqa.encoders.openclip import save_open_clip

TINY_VIT = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory) -> Path:
    """A randomly initialised tiny ViT CLIP as an open_clip local-dir folder."""
    torch.manual_seed(0)
    clip = open_clip.CLIP(**TINY_VIT)
    return save_open_clip(clip, TINY_VIT, tmp_path_factory.mktemp("tiny_clip") / "model")


def write_pairs(directory: Path, n: int = 24, size: int = 40, seed: int = 0) -> Path:
    """``n`` coloured images, captioned by their colour, in open_clip's TSV layout."""
    rng = np.random.default_rng(seed)
    colours = {"red": (200, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 200)}
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["filepath\ttitle"]
    for i in range(n):
        name = list(colours)[i % 3]
        pixels = np.clip(np.array(colours[name]) + rng.normal(0, 20, (size, size, 3)), 0, 255)
        path = directory / f"img{i}.png"
        Image.fromarray(pixels.astype(np.uint8)).save(path)
        lines.append(f"{path}\ta {name} square")
    tsv = directory / "pairs.tsv"
    tsv.write_text("\n".join(lines) + "\n")
    return tsv
