"""A pool member that is any PyTorch segmentation model, named by its weights: no training here.

Two ways to name one (``pool.methods`` entries):

- an entry point and a state dict: ``{name: torch, kwargs: {label: my_net, module:
  "pkg.mod:build_fn", weights: net.safetensors, tap: "decoder.head.0", classes: 6}}``;
  ``build_fn(**build_kwargs)`` returns the ``nn.Module``; the weights load from safetensors or
  with ``torch.load(weights_only=True)`` (never an arbitrary unpickle);
- a program file: ``{..., program: net.pt2}`` saved by ``torch.export.save`` (its module
  hierarchy is restored with ``torch.export.unflatten``, so a tap works), or a TorchScript file
  (``.ts``/``.pt``, no tap: TorchScript runs its submodules without Python hooks).

The model maps N x 3 x H x W to N x classes x h x w logits (resized to the tile when h, w differ;
a tuple's first item or a dict's ``"out"`` is taken). ``tap`` names the module whose *input* is the
pre-classifier feature (RS-SQA's segmentation branch); without it the member has no feature. A tap
that does not exist is an error listing the nearest module names. Inputs are scaled
``(x - mean) / std`` on 0..255 RGB, by default rssqa's pool scaling (127, 128).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rssqa.cache import fingerprint
from rssqa.errors import CheckpointError, InputError
from rssqa.backbones.pretrained import PIXEL_MEAN, PIXEL_SCALE
from rssqa.segzoo.base import FeatureTap
from rssqa.pool.registry import MEMBER_KINDS
from rssqa.pool.member import Segmentation, TileRef

TORCHSCRIPT_SUFFIXES = (".ts", ".pt", ".pth", ".jit")


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _existing(path: str | Path, what: str) -> Path:
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise InputError(path, f"the {what} file does not exist", "check the path in pool.methods")
    return path


def import_entry_point(spec: str):
    """``"pkg.mod:build_fn"`` -> the callable (the module must be importable: installed or on
    PYTHONPATH)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise InputError(None, f"entry point {spec!r} is not 'package.module:function'",
                         "name the function that builds your model, e.g. mypkg.models:build")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise InputError(None, f"cannot import {module_name!r} for entry point {spec!r} ({error})",
                         "install the package or add its folder to PYTHONPATH") from None
    if not hasattr(module, attribute):
        raise InputError(None, f"module {module_name!r} has no {attribute!r}",
                         f"check the entry point {spec!r}")
    return getattr(module, attribute)


def load_weights(model: nn.Module, path: Path) -> None:
    """Load a state dict offline and safely: safetensors, or torch.load(weights_only=True)."""
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(path)
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # pickle.UnpicklingError and friends
            raise CheckpointError(path, f"cannot be loaded as plain weights ({error})",
                                  "save the state dict with safetensors or torch.save(state_dict)") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise CheckpointError(path, f"does not fit the model ({str(error).splitlines()[0]})",
                              "check the weights file and the entry point's arguments") from None


def require_tap(model: nn.Module, tap: str, source: str) -> None:
    """Raise, listing the nearest module names, unless ``tap`` names a submodule of ``model``."""
    names = [name for name, _ in model.named_modules() if name]
    if tap in names:
        return
    near = difflib.get_close_matches(tap, names, n=5, cutoff=0.4) or names[-5:]
    raise InputError(None, f"{source} has no module {tap!r} to tap",
                     f"nearest module names: {', '.join(near)}")


def load_program(path: Path, tap: str | None) -> nn.Module:
    """A ``torch.export`` program (.pt2, unflattened so its submodules can be hooked) or a
    TorchScript file (no tap possible)."""
    if path.suffix == ".pt2":
        try:
            return torch.export.unflatten(torch.export.load(path))
        except Exception as error:
            raise CheckpointError(path, f"cannot be loaded as a torch.export program ({error})",
                                  "save it with torch.export.save(torch.export.export(model, ...))") from None
    if path.suffix not in TORCHSCRIPT_SUFFIXES:
        raise InputError(path, "is neither a torch.export program (.pt2) nor TorchScript "
                         f"({', '.join(TORCHSCRIPT_SUFFIXES)})", "export the model to one of them")
    if tap is not None:
        raise InputError(path, "a TorchScript program cannot be tapped (its submodules run "
                         "without Python hooks)", "export it with torch.export (.pt2) to tap it, "
                         "or leave tap out (the member then has no pre-classifier feature)")
    try:
        return torch.jit.load(str(path), map_location="cpu")
    except Exception as error:
        raise CheckpointError(path, f"cannot be loaded as TorchScript ({error})", "re-save it") from None


@MEMBER_KINDS.register("torch")
class TorchMember:
    """A user's eval-mode model, optionally tapped for its pre-classifier feature."""

    kind = "torch"
    PATH_KWARGS = ("weights", "program")  # recorded as absolute paths with the pool

    def __init__(self, label: str, classes: int, module: str | None = None,
                 weights: str | Path | None = None, program: str | Path | None = None,
                 tap: str | None = None, build_kwargs: dict | None = None,
                 mean: float | list[float] = PIXEL_MEAN, std: float | list[float] = PIXEL_SCALE):
        if (module is None) == (program is None):
            raise InputError(None, f"pool member {label!r}: give either module (with weights) "
                             "or program", "e.g. module: mypkg.models:build, weights: net.safetensors")
        self.name, self.num_classes, self.tap = label, int(classes), tap
        self.model, identity = self._load(module, weights, program, dict(build_kwargs or {}))
        if tap is not None:
            require_tap(self.model, tap, f"pool member {label!r}")
        self.mean = torch.tensor(mean, dtype=torch.float32).reshape(1, -1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).reshape(1, -1, 1, 1)
        self.meta = {"kind": self.kind, "label": label, "num_classes": self.num_classes,
                     "tap": tap, "mean": mean, "std": std, **identity}
        self.meta["fingerprint"] = fingerprint(self.meta)

    def _load(self, module, weights, program, build_kwargs) -> tuple[nn.Module, dict]:
        if program is not None:
            path = _existing(program, "program")
            return load_program(path, self.tap).eval(), {"program": str(path),
                                                         "sha256": file_digest(path)}
        if weights is None:
            raise InputError(None, f"pool member {self.name!r} names an entry point but no weights",
                             "add weights: path/to/model.safetensors")
        path = _existing(weights, "weights")
        model = import_entry_point(module)(**build_kwargs)
        if not isinstance(model, nn.Module):
            raise InputError(None, f"entry point {module!r} returned {type(model).__name__}, "
                             "not a torch.nn.Module", "return the model from the function")
        load_weights(model, path)
        return model.eval(), {"module": module, "weights": str(path), "sha256": file_digest(path),
                              "build_kwargs": build_kwargs}

    def check(self, ref: TileRef) -> None:
        """Any RGB tile will do: nothing to check."""

    @torch.no_grad()
    def segment(self, images: np.ndarray, refs: list[TileRef] | None = None) -> Segmentation:
        pixels = (torch.as_tensor(np.asarray(images)).permute(0, 3, 1, 2).float() - self.mean) / self.std
        if self.tap is None:
            logits = _logits(self.model(pixels))
            features = None
        else:
            with FeatureTap(self.model, self.tap) as tap:
                logits = _logits(self.model(pixels))
            features = tap.pooled.float().numpy()
        if logits.ndim != 4 or logits.shape[1] != self.num_classes:
            raise InputError(None, f"pool member {self.name!r} returned shape {tuple(logits.shape)}, "
                             f"not N x {self.num_classes} x H x W logits",
                             "check classes: and what the model's forward returns")
        if logits.shape[-2:] != pixels.shape[-2:]:
            logits = F.interpolate(logits, size=pixels.shape[-2:], mode="bilinear", align_corners=False)
        probabilities = logits.float().softmax(dim=1)
        return Segmentation(masks=probabilities.max(dim=1).indices.to(torch.uint8).numpy(),
                            probabilities=probabilities.numpy(), features=features)


def _logits(output) -> torch.Tensor:
    if isinstance(output, dict):
        return output["out"] if "out" in output else next(iter(output.values()))
    if isinstance(output, (tuple, list)):
        return output[0]
    return output
