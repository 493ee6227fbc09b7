"""Writing files so that a kill leaves the old file or the new one, never half of either, and the
record each run leaves beside its output. No torch here: the command line and the config checks
use these before any model loads."""

from __future__ import annotations

import io
import json
import math
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: a kill leaves old or new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give what open() would have
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_umask() -> int:
    # os.umask can only be read by setting it; done once, at import, not while threads write.
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _read_umask()


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


@contextmanager
def folder_replaced_whole(folder: Path) -> Iterator[Path]:
    """``with folder_replaced_whole(folder) as staging:`` write a folder of rssqa's (a trained
    assessor) anew into ``staging``, a hidden sibling; only when the block succeeds does it take
    ``folder``'s place, so an error leaves the old folder as it was, never old and new files
    mixed. The swap is two renames: a kill between them leaves the old folder as ``.<name>.old``."""
    folder = Path(folder)
    staging = folder.with_name(f".{folder.name}.partial")
    previous = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(staging, ignore_errors=True)  # an earlier attempt's, killed
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)
    if folder.exists():
        folder.rename(previous)
    staging.rename(folder)
    shutil.rmtree(previous, ignore_errors=True)


def standard_json(value: Any, indent: int | None = 2) -> str:
    """``value`` as JSON every parser reads: a NaN or infinity (which Python's json writes as
    bare ``NaN`` and ``Infinity``, refused by JavaScript, jq and most readers) becomes null."""
    return json.dumps(_finite_or_null(value), indent=indent, allow_nan=False)


def _finite_or_null(value: Any) -> Any:
    if isinstance(value, float):  # numpy's float64 too
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite_or_null(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(item) for item in value]
    return value


def atomic_write_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Atomically save what ``write`` writes to a binary stream (np.save, DataFrame.to_parquet ...)."""
    buffer = io.BytesIO()
    write(buffer)
    atomic_write_bytes(path, buffer.getvalue())


def atomic_save_npz(path: Path, **arrays) -> None:
    import numpy as np  # here, so that the command line starts without numpy

    atomic_write_with(path, lambda stream: np.savez(stream, **arrays))


def write_run_record(out_dir: Path, command: str, config: dict, seed: int | None,
                     started: datetime | None = None) -> Path:
    """Every run leaves its resolved config and seed next to its output (``run_<command>.json``);
    given when the run ``started``, the record also says when it finished."""
    now = datetime.now(timezone.utc)
    record = {"command": command, "seed": seed, "config": config,
              "started": (started or now).isoformat(timespec="seconds"),
              "python": sys.version.split()[0], "torch": _version("torch"),
              "platform": platform.platform()}
    if started is not None:
        record["finished"] = now.isoformat(timespec="seconds")
    path = Path(out_dir) / f"run_{command}.json"
    atomic_write_text(path, json.dumps(record, indent=2, default=str))
    return path


@contextmanager
def run_record(out_dir: Path, command: str, config: dict, seed: int | None) -> Iterator[Path]:
    """``with run_record(...):`` around a stage writes its record (``write_run_record``) only
    when the block finishes: a rerun that fails leaves the record of the run that made the
    output there, instead of one describing inputs that produced nothing. Yields the path."""
    started = datetime.now(timezone.utc)
    yield Path(out_dir) / f"run_{command}.json"
    write_run_record(out_dir, command, config, seed, started=started)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
