"""Phase one of a scene: every tile read, encoded, segmented and assessed, saved batch by batch.

A batch is ``batch_size`` consecutive tiles of the grid (row-major). Its file holds, per tile
that has data in its cell, the predicted accuracy of every method, the selector's scores and the
mask of the method recommended for that tile with that method's confidence per pixel (a byte
each, what the seams are blended by); tiles whose cell is all nodata are left out. An
interrupted run finds the batches already saved and carries on from the first missing one.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np

from rssqa.cache import is_current, write_record
from rssqa.errors import InputError
from rssqa.raster.grid import TileGrid
from rssqa.raster.reader import RasterScene, fill_invalid
from rssqa.recommend import ImageAssessment, Recommender
from rssqa.pool.member import TileRef
from rssqa.files import atomic_save_npz

STATE_FILE = "state.json"
BATCH_KEYS = ("indices", "scores", "selection", "masks", "confidence")
# The batch files' layout, part of the scene's fingerprint: version 1 had no confidence, and its
# files are redone (a store of another fingerprint is cleared; a batch lacking a key is damaged).
PARTS_FORMAT = 2
# What reading a damaged (truncated, overwritten, half-synced) batch file can raise.
DAMAGED_BATCH_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


@dataclass
class TileBatch:
    """``indices``: grid numbers of the tiles assessed (K); ``scores`` / ``selection``: K x M
    predicted accuracy and selection scores; ``masks``: K x S x S uint8, each tile's mask by the
    method its selection scores recommend; ``confidence``: K x S x S uint8, that method's
    confidence per pixel (``rssqa.raster.blend.quantise_confidence``)."""

    first: int
    indices: np.ndarray
    scores: np.ndarray
    selection: np.ndarray
    masks: np.ndarray
    confidence: np.ndarray

    @property
    def picks(self) -> np.ndarray:
        return np.argmax(self.selection, axis=1) if len(self.indices) else np.zeros(0, int)


class BatchStore:
    """The saved batches of one scene, in a folder that belongs to one fingerprint (scene file,
    settings, grid, pool and assessor): batches of any other run there are discarded. Only the
    store's own files (its record, its batches and their temporary files) are ever deleted."""

    def __init__(self, folder: Path, fingerprint: str):
        self.folder = Path(folder)
        state = self.folder / STATE_FILE
        if self.folder.exists() and not self.folder.is_dir():
            raise InputError(self.folder, "is a file where the scene's resume folder goes",
                             "move it away, or choose another --out")
        if self.folder.exists() and not is_current(state, fingerprint):
            self._clear()  # another run's batches, or a damaged record: start over
        self.folder.mkdir(parents=True, exist_ok=True)
        write_record(state, fingerprint)

    def _own_files(self) -> list[Path]:
        patterns = (STATE_FILE, "batch_*.npz", f".{STATE_FILE}.*.tmp", ".batch_*.npz.*.tmp")
        return [path for pattern in patterns for path in self.folder.glob(pattern)]

    def _clear(self) -> None:
        for path in self._own_files():
            path.unlink(missing_ok=True)

    def _path(self, first: int) -> Path:
        return self.folder / f"batch_{first:08d}.npz"

    def has(self, first: int) -> bool:
        return self._path(first).is_file()

    def save(self, batch: TileBatch) -> None:
        atomic_save_npz(self._path(batch.first), indices=batch.indices, scores=batch.scores,
                        selection=batch.selection, masks=batch.masks, confidence=batch.confidence)

    def load(self, first: int) -> TileBatch:
        with np.load(self._path(first)) as saved:
            return TileBatch(first, *(saved[key] for key in BATCH_KEYS))

    def saved(self, first: int, warn: Callable[[str], None]) -> TileBatch | None:
        """The batch an earlier run saved at ``first``; None when there is none, or when it no
        longer reads back whole (truncated, overwritten): then it is discarded, and ``warn``
        names it, so that it is assessed again instead of failing every later run."""
        if not self.has(first):
            return None
        try:
            batch = self.load(first)
            if not len(batch.indices) == len(batch.scores) == len(batch.selection) == len(batch.masks):
                raise ValueError("arrays of different lengths")
            if batch.confidence.shape != batch.masks.shape or batch.confidence.dtype != np.uint8:
                raise ValueError("confidence does not match the masks")
        except DAMAGED_BATCH_ERRORS as error:
            warn(f"{self._path(first)}: saved batch is damaged ({type(error).__name__}: {error}); "
                 "discarded and assessed again")
            self._path(first).unlink(missing_ok=True)
            return None
        return batch

    def remove(self) -> None:
        """The store's files, then its folder and the shared parts folder if nothing else is
        left in them (the parts folder goes with the last scene's store)."""
        self._clear()
        for folder in (self.folder, self.folder.parent):
            with contextlib.suppress(OSError):
                folder.rmdir()


def batch_starts(grid: TileGrid, batch_size: int) -> range:
    return range(0, len(grid), batch_size)


def assess_tiles(scene: RasterScene, grid: TileGrid, recommender: Recommender, store: BatchStore,
                 key: str, advance: Callable[[int], None],
                 warn: Callable[[str], None] = lambda message: None) -> int:
    """Assess every batch the store lacks (the others were saved by an earlier, interrupted
    run); ``advance(n)`` after each batch of n tiles. A saved batch that no longer reads back
    is discarded and redone, with ``warn`` naming it. Returns the number of tiles with data."""
    assessed = 0
    for first in batch_starts(grid, recommender.batch_size):
        count = min(recommender.batch_size, len(grid) - first)
        batch = store.saved(first, warn)
        if batch is None:
            batch = _assess_batch(scene, grid, recommender, key, range(first, first + count))
            store.save(batch)
        assessed += len(batch.indices)
        advance(count)
    return assessed


def _assess_batch(scene: RasterScene, grid: TileGrid, recommender: Recommender, key: str,
                  numbers: range) -> TileBatch:
    """The tiles ``numbers`` that hold data, encoded, segmented by every method and assessed."""
    kept, pixels = [], []
    for number, tile in _tiles_with_data(scene, grid, numbers):
        kept.append(number)
        pixels.append(tile)
    methods, size = recommender.methods, grid.tile
    if not kept:
        empty, none = np.zeros((0, len(methods)), np.float32), np.zeros((0, size, size), np.uint8)
        return TileBatch(numbers.start, np.zeros(0, np.int64), empty, empty, none, none)
    refs = [_ref(grid, number, key) for number in kept]
    scores, masks, confidence = recommender.assess_batch(np.stack(pixels), refs, key,
                                                         [f"{key}_{number}" for number in kept])
    picks = recommender.pick_tiles(scores, masks, confidence)
    return TileBatch(numbers.start, np.asarray(kept, np.int64), np.asarray(scores, np.float32),
                     picks.selection, picks.masks, picks.confidence)


def save_assessed(store: BatchStore, grid: TileGrid, batch_size: int, assessed: ImageAssessment
                  ) -> None:
    """Save an assessment of the whole scene as an image (``Recommender.assess(...,
    tile_picks=True)`` on ``grid``, every cell holding data) as the batches :func:`assess_tiles`
    would have saved, so that it finds them all done."""
    picks = assessed.tile_picks
    for first in batch_starts(grid, batch_size):
        part = slice(first, min(first + batch_size, len(grid)))
        store.save(TileBatch(first, np.arange(part.start, part.stop, dtype=np.int64),
                             np.asarray(assessed.tile_scores[part], np.float32),
                             picks.selection[part], picks.masks[part], picks.confidence[part]))


def _tiles_with_data(scene: RasterScene, grid: TileGrid,
                     numbers: range) -> Iterator[tuple[int, np.ndarray]]:
    """(grid number, pixels) of the tiles whose own cell holds any valid pixel. The tiles of a
    batch that share a grid row are read as one strip: one GDAL read instead of one per tile."""
    for row, group in groupby(numbers, key=lambda number: grid.position(number)[0]):
        cols = [grid.position(number)[1] for number in group]
        strip = grid.strip_window(row, cols[0], cols[-1])
        pixels, valid = scene.read_bands(strip)
        for col in cols:
            x = grid.tile_origin(row, col)[1] - int(strip.col_off)
            tile_valid = valid[:, x:x + grid.tile]
            if tile_valid[grid.cell_in_tile(row, col)].any():
                yield row * grid.cols + col, fill_invalid(pixels[:, :, x:x + grid.tile], tile_valid)[0]


def _ref(grid: TileGrid, number: int, key: str) -> TileRef:
    window = grid.tile_window(*grid.position(number))
    return TileRef(key, (grid.height, grid.width), int(window.col_off), int(window.row_off), grid.tile)
