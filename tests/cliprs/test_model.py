"""The offline LiT CLIP: ImageNet image tower + MiniLM text tower, saved as a self-contained
open_clip folder that the "clip-rs" encoder loads."""

from __future__ import annotations

import json
import shutil

import numpy as np
import open_clip
import pytest
import torch

from rssqa.cliprs.model import LitConfig, write_initial_lit
from rssqa.encoders import create_encoder
from rssqa.backbones.pretrained import efficientnet_lite0_state_dict


@pytest.fixture(scope="module")
def lit_dir(tmp_path_factory):
    return write_initial_lit(tmp_path_factory.mktemp("lit") / "model", LitConfig(image_size=64))


def test_lit_folder_carries_imagenet_image_weights_and_a_working_tokenizer(lit_dir):
    encoder = create_encoder("clip-rs", checkpoint=str(lit_dir))
    imagenet = efficientnet_lite0_state_dict()
    trunk = encoder.visual.trunk.state_dict()
    torch.testing.assert_close(trunk["blocks.3.0.conv_pw.weight"], imagenet["blocks.3.0.conv_pw.weight"])

    tokens = open_clip.get_tokenizer(f"local-dir:{lit_dir}")(["An aerial image of bare land (80%)."])
    assert tokens.shape == (1, 40) and (tokens != 0).sum() > 5


def test_clip_rs_encoder_gives_last_stage_tokens_and_the_projected_embedding(lit_dir):
    encoder = create_encoder("clip-rs", checkpoint=str(lit_dir))
    out = encoder.encode(np.zeros((2, 96, 96, 3), np.uint8))

    assert encoder.name == "clip-rs"
    assert out.tokens.shape == (2, 4, 320)  # 64 px input at stride 32: 2 x 2 tokens of 320 channels
    assert out.pooled.shape == (2, 256) == (2, encoder.pooled_dim)


def test_a_moved_model_folder_still_loads(lit_dir, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.copytree(lit_dir, moved)
    config_path = moved / "open_clip_config.json"
    config = json.loads(config_path.read_text())
    config["model_cfg"]["text_cfg"]["hf_model_name"] = str(tmp_path / "no_longer_here")  # as after a move
    config_path.write_text(json.dumps(config))
    tiles = np.full((1, 64, 64, 3), 90, np.uint8)

    out = create_encoder("clip-rs", checkpoint=str(moved)).encode(tiles)

    torch.testing.assert_close(out.pooled, create_encoder("clip-rs", checkpoint=str(lit_dir)).encode(tiles).pooled)
