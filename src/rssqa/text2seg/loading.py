"""Foundation models from folders the user holds: never a download, always a clear refusal.

Every model of a Text2Seg route is named by a local directory in Hugging Face's layout
(``config.json`` + weights + processor files, as ``save_pretrained`` writes them) or, for CLIP,
in open_clip's (``open_clip_config.json``). ``from_pretrained`` is only ever called with
``local_files_only=True``. A missing folder, a folder of another model type, or weights that do
not fit their config raise ``InputError`` / ``CheckpointError`` naming the folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from rssqa.cache import fingerprint
from rssqa.errors import CheckpointError, InputError

HF_CONFIG = "config.json"
OPEN_CLIP_CONFIG = "open_clip_config.json"
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pth", ".pt")


def model_folder(directory: str | Path | None, role: str, expected_types: tuple[str, ...]) -> Path:
    """The resolved folder of the ``role`` model (e.g. "SAM"), checked to be a Hugging Face
    folder whose ``config.json`` declares one of ``expected_types``."""
    if directory is None:
        raise InputError(None, f"this Text2Seg route needs a local {role} model folder",
                         f"save one with save_pretrained and pass its path as {_kwarg(role)}: <folder>")
    path = Path(directory).expanduser().resolve()
    if not path.is_dir():
        raise InputError(path, f"the {role} model folder does not exist",
                         "rssqa never downloads weights: download the model yourself and give "
                         "the folder holding its config.json and weights")
    config = path / HF_CONFIG
    if not config.is_file():
        raise InputError(path, f"has no {HF_CONFIG}, so it is not a Hugging Face {role} folder",
                         "point at the folder save_pretrained wrote")
    model_type = _model_type(config)
    if model_type not in expected_types:
        raise CheckpointError(path, f"holds a {model_type!r} model, not {role} "
                              f"({' or '.join(map(repr, expected_types))})",
                              f"check which folder you passed as {_kwarg(role)}")
    return path


def load_pretrained(model_class, path: Path, role: str):
    """``model_class.from_pretrained`` on a local folder, in eval mode; weights that do not fit
    the folder's config are a ``CheckpointError`` naming the folder."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the load report is noise; a real mismatch raises below
    try:
        model, info = model_class.from_pretrained(path, local_files_only=True,
                                                  output_loading_info=True)
    except (OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(path, f"the {role} model cannot be loaded "
                              f"({str(error).splitlines()[0][:300]})",
                              "check that the folder holds the weights of its config.json") from None
    finally:
        hf_logging.set_verbosity(level)
    missing, mismatched = info.get("missing_keys", []), info.get("mismatched_keys", [])
    if missing or mismatched:
        first = sorted(missing)[:3] or [str(m[0]) for m in mismatched[:3]]
        raise CheckpointError(path, f"the {role} weights do not fit its config.json "
                              f"({len(missing)} missing, {len(mismatched)} mismatched tensors, "
                              f"e.g. {', '.join(first)})",
                              "use the weights saved with that config (save_pretrained)")
    return model.eval()


def load_processor(processor_class, path: Path, role: str):
    """The folder's processor (image processor, tokenizer), read offline."""
    try:
        return processor_class.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, TypeError) as error:
        raise InputError(path, f"the {role} processor files cannot be read "
                         f"({str(error).splitlines()[0][:300]})",
                         "save the processor next to the model (processor.save_pretrained)") from None


def folder_digest(path: Path) -> str:
    """Changes whenever a file of the folder does (names, sizes, modification times): what a
    member's fingerprint records instead of hashing gigabytes of weights."""
    entries = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                     for p in path.iterdir() if p.is_file())
    return fingerprint(entries)


def _model_type(config: Path) -> str:
    try:
        return str(json.loads(config.read_text()).get("model_type", "unknown"))
    except json.JSONDecodeError as error:
        raise InputError(config, f"is not valid JSON ({error})", "re-save the model") from None


def _kwarg(role: str) -> str:
    return role.lower().replace(" ", "_").replace("-", "_")
