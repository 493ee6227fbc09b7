"""Fingerprints and the records that let every stage reuse finished work.

A stage (training one pool method, building the SQED, one benchmark fit, one CLIP-RS pipeline
stage, a CLIP training run) describes everything its output depends on as a JSON-able payload;
:func:`fingerprint` turns that into a short key. The stage writes the key into the record it
leaves beside its output (``meta.json``, ``manifest.json``, ``stage.json``, an ``.npz``), and a
later run reuses the output only when the recorded key equals its own. A record that cannot be
read counts as absent: the work is redone, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from rssqa.files import atomic_save_npz, atomic_write_text

KEY = "fingerprint"


def fingerprint(payload: Any) -> str:
    """16 hex digits of the SHA-256 of ``payload`` as canonical JSON (sorted keys; values JSON
    cannot hold, such as paths, by their ``str``)."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def folder_fingerprint(folder: Path) -> str:
    """A key that changes when any file under ``folder`` is added, removed or written again
    (names, sizes and modification times: no file is read), e.g. a model trained anew."""
    folder = Path(folder)
    return fingerprint(sorted((str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns)
                              for path in folder.rglob("*") if path.is_file()
                              for stat in [path.stat()]))


def read_record(path: Path) -> dict[str, Any] | None:
    """The JSON record at ``path``; None when there is none or it cannot be read."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def own_record(path: Path, kind: str) -> dict[str, Any] | None:
    """The record at ``path`` if rssqa wrote it as a ``kind`` record; None when there is none,
    it cannot be read, or it is something else (then it is never replaced or removed)."""
    record = read_record(path)
    return record if record is not None and record.get("kind") == kind else None


def unreadable(error: Exception) -> str:
    """What is wrong with a file that ``error`` stopped a reader on, as a short clause for an
    error line: "is missing", or "is damaged (<the reader's first sentence>)"."""
    if isinstance(error, FileNotFoundError):
        return "is missing"
    lines = str(error).strip().splitlines()
    first = lines[0].split(". ")[0] if lines else ""  # numpy goes on to suggest unpickling
    first = "".join(c for c in first if c.isprintable()).strip(" :")
    return f"is damaged ({type(error).__name__}{': ' + first if first else ''})"


def is_current(path: Path, key: str) -> bool:
    """Whether the record at ``path`` was written for ``key`` (the work it stands for is reusable)."""
    record = read_record(path)
    return record is not None and record.get(KEY) == key


def write_record(path: Path, key: str, **fields: Any) -> None:
    """Write ``fields`` with the fingerprint ``key`` as the JSON record at ``path`` (atomically)."""
    atomic_write_text(Path(path), json.dumps({KEY: key, **fields}, indent=2, default=str))


def load_arrays(path: Path, key: str, required: Iterable[str] = ()) -> dict[str, np.ndarray] | None:
    """The arrays saved by :func:`save_arrays` for ``key``; None when absent, written for another
    key, unreadable, or lacking one of ``required`` (a file from an older rssqa)."""
    try:
        with np.load(path) as saved:
            if KEY not in saved.files or str(saved[KEY]) != key or not set(required) <= set(saved.files):
                return None
            return {name: saved[name] for name in saved.files if name != KEY}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def save_arrays(path: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    atomic_save_npz(Path(path), **{KEY: np.array(key)}, **arrays)
