"""The SQED store: a segmentation quality-assessment dataset on disk.

Layout of a store folder::

    manifest.json          build config, fingerprint, methods, counts; written last = complete
    tiles.parquet          one row per tile: tile_id, source_id, group, split, x, y, size
    records.parquet        one row per tile x method: labels (oa, miou, f1), confidence and
                           agreement with the consensus of the other methods
    arrays/semantic_tokens.npy, semantic_pooled.npy     one encoding per tile, shared by all methods
    arrays/seg_<method>.npy                             pooled pre-classifier feature per tile;
                                                        N x 0 (empty) for a member without one
                                                        (saved predictions, a model without tap)
    arrays/pred_<method>.npy                            predicted class masks per tile
    arrays/images.npy, masks.npy                        the tiles' pixels and labels
    arrays/signal_agreement.npy                         N x M x M pairwise pixel agreement
    arrays/signal_confidence_histograms.npy             N x M x B max-softmax histograms
    arrays/signal_class_shares.npy                      N x M x C predicted class shares
    arrays/signal_structure.npy                         N x M x F mask shape statistics
                                                        (rssqa.structure); absent from stores
                                                        built before it: then computed from
                                                        the pred_<method> arrays when read

Pool members without probabilities (saved index or colour masks) record confidence 1 and entropy
0 (see ``rssqa.pool.run``).

Rows of every array follow ``tiles.parquet``'s order.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rssqa.assess.base import AssessmentInputs
from rssqa.cache import unreadable
from rssqa.config import CLASS_IOU, class_of
from rssqa.data.classmap import ClassMap
from rssqa.errors import InputError
from rssqa.metrics.segmentation import class_iou
from rssqa.signals import PoolSignals
from rssqa.structure import mask_structure

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"
TILES = "tiles.parquet"
RECORDS = "records.parquet"
ARRAYS = "arrays"
LABELS = ("oa", "miou", "f1")
TILE_COLUMNS = ("tile_id", "source_id", "group", "split")
RECORD_COLUMNS = ("tile_id", "method", "split", *LABELS, "conf_maxprob", "conf_entropy")
MANIFEST_KEYS = ("methods", "tile_size", "classmap")


def damaged(path: Path, problem: str, root: Path) -> InputError:
    """The error for a store file that cannot be read: ``rssqa build`` reassembles the store from
    its finished tiles once the manifest that vouches for it is gone."""
    return InputError(path, problem, f"delete {Path(root) / MANIFEST} and run `rssqa build -c CONFIG` "
                      "again: it reassembles the store from its finished tiles")


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:  # ValueError: also JSON and UTF-8 errors
        raise damaged(path, unreadable(error), path.parent) from None
    if not isinstance(manifest, dict) or any(key not in manifest for key in MANIFEST_KEYS):
        raise damaged(path, f"is damaged (it lacks the store's {', '.join(MANIFEST_KEYS)})",
                      path.parent)
    return manifest


class SQEDStore:
    """Read access to a finished store; ``build_sqed`` writes one."""

    def __init__(self, root: Path):
        self.root = Path(root)
        manifest = self.root / MANIFEST
        if not manifest.exists():
            raise InputError(self.root, "is not a finished SQED store (no manifest.json)",
                             "build it with `rssqa build -c CONFIG`; an interrupted build resumes")
        self.manifest: dict = _read_manifest(manifest)
        self.methods: list[str] = list(self.manifest["methods"])
        self._structure: np.ndarray | None = None
        self._class_iou: dict[str, np.ndarray] = {}  # class name -> N x M IoU, once computed

    # The tables are read when first used: assessing new images needs only the manifest, and
    # pandas with pyarrow is a few tenths of a second of `rssqa recommend`'s start-up.
    @cached_property
    def tiles(self) -> pd.DataFrame:
        return self._read_table(TILES, TILE_COLUMNS)

    @cached_property
    def records(self) -> pd.DataFrame:
        return self._read_table(RECORDS, RECORD_COLUMNS)

    def _read_table(self, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
        import pandas as pd

        path = self.root / name
        try:
            table = pd.read_parquet(path)
        except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
            raise damaged(path, unreadable(error), self.root) from None
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise damaged(path, f"is damaged (it lacks the column(s) {', '.join(missing)})",
                          self.root)
        return table

    @classmethod
    def open(cls, root: Path) -> SQEDStore:
        return cls(root)

    def array(self, name: str, mmap: bool = True) -> np.ndarray:
        """The stored array ``name``, one row per tile; a missing or damaged file is an
        InputError naming it and how to reassemble the store."""
        path = self.root / ARRAYS / f"{name}.npy"
        try:
            array = np.load(path, mmap_mode="r" if mmap else None)
        except (OSError, ValueError, EOFError) as error:  # also a truncated or garbled header
            raise damaged(path, unreadable(error), self.root) from None
        if array.ndim == 0 or len(array) != len(self.tiles):
            raise damaged(path, f"is damaged (it holds {array.shape[0] if array.ndim else 0} rows, "
                          f"not one per tile: {len(self.tiles)})", self.root)
        return array

    def labels(self, label: str = "oa") -> np.ndarray:
        """N x M matrix of a label (rows: tiles in store order; columns: ``methods``): one the
        store records (``LABELS``), or one class's IoU (``"iou:road"``)."""
        if class_of(label) is not None:
            return self.class_iou(class_of(label))
        if label not in LABELS:
            raise InputError(self.root, f"has no label {label!r}",
                             f"use one of {', '.join(LABELS)} or {CLASS_IOU}<class>")
        table = self.records.pivot(index="tile_id", columns="method", values=label)
        return table.loc[self.tiles["tile_id"], self.methods].to_numpy(dtype=np.float64)

    def class_iou(self, name: str) -> np.ndarray:
        """N x M IoU of the class ``name`` (``rssqa.metrics.segmentation.class_iou``), from the
        stored labels and predictions, in chunks of tiles; computed once per store."""
        classmap = self.classmap
        if name not in classmap.names:
            raise InputError(self.root, f"has no class {name!r}",
                             f"the experiment's classes: {', '.join(classmap.names)}")
        if name not in self._class_iou:
            index, labels = classmap.names.index(name), self.array("masks")

            def iou(predicted, labelled):
                return class_iou(predicted, labelled, index, classmap.ignore_index)

            self._class_iou[name] = np.stack([_in_chunks(iou, self.predictions(m), labels)
                                              for m in self.methods], axis=1)
        return self._class_iou[name].copy()

    @cached_property
    def classmap(self) -> ClassMap:
        return ClassMap.from_dict(self.manifest["classmap"])

    def split_index(self, split: str | None) -> np.ndarray:
        if split is None:
            return np.arange(len(self.tiles))
        known = sorted(self.tiles["split"].unique())
        if split not in known:
            raise ValueError(f"unknown split {split!r}; this store has {known}")
        return np.flatnonzero(self.tiles["split"].to_numpy() == split)

    def inputs(self, split: str | None = None, with_images: bool = False,
               label: str = "oa") -> AssessmentInputs:
        """Everything an assessor needs for one split, with ``label`` as the targets."""
        targets = self.labels(label)
        index = self.split_index(split)
        confidence = self.records.set_index(["method", "tile_id"])[["conf_maxprob", "conf_entropy"]]
        tile_ids = self.tiles["tile_id"].to_numpy()[index]
        return AssessmentInputs(
            tile_ids=list(tile_ids),
            methods=list(self.methods),
            semantic_tokens=np.asarray(self.array("semantic_tokens")[index], dtype=np.float32),
            semantic_pooled=np.asarray(self.array("semantic_pooled")[index], dtype=np.float32),
            seg_features={m: np.asarray(self.array(f"seg_{m}")[index], dtype=np.float32)
                          for m in self.methods},
            confidence={m: confidence.loc[m].loc[tile_ids].to_numpy(dtype=np.float32)
                        for m in self.methods},
            images=np.asarray(self.array("images")[index]) if with_images else None,
            targets=targets[index],
            groups=list(self.tiles["group"].to_numpy()[index]),
            sources=list(self.tiles["source_id"].to_numpy()[index]),
            signals=self.signals(index),
        )

    def signals(self, index: np.ndarray | None = None) -> PoolSignals | None:
        """The pool signals of the tiles at ``index`` (all by default); None for a store built
        before they were kept (rebuild it: ``rssqa build`` resumes)."""
        if "consensus" not in self.records:  # a store built before the signals were kept
            return None
        index = np.arange(len(self.tiles)) if index is None else index
        consensus = self.records.pivot(index="tile_id", columns="method", values="consensus")
        return PoolSignals(
            methods=list(self.methods),
            consensus=consensus.loc[self.tiles["tile_id"], self.methods].to_numpy(np.float32)[index],
            agreement=np.asarray(self.array("signal_agreement")[index], dtype=np.float32),
            confidence_histograms=np.asarray(self.array("signal_confidence_histograms")[index],
                                             dtype=np.float32),
            class_shares=np.asarray(self.array("signal_class_shares")[index], dtype=np.float32),
            structure=self.structure()[index],
        )

    def structure(self) -> np.ndarray:
        """N x M x F mask shape statistics (``rssqa.structure``) of every tile and method: the
        stored array, or, for a store built before it was kept, computed once from the stored
        predictions (in chunks, so the masks never sit in memory all at once)."""
        if self._structure is None:
            path = self.root / ARRAYS / "signal_structure.npy"
            if path.exists():
                self._structure = np.asarray(self.array("signal_structure", mmap=False), np.float32)
            else:
                self._structure = np.stack([_in_chunks(mask_structure, self.predictions(m))
                                            for m in self.methods], axis=1)
        return self._structure

    def predictions(self, method: str) -> np.ndarray:
        return self.array(f"pred_{method}")

    def summary(self) -> pd.DataFrame:
        """Mean labels per method and split (the paper's Table 1 on this store)."""
        return (self.records.groupby(["method", "split"])[list(LABELS)].mean()
                .unstack("split").round(4))


def _in_chunks(compute, *arrays: np.ndarray, chunk: int = 256) -> np.ndarray:
    """``compute`` over consecutive chunks of the tiles' rows of ``arrays`` (stored masks, read
    from disk a chunk at a time so they never sit in memory all at once), concatenated."""
    return np.concatenate([compute(*(np.asarray(a[i:i + chunk]) for a in arrays))
                           for i in range(0, len(arrays[0]), chunk)])
