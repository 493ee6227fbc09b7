"""Hugging Face CLIP folders load through transformers from disk only."""

from __future__ import annotations

import pytest
import torch

from rssqa.encoders import create_encoder
from rssqa.errors import CheckpointError, InputError

transformers = pytest.importorskip("transformers")


def _tiny_clip_config(width: int = 32):
    return transformers.CLIPConfig(
        text_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                         vocab_size=100, max_position_embeddings=16),
        vision_config=dict(hidden_size=width, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=2, image_size=32, patch_size=8),
        projection_dim=16)


@pytest.fixture(scope="module")
def tiny_clip_folder(tmp_path_factory):
    torch.manual_seed(0)
    model = transformers.CLIPModel(_tiny_clip_config()).eval()
    folder = tmp_path_factory.mktemp("hf_clip")
    model.save_pretrained(folder)
    return model, folder


def test_hf_clip_folder_gives_patch_tokens_and_the_projected_embedding(tiny_clip_folder, tiles):
    model, folder = tiny_clip_folder

    encoder = create_encoder("hf-clip", path=str(folder))
    out = encoder.encode(tiles)

    assert out.tokens.shape == (3, 16, 32) and encoder.token_dim == 32
    assert out.pooled.shape == (3, 16) and encoder.pooled_dim == 16
    with torch.no_grad():
        expected = model.get_image_features(pixel_values=encoder.preprocess(tiles))
    expected = getattr(expected, "pooler_output", expected)
    torch.testing.assert_close(out.pooled, expected)


def test_weights_of_another_size_are_refused(tmp_path):
    transformers.CLIPModel(_tiny_clip_config(width=48)).save_pretrained(tmp_path)
    config = _tiny_clip_config(width=32)
    config.save_pretrained(tmp_path)  # config says 32 wide, weights are 48 wide

    with pytest.raises(CheckpointError, match=str(tmp_path.name)):
        create_encoder("hf-clip", path=str(tmp_path))


def test_a_non_clip_model_is_refused(tmp_path):
    transformers.BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=64).save_pretrained(tmp_path)

    with pytest.raises(CheckpointError, match="not CLIP"):
        create_encoder("hf-clip", path=str(tmp_path))


def test_a_folder_without_config_is_refused(tmp_path):
    with pytest.raises(InputError, match="config.json"):
        create_encoder("hf-clip", path=str(tmp_path))
