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
0 (see ``rssqa.pool``).

Rows of every array follow ``tiles.parquet``'s order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from rssqa.assess.base import AssessmentInputs
from rssqa.errors import InputError
from rssqa.signals import PoolSignals
from rssqa.structure import mask_structure

MANIFEST = "manifest.json"
TILES = "tiles.parquet"
RECORDS = "records.parquet"
ARRAYS = "arrays"
LABELS = ("oa", "miou", "f1")


class SQEDStore:
    """Read access to a finished store; ``build_sqed`` writes one."""

    def __init__(self, root: Path):
        self.root = Path(root)
        manifest = self.root / MANIFEST
        if not manifest.exists():
            raise InputError(self.root, "is not a finished SQED store (no manifest.json)",
                             "build it with `rssqa build CONFIG`; an interrupted build resumes")
        self.manifest: dict = json.loads(manifest.read_text())
        self.tiles: pd.DataFrame = pd.read_parquet(self.root / TILES)
        self.records: pd.DataFrame = pd.read_parquet(self.root / RECORDS)
        self.methods: list[str] = list(self.manifest["methods"])
        self._structure: np.ndarray | None = None

    @classmethod
    def open(cls, root: Path) -> SQEDStore:
        return cls(root)

    def array(self, name: str, mmap: bool = True) -> np.ndarray:
        return np.load(self.root / ARRAYS / f"{name}.npy", mmap_mode="r" if mmap else None)

    def labels(self, label: str = "oa") -> np.ndarray:
        """N x M matrix of a label (rows: tiles in store order; columns: ``methods``)."""
        table = self.records.pivot(index="tile_id", columns="method", values=label)
        return table.loc[self.tiles["tile_id"], self.methods].to_numpy(dtype=np.float64)

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
        if label not in LABELS:
            raise InputError(self.root, f"has no label {label!r}", f"use one of {', '.join(LABELS)}")
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
            targets=self.labels(label)[index],
            groups=list(self.tiles["group"].to_numpy()[index]),
            sources=list(self.tiles["source_id"].to_numpy()[index]),
            signals=self.signals(index),
        )

    def signals(self, index: np.ndarray | None = None) -> PoolSignals | None:
        """The pool signals of the tiles at ``index`` (all by default); None for a store built
        before they were kept (rebuild it: ``rssqa build`` resumes)."""
        if "consensus" not in self.records or not (self.root / ARRAYS / "signal_class_shares.npy").exists():
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
                self._structure = np.load(path).astype(np.float32)
            else:
                self._structure = np.stack([_chunked_structure(self.predictions(m))
                                            for m in self.methods], axis=1)
        return self._structure

    def predictions(self, method: str) -> np.ndarray:
        return self.array(f"pred_{method}")

    def summary(self) -> pd.DataFrame:
        """Mean labels per method and split (the paper's Table 1 on this store)."""
        return (self.records.groupby(["method", "split"])[list(LABELS)].mean()
                .unstack("split").round(4))


def _chunked_structure(masks: np.ndarray, chunk: int = 256) -> np.ndarray:
    return np.concatenate([mask_structure(np.asarray(masks[i:i + chunk]))
                           for i in range(0, len(masks), chunk)])
