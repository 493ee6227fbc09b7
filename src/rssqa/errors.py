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
