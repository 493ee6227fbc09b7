"""What an interrupted ``rssqa recommend`` on images had finished, so the same command resumes.

Once an image's segmentation files are written whole, a record of it goes into the output
folder's work folder (``.rssqa-parts/<stem>.image.json``, where scenes keep their resume files):
its ranking rows, its decision and the key of everything they depend on (the image file, the
pool, the assessor as trained, the tile size). A later run whose key is the same takes the image
from its record instead of assessing it again. A run that writes its tables has finished, and
removes its records: without them an earlier run's results are results, not work to resume.
Only rssqa's own records are read, replaced or removed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rssqa.cache import KEY, fingerprint, own_record, write_record

PARTS_DIR = ".rssqa-parts"
SUFFIX = ".image.json"
KIND = "rssqa: a finished image of an unfinished run"


def record_path(out_dir: Path, stem: str) -> Path:
    return Path(out_dir) / PARTS_DIR / f"{stem}{SUFFIX}"


def image_key(image: Path, identity: dict[str, Any]) -> str:
    """The key of one image's results: the file (name, size, modification time) and
    ``identity``, what the recommender's answer depends on."""
    stat = Path(image).stat()
    return fingerprint({"image": [Path(image).name, stat.st_size, stat.st_mtime_ns], **identity})


def finished(out_dir: Path, stem: str, key: str) -> dict[str, Any] | None:
    """The record of image ``stem`` if an earlier run finished it with the same ``key`` and its
    output files are still there; None otherwise (then it is assessed again)."""
    record = _own_record(record_path(out_dir, stem))
    if record is None or record.get(KEY) != key or not _well_formed(record):
        return None
    outputs = record["decision"]["outputs"]
    return record if all((Path(out_dir) / name).is_file() for name in outputs) else None


def save(out_dir: Path, stem: str, key: str, ranking: list[dict], decision: dict) -> None:
    """Record image ``stem`` as finished (its outputs written); a file of somebody else's
    under the record's name is left as it is, and the image simply not resumable."""
    path = record_path(out_dir, stem)
    if path.exists() and _own_record(path) is None:
        return
    write_record(path, key, kind=KIND, ranking=ranking, decision=decision)


def remove(out_dir: Path, stems: Iterable[str]) -> None:
    """The records of ``stems`` (the run has finished), and the work folder if that empties it."""
    for stem in stems:
        path = record_path(out_dir, stem)
        if _own_record(path) is not None:
            path.unlink()
    with contextlib.suppress(OSError):
        (Path(out_dir) / PARTS_DIR).rmdir()


def unfinished(out_dir: Path, stems: Iterable[str]) -> set[str]:
    """Those of ``stems`` that an unfinished run recorded in ``out_dir``."""
    return {stem for stem in stems if _own_record(record_path(out_dir, stem)) is not None}


def _well_formed(record: dict[str, Any]) -> bool:
    """Whether a record holds what a resumed image needs (a damaged one is assessed again)."""
    decision, ranking = record.get("decision"), record.get("ranking")
    outputs = decision.get("outputs") if isinstance(decision, dict) else None
    return (isinstance(outputs, list) and bool(outputs) and all(_plain_name(n) for n in outputs)
            and isinstance(ranking, list) and bool(ranking)
            and all(isinstance(row, dict) for row in ranking))


def _plain_name(name: Any) -> bool:
    """A file name in the output folder itself: a record never points elsewhere."""
    return isinstance(name, str) and name not in ("", ".", "..") and Path(name).name == name


def _own_record(path: Path) -> dict[str, Any] | None:
    return own_record(path, KIND)
