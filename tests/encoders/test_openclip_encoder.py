"""open_clip checkpoints load from local files only, give tokens and the CLIP embedding, and
refuse checkpoints of another architecture by naming the file."""

from __future__ import annotations

import pytest
import torch

from rssqa.encoders import create_encoder
from rssqa.encoders.openclip import save_open_clip
from rssqa.errors import CheckpointError, InputError

from .conftest import TINY_VIT, reference_embedding, save_state_dict


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_architecture_plus_checkpoint_file_loads_the_saved_weights(tiny_vit, tiles, tmp_path, suffix):
    path = save_state_dict(tiny_vit, tmp_path / f"remoteclip{suffix}")

    encoder = create_encoder("open_clip", model="rssqa-test-tiny-vit", pretrained=str(path))
    out = encoder.encode(tiles)

    assert out.tokens.shape == (3, 16, 32)  # 32 px / 8 px patches = 4 x 4 patch tokens of width 32
    assert out.pooled.shape == (3, 16) == (3, encoder.pooled_dim)
    assert encoder.token_dim == 32
    torch.testing.assert_close(out.pooled, reference_embedding(tiny_vit, encoder.preprocess(tiles)))


def test_open_clip_folder_loads_through_local_dir(tiny_vit, tiles, tmp_path):
    folder = save_open_clip(tiny_vit, TINY_VIT, tmp_path / "geo_rsclip")

    encoder = create_encoder("open_clip", model=f"local-dir:{folder}")

    torch.testing.assert_close(encoder.encode(tiles).pooled,
                               reference_embedding(tiny_vit, encoder.preprocess(tiles)))
    assert not list(tmp_path.glob("*.partial")), "the staging folder must be moved into place"


def test_preprocess_resizes_whole_tiles_and_normalises_like_open_clip(tiny_vit, tmp_path):
    encoder = create_encoder("open_clip", model="rssqa-test-tiny-vit",
                             pretrained=str(save_state_dict(tiny_vit, tmp_path / "w.pt")))
    grey = torch.full((1, 64, 64, 3), 128, dtype=torch.uint8).numpy()

    pixels = encoder.preprocess(grey)

    assert pixels.shape == (1, 3, 32, 32)
    expected = (128 / 255 - torch.tensor(encoder.mean)) / torch.tensor(encoder.std)
    torch.testing.assert_close(pixels[0, :, 5, 5], expected.float())


def test_checkpoint_of_another_architecture_is_refused_naming_the_file(tiny_vit, tmp_path, tiny_architectures):
    path = save_state_dict(tiny_vit, tmp_path / "vit_b.pt")

    with pytest.raises(CheckpointError, match="vit_b.pt.*does not fit") as error:
        create_encoder("open_clip", model="rssqa-test-tiny-vit-wide", pretrained=str(path))
    assert error.value.path == path


def test_a_file_that_is_no_checkpoint_is_refused(tmp_path, tiny_architectures):
    path = tmp_path / "notes.pt"
    path.write_bytes(b"not a checkpoint")

    with pytest.raises(CheckpointError, match="notes.pt"):
        create_encoder("open_clip", model="rssqa-test-tiny-vit", pretrained=str(path))


@pytest.mark.parametrize("model, pretrained, message", [
    ("rssqa-test-tiny-vit", "openai", "never downloads"),
    ("hf-hub:timm/ViT-B-32", None, "never downloads"),
    ("rssqa-test-tiny-vit", None, "no weights"),
    ("ViT-Nonexistent", "w.pt", "not an open_clip architecture"),
])
def test_names_that_would_download_or_cannot_load_are_refused(model, pretrained, message, tiny_architectures):
    with pytest.raises(InputError, match=message):
        create_encoder("open_clip", model=model, pretrained=pretrained)


def test_local_dir_without_config_says_what_to_point_at(tmp_path):
    with pytest.raises(InputError, match="open_clip_config.json"):
        create_encoder("open_clip", model=f"local-dir:{tmp_path}")
