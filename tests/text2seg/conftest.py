"""Tiny, randomly initialised foundation models saved to a temporary folder, as a user's local
SAM / Grounding DINO / CLIP folders would be (``save_pretrained`` layout), and a small CLIP-RS-like
open_clip folder for the offline routes. Built once per test session."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rssqa.data.classmap import ClassMap
from tests.conftest import torch_threads

CLASSMAP = ClassMap(names=["building", "land", "road", "water"],
                    colours=["#FF0000", "#00FF00", "#888888", "#0000FF"])
PROMPTS = {"building": "buildings", "road": "a road", "water": "water"}


@pytest.fixture(autouse=True)
def single_torch_thread():
    with torch_threads(1):
        yield


def _minilm_tokenizer():
    from transformers import AutoTokenizer

    from rssqa.cliprs.model import minilm_path

    return AutoTokenizer.from_pretrained(str(minilm_path()), local_files_only=True)


def write_tiny_sam(path):
    from transformers import SamConfig, SamImageProcessor, SamModel, SamProcessor

    torch.manual_seed(0)
    config = SamConfig(
        vision_config={"hidden_size": 16, "output_channels": 8, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 64, "patch_size": 16,
                       "mlp_dim": 32, "global_attn_indexes": [0], "window_size": 2,
                       "num_pos_feats": 4},
        prompt_encoder_config={"hidden_size": 8, "image_size": 64, "patch_size": 16,
                               "mask_input_channels": 4},
        mask_decoder_config={"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
                             "mlp_dim": 16, "iou_head_hidden_dim": 8})
    SamModel(config).save_pretrained(path)
    image_processor = SamImageProcessor(size={"longest_edge": 64}, pad_size={"height": 64, "width": 64})
    SamProcessor(image_processor=image_processor).save_pretrained(path)
    return path


def write_tiny_grounding_dino(path):
    from transformers import (
        BertConfig,
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoImageProcessor,
        GroundingDinoProcessor,
        SwinConfig,
    )

    torch.manual_seed(0)
    tokenizer = _minilm_tokenizer()
    backbone = SwinConfig(image_size=64, patch_size=4, embed_dim=8, depths=[1, 1, 1, 1],
                          num_heads=[1, 1, 1, 1], window_size=2, out_indices=[2, 3, 4])
    text = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                      num_attention_heads=2, intermediate_size=32)
    config = GroundingDinoConfig(backbone_config=backbone.to_dict(), text_config=text.to_dict(),
                                 num_queries=10, encoder_layers=1, decoder_layers=2, d_model=64,
                                 encoder_ffn_dim=16, decoder_ffn_dim=16, encoder_attention_heads=2,
                                 decoder_attention_heads=2, max_text_len=32, encoder_n_points=1,
                                 decoder_n_points=1)
    GroundingDinoForObjectDetection(config).save_pretrained(path)
    image_processor = GroundingDinoImageProcessor(size={"shortest_edge": 64, "longest_edge": 96})
    GroundingDinoProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(path)
    return path


def write_tiny_hf_clip(path):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    torch.manual_seed(0)
    tokenizer = _minilm_tokenizer()
    config = CLIPConfig(
        text_config={"vocab_size": tokenizer.vocab_size, "hidden_size": 16,
                     "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "max_position_embeddings": 64, "bos_token_id": tokenizer.cls_token_id,
                     "eos_token_id": tokenizer.sep_token_id, "pad_token_id": tokenizer.pad_token_id},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        projection_dim=8)
    CLIPModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(path)
    return path


def write_tiny_lit(path):
    """An open_clip folder with the CLIP-RS LiT architecture (convolutional image tower), small."""
    from rssqa.cliprs.model import LitConfig, write_initial_lit

    torch.manual_seed(0)
    return write_initial_lit(path, LitConfig(image_size=32, embed_dim=16, context_length=16))


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("text2seg_models")
    return {"sam": write_tiny_sam(root / "sam"),
            "grounding_dino": write_tiny_grounding_dino(root / "grounding_dino"),
            "clip": write_tiny_hf_clip(root / "clip"),
            "lit": write_tiny_lit(root / "lit")}


@pytest.fixture
def images():
    """Two 48 x 40 RGB tiles with blocky content."""
    rng = np.random.default_rng(0)
    blocks = rng.integers(0, 255, (2, 6, 5, 3)).repeat(8, 1).repeat(8, 2)
    return np.clip(blocks + rng.normal(0, 10, blocks.shape), 0, 255).astype(np.uint8)
