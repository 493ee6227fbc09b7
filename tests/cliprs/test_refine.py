"""Captioners rewrite flagged captions: from a predicted mask by default, or by a local VLM."""

from __future__ import annotations

import numpy as np
import pytest

from rssqa.cliprs.refine import MaskCaptioner, NearestCentroidSegmenter, VLMCaptioner
from rssqa.errors import InputError

NAMES = ["Building", "Land", "Road", "Vegetation", "Water"]
COLOURS = np.array([[150, 40, 40], [200, 170, 120], [90, 90, 90], [40, 140, 40], [30, 60, 150]])


def _scene(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = rng.integers(0, 5, (6, 6)).repeat(8, 0).repeat(8, 1).astype(np.uint8)
    image = np.clip(COLOURS[mask] + rng.normal(0, 15, mask.shape + (3,)), 0, 255).astype(np.uint8)
    return image, mask


def test_nearest_centroid_segmenter_learns_class_colours_and_skips_ignored_pixels():
    scenes = [_scene(s) for s in range(3)]
    masks = [m.copy() for _, m in scenes]
    masks[0][:8, :8] = 255
    segmenter = NearestCentroidSegmenter(pixels_per_class=2000).fit([i for i, _ in scenes], masks)

    image, truth = _scene(10)
    assert (segmenter(image) == truth).mean() > 0.95


def test_mask_captioner_captions_the_predicted_mask():
    all_water = MaskCaptioner(lambda image: np.full(image.shape[:2], 4, np.uint8), NAMES)

    captions = all_water([np.zeros((16, 16, 3), np.uint8)] * 2)

    assert len(captions) == 2
    assert all("water" in c and "bare land" not in c.split(". No")[0] for c in captions)


@pytest.fixture(scope="module")
def tiny_captioning_model(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    from rssqa.cliprs.model import minilm_path

    tokenizer = transformers.AutoTokenizer.from_pretrained(minilm_path())
    config = transformers.GitConfig(
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=16),
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id, pad_token_id=tokenizer.pad_token_id)
    folder = tmp_path_factory.mktemp("git")
    transformers.GitForCausalLM(config).save_pretrained(folder)
    processor = transformers.GitProcessor(
        image_processor=transformers.CLIPImageProcessor(size={"shortest_edge": 32},
                                                        crop_size={"height": 32, "width": 32}),
        tokenizer=tokenizer)
    processor.save_pretrained(folder)
    return folder


def test_a_local_captioning_model_writes_one_caption_per_image(tiny_captioning_model):
    captioner = VLMCaptioner(tiny_captioning_model, max_new_tokens=4, batch_size=2)

    captions = captioner([np.zeros((40, 40, 3), np.uint8)] * 3)

    assert len(captions) == 3 and all(isinstance(c, str) and c for c in captions)


def test_a_missing_captioning_model_says_nothing_is_downloaded(tmp_path):
    with pytest.raises(InputError, match="never downloads"):
        VLMCaptioner(tmp_path)


def test_model_segmenter_takes_the_argmax_of_a_network_s_logits():
    import torch

    from rssqa.cliprs.refine import ModelSegmenter

    network = torch.nn.Conv2d(3, 5, 1)
    with torch.no_grad():  # class 4 ("Water") wins wherever blue exceeds red
        network.weight.zero_()
        network.bias.zero_()
        network.weight[4, 2, 0, 0], network.weight[4, 0, 0, 0] = 1.0, -1.0
    image = np.zeros((8, 8, 3), np.uint8)
    image[:, 4:, 2] = 200

    mask = ModelSegmenter(network)(image)

    assert mask.shape == (8, 8) and (mask[:, 4:] == 4).all() and (mask[:, :4] != 4).all()
