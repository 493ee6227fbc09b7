"""open_clip image towers from checkpoints the user holds: OpenAI CLIP, RemoteCLIP, GeoRSCLIP,
SkyCLIP, RS-M-CLIP, FarSLIP, CLIP-RS, or any other open_clip model.

Weights are only ever read from local files. A model is named as open_clip names it, either

- a built-in architecture plus a checkpoint file: ``model="ViT-B-32", pretrained="RemoteCLIP-ViT-B-32.pt"``
  (a plain state dict, ``.pt``/``.bin``/``.safetensors``), or
- a folder in open_clip's own layout (``open_clip_config.json`` + weights + tokenizer files):
  ``model="local-dir:runs/cliprs/clip_rs/model"``. The CLIP-RS pipeline writes its models this way.

Hub tags (``pretrained="openai"``) and ``hf-hub:`` names would download, so they are refused with
what to do instead.

Tokens are the last block's spatial output (ViT patch tokens after the final norm, or a CNN
tower's last feature map flattened), pooled is the projected image embedding, both from open_clip's
``forward_intermediates``, which every tower type (ViT, timm, ModifiedResNet) implements.
"""

from __future__ import annotations

import copy
import json
import logging
import pickle
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from open_clip.factory import load_checkpoint
from torch import nn

from rssqa.encoders.base import EncoderOutput, SemanticEncoder
from rssqa.errors import CheckpointError, InputError

LOCAL_DIR = "local-dir:"
_NO_DOWNLOAD = ("rssqa never downloads weights: fetch the checkpoint yourself (e.g. from the model's "
                "release page) and pass its local path")


@contextmanager
def quiet_loading():
    """Silence load-time chatter: transformers' tables of unused keys (the text tower of a full
    CLIP checkpoint) and open_clip's "initialized randomly" warning, which is wrong here because
    the weights are loaded right after the model is built. Errors still raise."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
        hf_logging.set_verbosity(level)


def load_open_clip(model: str, pretrained: str | Path | None = None,
                   image_size: int | None = None) -> nn.Module:
    """An open_clip CLIP model with weights from a local file or ``local-dir:`` folder, in eval mode.

    Raises InputError for names or paths that cannot be used and CheckpointError, naming the
    file, for a checkpoint that does not fit the architecture.
    """
    if model.startswith("hf-hub:"):
        raise InputError(None, f"model {model!r} names a Hugging Face Hub repository", _NO_DOWNLOAD +
                         " as 'local-dir:<folder>' (the folder holding open_clip_config.json)")
    if model.startswith(LOCAL_DIR):
        directory = Path(model[len(LOCAL_DIR):])
        return _load_local_dir(directory, image_size)

    if model not in open_clip.list_models():
        raise InputError(None, f"{model!r} is not an open_clip architecture",
                         "use a name from open_clip.list_models() (e.g. ViT-B-32, ViT-L-14) or "
                         "'local-dir:<folder>' for a folder with open_clip_config.json")
    if pretrained is None:
        raise InputError(None, f"no weights given for open_clip model {model}",
                         "pass pretrained=<checkpoint file>; a randomly initialised tower encodes nothing")
    path = Path(pretrained)
    if not path.exists():
        hint = _NO_DOWNLOAD if not path.suffix and "/" not in str(pretrained) else "check the path"
        raise InputError(path, "checkpoint does not exist", hint)
    if path.is_dir():
        raise InputError(path, "is a folder, not a checkpoint file",
                         f"pass model='{LOCAL_DIR}{path}' for a folder in open_clip's layout, or the "
                         "weights file inside it")
    with quiet_loading():
        clip = open_clip.create_model(model, pretrained=None, force_image_size=image_size,
                                      pretrained_image=False, pretrained_text=False)
    _load_weights(clip, path, f"open_clip model {model}")
    return clip.eval()


def open_clip_model_config(model: str) -> dict:
    """The open_clip model config of a built-in architecture or of a ``local-dir:`` folder."""
    if model.startswith(LOCAL_DIR):
        path = Path(model[len(LOCAL_DIR):]) / "open_clip_config.json"
        return json.loads(path.read_text())["model_cfg"]
    config = open_clip.get_model_config(model)
    if config is None:
        raise InputError(None, f"{model!r} is not an open_clip architecture",
                         "use a name from open_clip.list_models() or 'local-dir:<folder>'")
    return config


def _replaceable(directory: Path) -> bool:
    """An empty folder, or one that an earlier save wrote."""
    return directory.is_dir() and (not any(directory.iterdir())
                                   or (directory / "open_clip_config.json").is_file())


def save_open_clip(clip: nn.Module, model_cfg: dict, directory: str | Path, tokenizer=None) -> Path:
    """Write ``clip`` as an open_clip ``local-dir:`` folder: config, safetensors weights and, for a
    Hugging Face text tower, its tokenizer and config.json, so the folder loads on its own.

    The folder is assembled next to ``directory`` and moved into place, so a crash never leaves a
    half-written model where a finished one is expected.
    """
    from open_clip.push_to_hf_hub import save_config_for_hf
    from safetensors.torch import save_file

    directory = Path(directory)
    if directory.exists() and not _replaceable(directory):
        raise InputError(directory, "exists and is not a CLIP folder rssqa saved (no "
                         "open_clip_config.json), so it will not be replaced",
                         "choose another output folder, or move it away")
    staging = directory.with_name(directory.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model_cfg = copy.deepcopy(model_cfg)
    text = getattr(clip, "text", None)
    if "hf_model_name" in model_cfg.get("text_cfg", {}):
        text.config.save_pretrained(staging)
        model_cfg["text_cfg"]["hf_model_name"] = str(directory.resolve())
        model_cfg["text_cfg"]["hf_tokenizer_name"] = str(directory.resolve())
    if tokenizer is not None and hasattr(tokenizer, "save_pretrained"):
        tokenizer.save_pretrained(staging)
    if not getattr(clip.visual, "preprocess_cfg", None):  # built directly, not by open_clip's factory
        from open_clip.transform import PreprocessCfg

        open_clip.model.set_model_preprocess_cfg(clip, PreprocessCfg(size=clip.visual.image_size).__dict__)
    save_config_for_hf(clip, staging / "open_clip_config.json", model_config=model_cfg)
    state = {k: v.detach().contiguous() for k, v in clip.state_dict().items()}
    save_file(state, staging / "open_clip_model.safetensors")
    shutil.rmtree(directory, ignore_errors=True)
    staging.rename(directory)
    return directory


def _load_local_dir(directory: Path, image_size: int | None) -> nn.Module:
    config_path = directory / "open_clip_config.json"
    if not config_path.is_file():
        raise InputError(directory, "has no open_clip_config.json",
                         "point at a folder written by open_clip (save_for_hf) or by `rssqa pretrain-clip`")
    try:
        config = json.loads(config_path.read_text())
        model_cfg = config["model_cfg"]
    except (json.JSONDecodeError, KeyError) as error:
        raise InputError(config_path, f"is not an open_clip config ({error})",
                         "it must be JSON with a 'model_cfg' entry") from None
    weights = open_clip.factory._find_checkpoint_in_dir(directory)
    if weights is None:
        raise InputError(directory, "holds no weights file (*.safetensors, *.bin, *.pth)",
                         "copy the model's weights into the folder")
    text_cfg = dict(model_cfg.get("text_cfg", {}))
    if "hf_model_name" in text_cfg:
        # A Hugging Face text tower is rebuilt from its config.json, which the folder carries; the
        # absolute path recorded at save time may not exist any more (the folder was moved).
        if (directory / "config.json").is_file():
            text_cfg["hf_model_name"] = str(directory)
        text_cfg["hf_model_pretrained"] = False
    with quiet_loading():
        clip = open_clip.create_model(f"{LOCAL_DIR}{directory}", load_weights=False,
                                      force_image_size=image_size, pretrained_image=False,
                                      pretrained_text=False, text_cfg=text_cfg)
    _load_weights(clip, Path(weights), f"the architecture in {config_path.name}")
    return clip.eval()


def _load_weights(clip: nn.Module, path: Path, what: str) -> None:
    try:
        load_checkpoint(clip, str(path), strict=True, weights_only=True)
    except RuntimeError as error:
        message = str(error)
        if "TorchScript" in message:
            raise CheckpointError(path, "is a TorchScript archive (OpenAI's original release), which "
                                  "rssqa does not execute", "use the plain state-dict release of the "
                                  "same weights (open_clip_pytorch_model.bin / .safetensors)") from None
        if "state_dict" in message:
            first = next((line.strip() for line in message.splitlines()[1:] if line.strip()), message)
            raise CheckpointError(path, f"does not fit {what}: {first[:300]}",
                                  "name the architecture the checkpoint was trained with "
                                  "(e.g. ViT-B-32 vs ViT-L-14)") from None
        raise CheckpointError(path, f"cannot be read as a checkpoint ({message[:200]})",
                              "check that the file is a complete state dict") from None
    except (pickle.UnpicklingError, EOFError, ValueError, OSError) as error:
        raise CheckpointError(path, f"cannot be read as a checkpoint ({error})",
                              "check that the file is a complete state dict") from None


def _resize_and_normalise(images: np.ndarray, size: tuple[int, int], mean, std) -> torch.Tensor:
    """N x H x W x 3 uint8 -> N x 3 x size float, scaled to 0..1 then normalised.

    Tiles are square and already framed, so the whole tile is resized: no centre crop.
    """
    x = torch.as_tensor(np.asarray(images))
    if x.ndim == 3:
        x = x.unsqueeze(0)
    x = x.permute(0, 3, 1, 2).float().div_(255.0)
    if tuple(x.shape[-2:]) != tuple(size):
        x = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True).clamp_(0, 1)
    mean = torch.tensor(mean, dtype=x.dtype).view(1, -1, 1, 1)
    std = torch.tensor(std, dtype=x.dtype).view(1, -1, 1, 1)
    return (x - mean) / std


def _pair(size) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


class OpenClipEncoder(SemanticEncoder):
    """The image tower of an open_clip model, frozen. See the module docstring for naming."""

    def __init__(self, model: str, pretrained: str | Path | None = None, input_size: int | None = None,
                 name: str | None = None):
        super().__init__()
        clip = load_open_clip(model, pretrained, image_size=input_size)
        self.visual = clip.visual.requires_grad_(False).eval()
        self.name = name or (Path(model[len(LOCAL_DIR):]).name if model.startswith(LOCAL_DIR) else model)
        self.image_size = _pair(self.visual.image_size)
        self.input_size = self.image_size[0]
        self.mean, self.std = self.visual.image_mean, self.visual.image_std
        with torch.no_grad():
            probe = self(torch.zeros(1, 3, *self.image_size))
        self.token_dim, self.pooled_dim = probe.tokens.shape[-1], probe.pooled.shape[-1]

    def preprocess(self, images: np.ndarray) -> torch.Tensor:
        return _resize_and_normalise(images, self.image_size, self.mean, self.std)

    def forward(self, pixels: torch.Tensor) -> EncoderOutput:
        out = self.visual.forward_intermediates(pixels, indices=1, normalize_intermediates=True,
                                                output_fmt="NCHW")
        feature = out["image_intermediates"][-1]  # N x C x h x w
        return EncoderOutput(tokens=feature.flatten(2).transpose(1, 2), pooled=out["image_features"])


def clip_rs_encoder(checkpoint: str | Path, input_size: int | None = None) -> OpenClipEncoder:
    """The image tower of a model written by the CLIP-RS pipeline (``rssqa pretrain-clip``).

    ``checkpoint`` is the model folder (``.../clip_rs/model``) or the run stage folder above it.
    """
    path = Path(checkpoint)
    if (path / "model" / "open_clip_config.json").is_file():
        path = path / "model"
    if not path.is_dir():
        raise InputError(path, "is not a CLIP-RS model folder",
                         "pass the 'model' folder a `rssqa pretrain-clip` stage wrote (e.g. runs/cliprs/clip_rs/model)")
    return OpenClipEncoder(f"{LOCAL_DIR}{path}", input_size=input_size, name="clip-rs")
