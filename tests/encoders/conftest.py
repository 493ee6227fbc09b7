"""Tiny, randomly initialised CLIP models written to disk the way users' checkpoints arrive."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch

TINY_VIT = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
# Same layout, other widths: a checkpoint of one must not load into the other.
TINY_VIT_WIDE = {**TINY_VIT, "vision_cfg": {**TINY_VIT["vision_cfg"], "width": 48}}


@pytest.fixture(scope="session")
def tiny_architectures(tmp_path_factory) -> dict[str, dict]:
    """Registers two tiny ViT architectures with open_clip, as built-ins like ViT-B-32 are."""
    directory = tmp_path_factory.mktemp("open_clip_configs")
    configs = {"rssqa-test-tiny-vit": TINY_VIT, "rssqa-test-tiny-vit-wide": TINY_VIT_WIDE}
    for name, config in configs.items():
        (directory / f"{name}.json").write_text(json.dumps(config))
    open_clip.add_model_config(directory)
    return configs


@pytest.fixture(scope="session")
def tiny_vit(tiny_architectures):
    torch.manual_seed(0)
    return open_clip.create_model("rssqa-test-tiny-vit").eval()


@pytest.fixture
def tiles() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (3, 40, 40, 3), dtype=np.uint8)


def reference_embedding(clip, pixels: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return clip.encode_image(pixels)


def save_state_dict(clip, path: Path) -> Path:
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in clip.state_dict().items()}, path)
    else:
        torch.save(clip.state_dict(), path)
    return path
