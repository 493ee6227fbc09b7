"""CLIP image towers saved in Hugging Face's layout (``config.json`` + ``model.safetensors``), read
from a local folder through transformers: e.g. ``openai/clip-vit-base-patch32`` or a GeoRSCLIP /
RemoteCLIP conversion the user downloaded once.

Tokens are the patch tokens after the tower's final layer norm (the norm HF applies only to the
class token), so they match open_clip's; pooled is the projected image embedding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

from rssqa.encoders.base import EncoderOutput, SemanticEncoder
from rssqa.encoders.openclip import _pair, _resize_and_normalise, quiet_loading
from rssqa.errors import CheckpointError, InputError

_CLIP_TYPES = ("clip", "clip_vision_model")


def _vision_config(directory: Path):
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(directory, local_files_only=True)
    except (OSError, ValueError) as error:
        raise CheckpointError(directory, f"is not a Hugging Face model folder ({error})",
                              "point at the folder holding the CLIP model's config.json") from None
    if config.model_type not in _CLIP_TYPES:
        raise CheckpointError(directory, f"holds a {config.model_type!r} model, not CLIP",
                              "hf-clip takes CLIP checkpoints (model_type 'clip')")
    if config.model_type == "clip":
        # The full CLIP config keeps the projection width at the top level; the vision tower
        # would otherwise be built with the default 512 and refuse a smaller projection.
        vision = config.vision_config
        vision.projection_dim = config.projection_dim
        return vision
    return config


class HFClipEncoder(SemanticEncoder):
    """The frozen image tower of a local Hugging Face CLIP folder."""

    def __init__(self, path: str | Path, name: str = "hf-clip"):
        super().__init__()
        from transformers import CLIPVisionModelWithProjection

        directory = Path(path)
        if not (directory / "config.json").is_file():
            raise InputError(directory, "has no config.json",
                             "pass the local folder of a Hugging Face CLIP model; rssqa never "
                             "downloads weights")
        config = _vision_config(directory)
        with quiet_loading():
            try:
                model, info = CLIPVisionModelWithProjection.from_pretrained(
                    directory, config=config, local_files_only=True, output_loading_info=True)
            except (OSError, RuntimeError, ValueError) as error:
                raise CheckpointError(directory, f"weights do not fit its CLIP config ({str(error)[:200]})",
                                      "re-export the model with save_pretrained") from None
        if info["missing_keys"]:
            raise CheckpointError(directory, f"weights lack {len(info['missing_keys'])} tensor(s) of the "
                                  f"image tower, e.g. {info['missing_keys'][0]}",
                                  "the folder's weights belong to another model")
        self.model = model.requires_grad_(False).eval()
        self.name = name
        self.image_size = _pair(config.image_size)
        self.input_size = self.image_size[0]
        self.mean, self.std = self._normalisation(directory)
        self.token_dim = config.hidden_size
        self.pooled_dim = config.projection_dim

    @staticmethod
    def _normalisation(directory: Path) -> tuple[tuple, tuple]:
        if (directory / "preprocessor_config.json").is_file():
            from transformers import CLIPImageProcessor

            processor = CLIPImageProcessor.from_pretrained(directory, local_files_only=True)
            return tuple(processor.image_mean), tuple(processor.image_std)
        return OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

    def preprocess(self, images: np.ndarray) -> torch.Tensor:
        return _resize_and_normalise(images, self.image_size, self.mean, self.std)

    def forward(self, pixels: torch.Tensor) -> EncoderOutput:
        out = self.model(pixel_values=pixels)
        tokens = self.model.vision_model.post_layernorm(out.last_hidden_state[:, 1:])
        return EncoderOutput(tokens=tokens, pooled=out.image_embeds)
