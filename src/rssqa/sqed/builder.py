"""The resumable SQED builder.

Work is done tile by tile: one semantic-encoder forward per tile (shared by every method), then
every member of the pool (``rssqa.pool.member``: trained methods, saved predictions, user
models), then the labels. Each member is asked once per source image whether it can segment it
(saved predictions may be missing or misaligned); an image refused by any member is reported and
skipped like an unreadable one, and the other images still go through. Each finished tile is written atomically to its own
shard, so a builder killed at any point reruns without recomputing anything finished; the store is
assembled from the shards in a fixed order, so the result is identical either way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rssqa.cache import fingerprint, is_current, write_record
from rssqa.sqed.check import BuildCheck, draft_report_path, publish_report
from rssqa.data.classmap import ClassMap
from rssqa.sqed.store import ARRAYS, MANIFEST, RECORDS, TILES, SQEDStore
from rssqa.data.io import image_size
from rssqa.data.tiling import SkipLog, iter_tile_data
from rssqa.data.types import Sample, Tile, TileData
from rssqa.encoders.base import SemanticEncoder
from rssqa.errors import InputError
from rssqa.metrics.segmentation import segmentation_scores
from rssqa.pool.run import run_pool
from rssqa.progress import progress_bar
from rssqa.pool.member import PoolMember, TileRef
from rssqa.structure import mask_structure
from rssqa.files import atomic_save_npz, atomic_write_with

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
               train_stride: int | None = None, check: BuildCheck | None = None) -> SQEDStore:
    """Build (or finish, or reuse) the store in ``out_dir``.

    ``split_of`` maps each sample's source_id to its split; ``build_info`` is recorded in the manifest
    and, with the pool's and encoder's identity, decides whether existing work can be reused.
    Bad files are reported and skipped, each for its own reason, in ``<out_dir>_report.txt`` beside
    the store (``check``: what ``check_build_inputs`` found before the pool trained; else the
    files are checked here); a split left without a labelled tile is an InputError. A rebuild of
    a finished store reports in ``<out_dir>_report.attempt.txt`` until it finishes, so a rerun
    that fails keeps the finished store's report (``rssqa.sqed.check.draft_report_path``). The manifest
    lists the skipped files. ``train_stride`` below the tile size cuts overlapping tiles from the
    train split's images (more tiles to fit assessors on); test tiles never overlap.
    """
    out_dir = Path(out_dir)
    key = fingerprint({"format": STORE_FORMAT, "info": build_info, "tile_size": tile_size,
                       "train_stride": train_stride or tile_size, "split": split_of,
                       "encoder": [encoder.name, encoder.input_size],
                       "pool": [m.meta["fingerprint"] for m in pool]})
    manifest_path = out_dir / MANIFEST
    report = draft_report_path(out_dir)  # asked before the manifest below may go
    if is_current(manifest_path, key):
        if verbose:
            print(f"SQED store in {out_dir} is complete and up to date")
        publish_report(out_dir, report)
        return SQEDStore(out_dir)
    if check is None:
        check = check_splits(samples, split_of, classmap, tile_size, train_stride)
        check.require_tiles(report, "before building the SQED")
    manifest_path.unlink(missing_ok=True)  # an outdated store is no longer a finished one

    shard_dir = out_dir / SHARDS / key
    shard_dir.mkdir(parents=True, exist_ok=True)
    skipped = SkipLog()
    strides = {s.source_id: (train_stride or tile_size) if split_of[s.source_id] == "train"
               else tile_size for s in samples}
    usable = [s for s in samples if s.source_id in check.tiles.get(split_of[s.source_id], {})]
    done_ids, stats = _build_shards(usable, strides, pool, encoder, classmap, tile_size,
                                    shard_dir, skipped, batch_size, verbose)
    for sample, error in skipped.entries:
        check.skip(split_of[sample.source_id], sample.source_id, error)
    check.record_built(split_of, [tile_id.rsplit("_", 3)[0] for tile_id in done_ids])
    check.require_tiles(report, "while building the SQED; the finished tiles are kept for the next run")
    if verbose and check.skipped:
        print(check.brief(report))
    group_of = {s.source_id: s.group for s in samples}
    _assemble(out_dir, shard_dir, done_ids, split_of, group_of, [m.name for m in pool])
    manifest = {"methods": [m.name for m in pool], "build": build_info,
                "tile_size": tile_size, "classmap": classmap.to_dict(), "encoder": encoder.name,
                "tiles": len(done_ids), "pool": {m.name: m.meta for m in pool},
                "skipped": check.errors(set(split_of.values())),
                "last_run": {"tiles_built": stats.tiles_built, "tiles_reused": stats.tiles_reused,
                             "encoder_forwards": stats.encoder_forwards,
                             "seconds": round(stats.seconds, 1)}}
    write_record(manifest_path, key, **manifest)
    publish_report(out_dir, report)
    return SQEDStore(out_dir)


def check_splits(samples: list[Sample], split_of: dict[str, str], classmap: ClassMap,
                 tile_size: int, train_stride: int | None = None,
                 check: BuildCheck | None = None) -> BuildCheck:
    """Open every sample of each SQED split (``check``, when given, gains the splits)."""
    check = check or BuildCheck(classmap, tile_size)
    for split in sorted(set(split_of.values()), key=lambda name: (name != "train", name)):
        check.check(split, [s for s in samples if split_of[s.source_id] == split],
                    stride=train_stride if split == "train" else None)
    return check


def _build_shards(samples: list[Sample], strides: dict[str, int], pool: list[PoolMember],
                  encoder: SemanticEncoder, classmap: ClassMap, tile_size: int, shard_dir: Path,
                  skipped: SkipLog, batch_size: int, verbose: bool) -> tuple[list[str], BuildStats]:
    """Write a shard for every labelled tile that has none yet; the ids of every usable tile.
    A failure on one image (reading it, or any member or the encoder on its tiles) skips that
    image, reported in ``skipped``, and the build goes on."""
    began = time.perf_counter()
    writer = _ShardWriter(pool, encoder, classmap, shard_dir, MemberCheck(pool, samples, skipped),
                          batch_size)
    with progress_bar(verbose) as progress:
        task = progress.add_task("build SQED", total=len(samples))
        for sample in samples:
            for tile_data in writer.read(sample, tile_size, strides[sample.source_id]):
                writer.add(tile_data)
            progress.advance(task)
        writer.flush()
    writer.stats.seconds = time.perf_counter() - began
    return [tile_id for ids in writer.done.values() for tile_id in ids], writer.stats


class _ShardWriter:
    """Batches tiles through the encoder and the pool and writes their shards. A batch that fails
    is retried image by image, so that only the images whose tiles fail are skipped."""

    def __init__(self, pool: list[PoolMember], encoder: SemanticEncoder, classmap: ClassMap,
                 shard_dir: Path, members: MemberCheck, batch_size: int):
        self.pool, self.encoder, self.classmap = pool, encoder, classmap
        self.shard_dir, self.members, self.batch_size = shard_dir, members, batch_size
        self.stats = BuildStats()
        self.done: dict[str, list[str]] = {}  # source_id -> its tiles with a shard, in order
        self.pending: list[TileData] = []

    def read(self, sample: Sample, tile_size: int, stride: int) -> Iterator[TileData]:
        """The sample's tiles, one at a time; none, and the sample skipped, when it cannot be read."""
        tiles = iter_tile_data([sample], tile_size, self.classmap, stride_of=lambda _: stride)
        try:
            first = next(tiles, None)  # the image and its mask are read here, whole
        except Exception as error:  # noqa: BLE001 - one bad image must not end the build
            self._drop(sample.source_id, error)
            return
        if first is not None:
            yield first
            yield from tiles

    def add(self, tile_data: TileData) -> None:
        if _labelled_fraction(tile_data, self.classmap) == 0:
            return  # nothing to score against
        if not self.members.accepts(tile_data.tile):
            return  # a member cannot segment this image (or it failed): in the skip log
        tile_id = tile_data.tile.tile_id
        if (self.shard_dir / f"{tile_id}.npz").exists():
            self.stats.tiles_reused += 1
            self.done.setdefault(tile_data.tile.source_id, []).append(tile_id)
            return
        self.pending.append(tile_data)
        if len(self.pending) == self.batch_size:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            self._write(batch)
        except Exception:  # noqa: BLE001 - find the image(s) at fault, keep the others
            for source_id in dict.fromkeys(t.tile.source_id for t in batch):
                tiles = [t for t in batch if t.tile.source_id == source_id]
                try:
                    self._write(tiles)
                except Exception as error:  # noqa: BLE001
                    self._drop(source_id, error)

    def _write(self, batch: list[TileData]) -> None:
        _build_batch(batch, self.pool, self.encoder, self.classmap, self.shard_dir, self.members)
        self.stats.encoder_forwards += len(batch)
        self.stats.tiles_built += len(batch)
        for tile_data in batch:
            self.done.setdefault(tile_data.tile.source_id, []).append(tile_data.tile.tile_id)

    def _drop(self, source_id: str, error: Exception) -> None:
        """Skip the image: its tiles leave the store, its later tiles are refused."""
        sample = self.members.samples[source_id]
        if not isinstance(error, InputError):
            error = InputError(sample.image_path, f"{type(error).__name__}: {error}",
                               "fix or remove the file, or the member that fails on it")
        self.members.skipped.add(sample, error)
        self.members.verdicts[source_id] = False
        self.done.pop(source_id, None)


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
