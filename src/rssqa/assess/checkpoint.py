"""The one file every saved assessor directory has: ``assessor.json``, naming its kind.

``rssqa.assess.registry.load_assessor`` reads the kind and hands the directory to that class; each
class keeps whatever else it needs (weights as safetensors, small state as JSON) beside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rssqa.cache import unreadable
from rssqa.errors import CheckpointError

MANIFEST = "assessor.json"
FORMAT_VERSION = 1
Loaded = TypeVar("Loaded")


def retrain_hint(directory: str | Path) -> str:
    """What to do about a damaged saved assessor: train again the experiment's assessor it is part
    of, i.e. the outermost saved assessor around ``directory`` (a selector keeps its base inside)."""
    outer = Path(directory)
    while (outer.parent / MANIFEST).is_file():
        outer = outer.parent
    return f"retrain it with `rssqa train -c CONFIG --assessors {outer.name}`"


def read_saved(path: str | Path, load: Callable[[Path], Loaded]) -> Loaded:
    """``load(path)`` for a file a saved assessor keeps beside its manifest (weights, fitted
    arrays, a boosted tree); a missing or unreadable one is a CheckpointError naming it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "is missing from the saved assessor", retrain_hint(path.parent))
    try:
        return load(path)
    except Exception as error:  # noqa: BLE001 - safetensors, torch and LightGBM raise their own
        raise CheckpointError(path, unreadable(error), retrain_hint(path.parent)) from None


def write_manifest(directory: str | Path, kind: str, state: dict[str, Any]) -> Path:
    """Write ``{"kind", "format_version", **state}`` atomically: a crash leaves no half file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MANIFEST
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps({"kind": kind, "format_version": FORMAT_VERSION, **state},
                                  indent=2))
    os.replace(partial, path)
    return path


def read_manifest(directory: str | Path, kind: str | None = None) -> dict[str, Any]:
    """Read a saved assessor's manifest; with ``kind``, insist the directory holds that kind."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise CheckpointError(path, "no saved assessor here",
                              f"pass the directory an assessor was saved to (it holds {MANIFEST}); "
                              f"in an experiment, {retrain_hint(directory)}")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:  # ValueError: also JSON and UTF-8 errors
        raise CheckpointError(path, f"is not valid JSON ({error})", retrain_hint(directory)) from None
    if not isinstance(manifest, dict) or "kind" not in manifest:
        raise CheckpointError(path, "does not name the assessor's kind", retrain_hint(directory))
    if manifest.get("format_version", FORMAT_VERSION) > FORMAT_VERSION:
        raise CheckpointError(path, f"was written by a newer rssqa (format "
                              f"{manifest['format_version']})", "upgrade rssqa")
    if kind is not None and manifest["kind"] != kind:
        raise CheckpointError(path, f"holds a {manifest['kind']!r} assessor, not {kind!r}",
                              "load it with rssqa.assess.load_assessor, which picks the class")
    return manifest


def restore_configured(cls: type, directory: str | Path, kind: str) -> tuple[Any, dict[str, Any]]:
    """For assessors saved as ``{"config", "methods", ...}``: a new ``cls(config)`` with its
    ``methods`` set from the manifest in ``directory``, and that manifest (for the rest)."""
    manifest = read_manifest(directory, kind)
    assessor = cls(manifest["config"])
    assessor.methods = list(manifest["methods"])
    return assessor, manifest
