"""What rssqa wrote in an output folder, by record, so that it replaces or deletes only that.

A folder's record (``.rssqa-manifest.json``) maps each file rssqa wrote there to its SHA-256.
A file counts as rssqa's while it is listed and still has that checksum: one a user edited, or put
there under a name rssqa would use, is never replaced or deleted. A name is claimed (listed with no
checksum yet) before its file is written, so a run killed half-way leaves files that the next run
still knows as its own. A record that cannot be read owns nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rssqa.errors import InputError

MANIFEST = ".rssqa-manifest.json"
PENDING = None  # the checksum of a claimed file not yet written


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OwnedFolder:
    """The files rssqa owns in ``folder``; names are relative to it."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / MANIFEST
        self.files = _read_manifest(self.path)

    def owns(self, path: str | Path) -> bool:
        """True for a file this folder's record lists and that still holds what rssqa wrote (or
        that rssqa claimed and has not finished writing)."""
        name = self._name(path)
        if name not in self.files:
            return False
        target = self.folder / name
        if not target.is_file():
            return False
        recorded = self.files[name]
        return recorded is PENDING or sha256(target) == recorded

    def foreign(self, paths: Iterable[str | Path]) -> list[Path]:
        """Those of ``paths`` that exist but that rssqa does not own: writing them would destroy
        somebody's file."""
        return [self.folder / self._name(p) for p in paths
                if (self.folder / self._name(p)).exists() and not self.owns(p)]

    def earlier(self) -> list[Path]:
        """Every file an earlier run wrote here that is still as it left it."""
        return [self.folder / name for name in sorted(self.files) if self.owns(name)]

    def claim(self, paths: Iterable[str | Path]) -> None:
        """List ``paths`` as about to be written by rssqa (only paths that are free or owned)."""
        names = [self._name(p) for p in paths]
        clash = self.foreign(names)
        if clash:
            raise ValueError(f"refusing to claim files rssqa did not write: {clash}")
        for name in names:  # an owned file is about to be replaced: its checksum is the next one
            self.files[name] = PENDING
        self._save()

    def record(self, paths: Iterable[str | Path]) -> None:
        """Note the checksums of ``paths``, just written by rssqa."""
        for path in paths:
            name = self._name(path)
            if (self.folder / name).is_file():
                self.files[name] = sha256(self.folder / name)
        self._save()

    @contextmanager
    def writing(self, names: Iterable[str | Path]) -> Iterator[list[Path]]:
        """Claim ``names`` for a run; the list it yields collects the files the run wrote, which
        are recorded when the block ends, however it ends, with every claimed file there then
        (an interrupted run's, which never reached the list); claims left unwritten are
        dropped. One run at a time: another rssqa run writing here, or one that wrote here
        since this folder's record was read (the run's checks were made on it), is an
        InputError before anything is claimed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with one_run_at_a_time(self.folder, "wait for it to finish, or choose another --out"):
            if _read_manifest(self.path) != self.files:
                raise InputError(self.folder, "another rssqa run wrote into it since this one "
                                 "checked it", "run the command again to check it anew")
            self.claim(names)
            written: list[Path] = []
            try:
                yield written
            finally:
                self.record([*written, *(name for name, digest in self.files.items()
                                         if digest is PENDING)])
                self.release_pending()
                self.forget_if_empty()

    def release_pending(self) -> None:
        """Forget the claims whose files were never written, so that a file someone puts there
        later is not taken for rssqa's."""
        self.files = {name: digest for name, digest in self.files.items() if digest is not PENDING}
        self._save()

    def forget_if_empty(self) -> None:
        """Remove a record that lists nothing, and the folder when that leaves it empty (a run
        that wrote nothing leaves no trace)."""
        if self.files or not self.path.exists():
            return
        self.path.unlink()
        if not any(self.folder.iterdir()):
            self.folder.rmdir()

    def remove_stale(self, keep: Iterable[str | Path]) -> list[Path]:
        """Delete the owned files not in ``keep``; files listed but changed since are left where
        they are and forgotten. Returns what was deleted."""
        kept = {self._name(p) for p in keep}
        removed = []
        for name in sorted(set(self.files) - kept):
            if self.owns(name):
                (self.folder / name).unlink()
                removed.append(self.folder / name)
            del self.files[name]
        self._save()
        return removed

    def _name(self, path: str | Path) -> str:
        """``path`` relative to the folder: a path into it, or a name already relative."""
        path = Path(path)
        if path.is_absolute() or self.folder in path.parents:
            return Path(os.path.relpath(path.resolve(), self.folder.resolve())).as_posix()
        return path.as_posix()

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"written_by": "rssqa", "files": self.files}, indent=1, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f"{MANIFEST}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@contextmanager
def one_run_at_a_time(folder: Path, hint: str) -> Iterator[None]:
    """An exclusive lock on the existing ``folder`` while the block runs (released by the system
    if the process dies): another rssqa run holding it is an InputError ending in ``hint``.
    Where the platform or the file system has no ``flock`` (Windows, some network mounts) the
    block runs unguarded."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(folder, "another rssqa run is writing into it", hint) from None
        except OSError:  # no locks here (ENOLCK, EOPNOTSUPP): a lock rssqa cannot take
            pass
        yield
    finally:
        os.close(handle)


def _read_manifest(path: Path) -> dict[str, str | None]:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    files = record.get("files") if isinstance(record, dict) else None
    if not isinstance(files, dict):
        return {}
    return {name: digest for name, digest in files.items()
            if isinstance(name, str) and _safe_name(name) and (digest is None or isinstance(digest, str))}


def _safe_name(name: str) -> bool:
    """A record may only name files inside its own folder (no ``..``, no absolute paths)."""
    path = Path(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and name != MANIFEST
