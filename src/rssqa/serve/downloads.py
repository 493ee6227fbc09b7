"""Georeferenced downloads for GeoTIFF uploads: the scene outputs ``rssqa recommend`` writes for
a scene (Cloud-Optimised GeoTIFF maps, the GeoPackage of assessment cells, the STAC item, QGIS
styles), written by the scene code itself (``rssqa.geo.scene``) into a folder per request.

Each request's folder is named by a random token (``secrets``: unguessable, so one user cannot
fetch another's files) under one temporary folder the server makes at start-up and removes at
shutdown. A file is served only if the server wrote it for that token and listed it: the name
is looked up, never joined onto a path, so ``..`` or any other name is simply not found.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from rssqa.geo.scene import SceneJob
from rssqa.geo.stac import COG, MEDIA, TITLES

# Disk is bounded by keeping the files of the last KEEP_TOKENS requests only, oldest dropped
# first: a count bounds disk whatever the traffic (each folder is at most about one byte per
# upload pixel, the segmentation, plus cell-sized maps), and needs no timer thread; a user
# downloads right after the answer, long before 32 later uploads have arrived.
KEEP_TOKENS = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")
# Offered best first: the maps and the cells, then what describes them, then their sidecars.
_ORDER = ("segmentation", "quality", "recommended", "interval", "cells", "stac", "summary")
_MEDIA_TYPES = {**MEDIA, ".tif": str(COG), ".json": "application/json"}


@dataclass(frozen=True)
class SceneFile:
    """One file written for a request: its name in the token's folder, the scene output it is
    (a key of the scene summary's ``files``), its media type and what it holds, in words."""

    name: str
    kind: str
    media_type: str
    description: str


def describe(kind: str, name: str) -> SceneFile:
    """The download record of the scene output ``kind`` written as ``name``."""
    base, _, sidecar = kind.partition("_")
    if kind == "stac":
        what = "STAC item listing every file (for a STAC browser or QGIS's STAC panel)"
    elif sidecar == "style":
        what = f"QGIS style (.qml) of the {TITLES.get(base, base)}"
    elif sidecar == "categories":
        what = f"GDAL's category names of the {TITLES.get(base, base)}"
    elif kind == "segmentation":  # the title alone does not say what "best-of" means
        what = "best-of segmentation at full resolution: each cell by its recommended method"
    else:
        what = TITLES.get(kind, kind.replace("_", " "))
    media_type = ("application/geo+json" if kind == "stac"  # a STAC item is a GeoJSON feature
                  else _MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream"))
    return SceneFile(name, kind, str(media_type), what)


def _rank(record: SceneFile) -> tuple[int, str]:
    return (_ORDER.index(record.kind) if record.kind in _ORDER else len(_ORDER), record.kind)


class DownloadStore:
    """The per-request folders of one server: made by :meth:`open` at start-up, removed by
    :meth:`close` at shutdown; thread-safe, since the workers write into it at once."""

    def __init__(self, keep: int = KEEP_TOKENS):
        self.keep = keep
        self.root: Path | None = None
        self._published: OrderedDict[str, dict[str, SceneFile]] = OrderedDict()
        self._lock = threading.Lock()

    def open(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="rssqa-serve-"))

    def close(self) -> None:
        with self._lock:
            self._published.clear()
            root, self.root = self.root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    def new_folder(self) -> tuple[str, Path]:
        """A fresh random token and its empty folder."""
        if self.root is None:
            raise RuntimeError("the download store is not open: the app's lifespan opens it")
        token = secrets.token_urlsafe(24)
        folder = self.root / token
        folder.mkdir()
        return token, folder

    def publish(self, token: str, files: list[SceneFile]) -> None:
        """Make ``files`` (in ``token``'s folder) downloadable; beyond ``keep`` tokens, the
        oldest token's folder is removed."""
        with self._lock:
            self._published[token] = {record.name: record for record in files}
            dropped = [self._published.popitem(last=False)[0]
                       for _ in range(len(self._published) - self.keep)]
        for old in dropped:
            self.discard(old)

    def discard(self, token: str) -> None:
        with self._lock:
            self._published.pop(token, None)
            root = self.root
        if root is not None:
            shutil.rmtree(root / token, ignore_errors=True)

    def find(self, token: str, name: str) -> tuple[Path, SceneFile] | None:
        """The path and record of ``name`` if the server wrote it for ``token``, else None."""
        if not _TOKEN.fullmatch(token):
            return None
        with self._lock:
            record = self._published.get(token, {}).get(name)
            root = self.root
        if record is None or root is None:
            return None
        return root / token / record.name, record


def write_scene_downloads(store: DownloadStore, write_scene, data: bytes, key: str,
                          overlap: int) -> list[dict]:
    """Write the uploaded GeoTIFF ``data`` to a new token's folder, run the scene job on it
    (``write_scene(job)``: returns the scene summary) and publish what it wrote; the download
    rows of the answer, best first. The upload's copy is removed once read: the user has it."""
    token, folder = store.new_folder()
    try:
        source = folder / f"{key}.tif"
        source.write_bytes(data)
        summary = write_scene(SceneJob(source, folder, key, overlap=overlap))
        source.unlink()
        files = sorted((describe(kind, name) for kind, name in summary["files"].items()), key=_rank)
        store.publish(token, files)
    except BaseException:
        store.discard(token)
        raise
    return [{"name": f.name, "url": f"/api/download/{token}/{f.name}", "media_type": f.media_type,
             "kind": f.kind, "description": f.description} for f in files]
