"""Errors a user can cause: each names the file at fault and what to do about it."""

from __future__ import annotations

from pathlib import Path


class RssqaError(Exception):
    """Base class of every error rssqa raises on purpose."""


class InputError(RssqaError):
    """A user-supplied file or setting cannot be used.

    The message always reads ``<path>: <what is wrong>. <what to do>`` so that a batch job can log
    it, skip the file and carry on.
    """

    def __init__(self, path: str | Path | None, problem: str, hint: str = ""):
        self.path = None if path is None else Path(path)
        self.problem = problem
        self.hint = hint
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}" + (f". {hint}" if hint else ""))


class CheckpointError(InputError):
    """A checkpoint that does not fit the model it is loaded into."""


class UnknownNameError(InputError, KeyError):
    """A method, assessor or other registry name that is not registered.

    Also a ``KeyError``, so code that looks names up and catches ``KeyError`` keeps working.
    """

    __str__ = Exception.__str__


def check_writable_folder(folder: str | Path, what: str = "output folder") -> Path:
    """Fail early, with one line, when ``folder`` cannot be created or written: a regular file
    in its place or above it, or an existing ancestor without write permission."""
    import os

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(folder, f"{what} is a regular file", "give a folder path for --out")
    ancestor = folder
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise InputError(folder, f"{what} lies under the regular file {ancestor}",
                         "give a folder path for --out")
    if ancestor.exists() and not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(folder, f"{what} cannot be written ({ancestor} is not writable)",
                         "choose a folder you can write to with --out")
    _try_creating(folder, what)
    return folder


def _try_creating(folder: Path, what: str) -> None:
    """Create the folders that are missing and remove them again: permission bits do not tell
    (root may write anywhere, yet not into /proc or a read-only mount)."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(folder, f"{what} cannot be created ({error.strerror or error})",
                         "choose a folder you can write to with --out") from None
    for created in missing:  # innermost first
        created.rmdir()
