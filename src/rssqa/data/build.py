"""The resumable SQED builder.

Work is done tile by tile: one semantic-encoder forward per tile (shared by every method), then
every member of the pool (``rssqa.segzoo.member``: trained methods, saved predictions, user
models), then the labels. Each member is asked once per source image whether it can segment it
(saved predictions may be missing or misaligned); an image refused by any member is reported and
skipped like an unreadable one, and the other images still go through. Each finished tile is written atomically to its own
shard, so a builder killed at any point reruns without recomputing anything finished; the store is
assembled from the shards in a fixed order, so the result is identical either way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rssqa.cache import fingerprint, is_current, write_record
from rssqa.data.classmap import ClassMap
from rssqa.data.sqed import ARRAYS, MANIFEST, RECORDS, TILES, SQEDStore
from rssqa.data.io import image_size
from rssqa.data.tiling import SkipLog, iter_tile_data
from rssqa.data.types import Sample, Tile, TileData
from rssqa.encoders.base import SemanticEncoder
from rssqa.errors import InputError
from rssqa.metrics.segmentation import segmentation_scores
from rssqa.pool import run_pool
from rssqa.progress import progress_bar
from rssqa.segzoo.member import PoolMember, TileRef
from rssqa.structure import mask_structure
from rssqa.utils import atomic_save_npz, atomic_write_with

SHARDS = "shards"
# Bumped whenever a shard gains contents, so that a store built by an older rssqa is rebuilt
# (resumably) rather than read with arrays missing. 2: the pool signals of rssqa.signals.
STORE_FORMAT = 2


@dataclass
class BuildStats:
    tiles_built: int = 0
    tiles_reused: int = 0
    encoder_forwards: int = 0  # tiles passed through the semantic encoder in this run
    seconds: float = 0.0


class MemberCheck:
    """Where each tile comes from (its ``TileRef``), and whether every member of the pool can
    segment its source image: asked once per image, a refusal recorded in the skip log."""

    def __init__(self, pool: list[PoolMember], samples: list[Sample], skipped: SkipLog):
        self.pool, self.skipped = pool, skipped
        self.samples = {s.source_id: s for s in samples}
        self.shapes: dict[str, tuple[int, int]] = {}
        self.verdicts: dict[str, bool] = {}

    def ref(self, tile: Tile) -> TileRef:
        sample = self.samples[tile.source_id]
        if tile.source_id not in self.shapes:
            self.shapes[tile.source_id] = image_size(sample.image_path)
        left, top = sample.window[:2] if sample.window is not None else (0, 0)
        return TileRef(Path(sample.image_path).stem, self.shapes[tile.source_id],
                       left + tile.x, top + tile.y, tile.size, Path(sample.image_path))

    def accepts(self, tile: Tile) -> bool:
        if tile.source_id not in self.verdicts:
            try:
                ref = self.ref(tile)
                for member in self.pool:
                    member.check(ref)
                self.verdicts[tile.source_id] = True
            except InputError as error:
                self.skipped.add(self.samples[tile.source_id], error)
                self.verdicts[tile.source_id] = False
        return self.verdicts[tile.source_id]


def build_sqed(out_dir: Path, samples: list[Sample], split_of: dict[str, str], pool: list[PoolMember],
               encoder: SemanticEncoder, classmap: ClassMap, tile_size: int, build_info: dict,
               batch_size: int = 16, verbose: bool = True,
               train_stride: int | None = None) -> SQEDStore:
    """Build (or finish, or reuse) the store in ``out_dir``.

    ``split_of`` maps each sample's source_id to its split; ``build_info`` is recorded in the manifest
    and, with the pool's and encoder's identity, decides whether existing work can be reused.
    Bad files are reported and skipped; the manifest lists them. ``train_stride`` below the tile
    size cuts overlapping tiles from the train split's images (more tiles to fit assessors on);
    test tiles never overlap.
    """
    out_dir = Path(out_dir)
    key = fingerprint({"format": STORE_FORMAT, "info": build_info, "tile_size": tile_size,
                       "train_stride": train_stride or tile_size, "split": split_of,
                       "encoder": [encoder.name, encoder.input_size],
                       "pool": [m.meta["fingerprint"] for m in pool]})
    manifest_path = out_dir / MANIFEST
    if is_current(manifest_path, key):
        if verbose:
            print(f"SQED store in {out_dir} is complete and up to date")
        return SQEDStore(out_dir)
    manifest_path.unlink(missing_ok=True)  # an outdated store is no longer a finished one

    shard_dir = out_dir / SHARDS / key
    shard_dir.mkdir(parents=True, exist_ok=True)
    skipped = SkipLog()
    strides = {s.source_id: (train_stride or tile_size) if split_of[s.source_id] == "train"
               else tile_size for s in samples}
    done_ids, stats = _build_shards(samples, strides, pool, encoder, classmap, tile_size,
                                    shard_dir, skipped, batch_size, verbose)
    if not done_ids:
        raise RuntimeError("no tile could be built: every input was skipped "
                           f"({skipped.summary()})")
    group_of = {s.source_id: s.group for s in samples}
    _assemble(out_dir, shard_dir, done_ids, split_of, group_of, [m.name for m in pool])
    manifest = {"methods": [m.name for m in pool], "build": build_info,
                "tile_size": tile_size, "classmap": classmap.to_dict(), "encoder": encoder.name,
                "tiles": len(done_ids), "pool": {m.name: m.meta for m in pool},
                "skipped": [{"source_id": sample.source_id, "error": str(error)}
                            for sample, error in skipped.entries],
                "last_run": {"tiles_built": stats.tiles_built, "tiles_reused": stats.tiles_reused,
                             "encoder_forwards": stats.encoder_forwards,
                             "seconds": round(stats.seconds, 1)}}
    write_record(manifest_path, key, **manifest)
    if verbose and skipped.entries:
        print(skipped.summary())
    return SQEDStore(out_dir)


def _build_shards(samples: list[Sample], strides: dict[str, int], pool: list[PoolMember],
                  encoder: SemanticEncoder, classmap: ClassMap, tile_size: int, shard_dir: Path,
                  skipped: SkipLog, batch_size: int, verbose: bool) -> tuple[list[str], BuildStats]:
    """Write a shard for every labelled tile that has none yet; the ids of every usable tile."""
    stats, began = BuildStats(), time.perf_counter()
    members = MemberCheck(pool, samples, skipped)
    done_ids: list[str] = []
    pending: list[TileData] = []

    def flush() -> None:
        _build_batch(pending, pool, encoder, classmap, shard_dir, members)
        stats.encoder_forwards += len(pending)
        stats.tiles_built += len(pending)
        pending.clear()

    with progress_bar(verbose) as progress:
        task = progress.add_task("build SQED", total=len(samples))
        last_source = None
        for tile_data in iter_tile_data(samples, tile_size, classmap, on_error=skipped.add,
                                        stride_of=lambda sample: strides[sample.source_id]):
            if tile_data.tile.source_id != last_source:
                if last_source is not None:
                    progress.advance(task)
                last_source = tile_data.tile.source_id
            if _labelled_fraction(tile_data, classmap) == 0:
                continue  # nothing to score against
            if not members.accepts(tile_data.tile):
                continue  # a member cannot segment this image: reported in the skip log
            done_ids.append(tile_data.tile.tile_id)
            if (shard_dir / f"{tile_data.tile.tile_id}.npz").exists():
                stats.tiles_reused += 1
                continue
            pending.append(tile_data)
            if len(pending) == batch_size:
                flush()
        if pending:
            flush()
        progress.update(task, completed=len(samples))
    stats.seconds = time.perf_counter() - began
    return done_ids, stats


def _labelled_fraction(tile_data: TileData, classmap: ClassMap) -> float:
    return float(np.mean(tile_data.mask != classmap.ignore_index))


def _build_batch(batch: list[TileData], pool: list[PoolMember], encoder: SemanticEncoder,
                 classmap: ClassMap, shard_dir: Path, members: MemberCheck) -> None:
    images = np.stack([t.image for t in batch])
    encoded = encoder.encode(images)  # once per tile, whatever the number of methods
    segmented = run_pool(pool, images, [members.ref(t.tile) for t in batch])
    signals = segmented.signals
    for i, tile_data in enumerate(batch):
        arrays = {"semantic_tokens": encoded.tokens[i].numpy(), "semantic_pooled": encoded.pooled[i].numpy(),
                  "image": tile_data.image, "mask": tile_data.mask,
                  "signal_consensus": signals.consensus[i], "signal_agreement": signals.agreement[i],
                  "signal_confidence_histograms": signals.confidence_histograms[i],
                  "signal_class_shares": signals.class_shares[i]}
        for name in segmented.masks:
            scores = segmentation_scores(segmented.masks[name][i], tile_data.mask, classmap.num_classes,
                                         ignore_index=classmap.ignore_index)
            arrays[f"seg_{name}"] = segmented.features[name][i]
            arrays[f"pred_{name}"] = segmented.masks[name][i]
            arrays[f"conf_{name}"] = segmented.confidence[name][i]
            arrays[f"scores_{name}"] = np.array([scores["oa"], scores["miou"], scores["f1"]])
        atomic_save_npz(shard_dir / f"{tile_data.tile.tile_id}.npz", **arrays)


def _assemble(out_dir: Path, shard_dir: Path, tile_ids: list[str], split_of: dict[str, str],
              group_of: dict[str, str], methods: list[str]) -> None:
    """Gather the shards, in sorted tile order, into the store's table and arrays."""
    tile_ids = sorted(set(tile_ids))
    shards = [np.load(shard_dir / f"{t}.npz") for t in tile_ids]
    arrays = {"semantic_tokens": "semantic_tokens", "semantic_pooled": "semantic_pooled",
              "images": "image", "masks": "mask", "signal_agreement": "signal_agreement",
              "signal_confidence_histograms": "signal_confidence_histograms",
              "signal_class_shares": "signal_class_shares"}
    arrays |= {f"{kind}_{m}": f"{kind}_{m}" for m in methods for kind in ("seg", "pred")}
    (out_dir / ARRAYS).mkdir(exist_ok=True)
    structure = {}
    for name, key in arrays.items():
        stacked = np.stack([s[key] for s in shards])
        atomic_write_with(out_dir / ARRAYS / f"{name}.npy", lambda stream: np.save(stream, stacked))
        if name.startswith("pred_"):
            structure[name[len("pred_"):]] = mask_structure(stacked)
    stacked = np.stack([structure[m] for m in methods], axis=1)
    atomic_write_with(out_dir / ARRAYS / "signal_structure.npy", lambda stream: np.save(stream, stacked))

    tiles = pd.DataFrame([_parse_tile_id(t) for t in tile_ids])
    tiles["group"] = tiles["source_id"].map(group_of)
    tiles["split"] = tiles["source_id"].map(split_of)
    records = []
    for tile_id, split, shard in zip(tile_ids, tiles["split"], shards):
        for column, m in enumerate(methods):
            oa, miou, f1 = shard[f"scores_{m}"]
            maxprob, entropy = shard[f"conf_{m}"]
            records.append({"tile_id": tile_id, "method": m, "split": split, "oa": oa, "miou": miou,
                            "f1": f1, "conf_maxprob": maxprob, "conf_entropy": entropy,
                            "consensus": shard["signal_consensus"][column]})
    atomic_write_with(out_dir / TILES, lambda stream: tiles.to_parquet(stream, index=False))
    atomic_write_with(out_dir / RECORDS, lambda stream: pd.DataFrame(records).to_parquet(stream, index=False))


def _parse_tile_id(tile_id: str) -> dict:
    source_id, x, y, size = tile_id.rsplit("_", 3)
    return {"tile_id": tile_id, "source_id": source_id, "x": int(x[1:]), "y": int(y[1:]),
            "size": int(size[1:])}
