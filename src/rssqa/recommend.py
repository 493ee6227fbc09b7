"""The workflow the paper promises: score every method on a new image, rank, recommend, segment.

An image of any size is covered by square tiles (the last row and column slide back to the edge
rather than pad, so every tile is real imagery); each tile is encoded once, segmented by every
method, and assessed. An image's score for a method is the mean of its tiles' predicted accuracy;
the recommended method is the argmax of the mean of the assessor's selection scores (a safe
selector keeps its default method unless another is predicted to beat it by its margin), and its
segmentation of the whole image is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.data.classmap import ClassMap
from rssqa.data.io import read_image
from rssqa.encoders.base import SemanticEncoder
from rssqa.errors import InputError
from rssqa.pool import run_pool
from rssqa.progress import progress_bar
from rssqa.segzoo.member import PoolMember, TileRef
from rssqa.utils import atomic_write_text

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


def covering_grid(length: int, size: int) -> list[int]:
    """Start offsets of windows of ``size`` covering [0, length): regular steps, the last one
    flush with the end (it may overlap its neighbour)."""
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, size))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts


@dataclass
class ImageAssessment:
    """One image's result: per-tile scores (T x M), per-method image scores (M), the pick and its
    mask; with a safe selector, its default method and the pick's predicted gain over it."""

    name: str
    methods: list[str]
    tile_scores: np.ndarray
    scores: np.ndarray
    recommended: str
    labels: np.ndarray
    default: str | None = None
    # method -> that method's stitched class indices, only when assess(..., all_masks=True)
    method_labels: dict[str, np.ndarray] | None = None

    @property
    def predicted_gain(self) -> float | None:
        """Predicted accuracy of the best-scoring method minus the default's (None without one)."""
        if self.default is None:
            return None
        return float(self.scores.max() - self.scores[self.methods.index(self.default)])

    @property
    def kept_default(self) -> bool | None:
        return None if self.default is None else self.recommended == self.default

    def ranking(self) -> pd.DataFrame:
        order = np.argsort(-self.scores, kind="stable")
        return pd.DataFrame({"image": self.name, "method": [self.methods[i] for i in order],
                             "predicted_oa": self.scores[order], "rank": np.arange(1, len(order) + 1),
                             "recommended": [self.methods[i] == self.recommended for i in order]})

    def summary(self) -> dict:
        return {"method": self.recommended, "default": self.default,
                "kept_default": self.kept_default, "predicted_gain": self.predicted_gain}


class Recommender:
    """Pool + semantic encoder + assessor, applied to unlabelled images."""

    def __init__(self, pool: list[PoolMember], encoder: SemanticEncoder, assessor: Assessor,
                 classmap: ClassMap, tile_size: int, batch_size: int = 16,
                 min_pixels: int | None = None):
        """``min_pixels`` (a tile's worth by default): smaller images are refused with a reason,
        since the mirror padding that fills their tile would be most of what gets assessed."""
        self.pool, self.encoder, self.assessor = pool, encoder, assessor
        self.classmap, self.tile_size, self.batch_size = classmap, tile_size, batch_size
        self.min_pixels = tile_size * tile_size if min_pixels is None else min_pixels
        self.methods = [m.name for m in pool]
        self.decisions: dict[str, dict] = {}  # image -> its ImageAssessment.summary(), after run()
        self.skipped: list[dict] = []  # {"image": path, "error": one line} per image run() skipped
        self.written: list[Path] = []  # the files run() wrote

    def _tiles(self, image: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
        height, width = image.shape[:2]
        if min(height, width) < self.tile_size:  # too small for one tile: mirror-pad up to it
            pad = ((0, max(0, self.tile_size - height)), (0, max(0, self.tile_size - width)), (0, 0))
            image = np.pad(image, pad, mode="reflect")
        boxes = [(y, x) for y in covering_grid(image.shape[0], self.tile_size)
                 for x in covering_grid(image.shape[1], self.tile_size)]
        s = self.tile_size
        return boxes, np.stack([image[y:y + s, x:x + s] for y, x in boxes])

    def assess(self, image: np.ndarray, name: str = "image", all_masks: bool = False) -> ImageAssessment:
        """Score, rank and segment one HxWx3 image; ``all_masks`` also keeps every method's
        stitched mask (for showing them side by side), at one HxW uint8 array per method.

        ``name`` is also the file stem under which pool members of saved predictions look for
        this image's prediction; one they cannot use raises ``InputError`` naming the file."""
        height, width = image.shape[:2]
        if height * width < self.min_pixels:
            raise InputError(None, f"{name} has {height} x {width} pixels, fewer than the "
                             f"{self.min_pixels} the assessment needs (one {self.tile_size}-px tile)",
                             "give a larger image, or lower Recommender(min_pixels=...)")
        boxes, tiles = self._tiles(image)
        refs = [TileRef(name, (height, width), x, y, self.tile_size) for y, x in boxes]
        for member in self.pool:
            member.check(refs[0])
        tile_scores, masks = [], []
        for first in range(0, len(tiles), self.batch_size):
            batch = tiles[first:first + self.batch_size]
            ids = [f"{name}_{i}" for i in range(first, first + len(batch))]
            scores, segmented = self.assess_batch(batch, refs[first:first + len(batch)], name, ids)
            tile_scores.append(scores)
            masks.append(segmented)
        tile_scores = np.concatenate(tile_scores)
        scores = tile_scores.mean(axis=0)
        best = self.methods[int(np.argmax(self.assessor.selection_scores(tile_scores).mean(axis=0)))]
        stitched = {method: self._stitch(boxes, [m[method] for m in masks], (height, width))
                    for method in (self.methods if all_masks else [best])}
        return ImageAssessment(name, self.methods, tile_scores, scores, best, stitched[best],
                               default=self.assessor.default_method,
                               method_labels=stitched if all_masks else None)

    def assess_batch(self, batch: np.ndarray, refs: list[TileRef], source: str,
                     tile_ids: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Encode, segment and assess N x S x S x 3 tiles of one image ``source``: the N x M
        predicted accuracies and each method's N x S x S masks."""
        encoded = self.encoder.encode(batch)
        segmented = run_pool(self.pool, batch, refs)
        inputs = AssessmentInputs(
            tile_ids=tile_ids, methods=self.methods,
            semantic_tokens=encoded.tokens.numpy(), semantic_pooled=encoded.pooled.numpy(),
            seg_features=segmented.features, confidence=segmented.confidence, images=batch,
            sources=[source] * len(batch), signals=segmented.signals)
        return self.assessor.predict(inputs), segmented.masks

    def _stitch(self, boxes: list[tuple[int, int]], batches: list[np.ndarray],
                shape: tuple[int, int]) -> np.ndarray:
        """One method's tile masks pasted back in tile order (later tiles overwrite the overlap),
        cropped to the image."""
        labels = np.zeros(tuple(max(d, self.tile_size) for d in shape), np.uint8)
        s = self.tile_size
        for (y, x), mask in zip(boxes, np.concatenate(batches)):
            labels[y:y + s, x:x + s] = mask
        return labels[:shape[0], :shape[1]]

    def run(self, paths: list[Path], out_dir: Path, verbose: bool = True) -> pd.DataFrame:
        """Assess every image, write its recommended segmentation and a ranking table.

        Any failure on one image (unreadable, undecodable, or an error while assessing it) is
        reported with its file name and skipped; the others are still written, and
        ``self.skipped`` lists the skipped ones. When no image succeeds no table is written, so
        an earlier run's tables in ``out_dir`` are kept. Images whose stems repeat
        (``dup.jpg``, ``dup.png``) keep their suffix in output names (``dup_jpg_segmentation.png``)
        and their file name in the ``image`` column.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        rankings, picks, skipped, written = [], {}, [], []
        with progress_bar(verbose) as progress:
            task = progress.add_task("recommend", total=len(paths))
            for path, (label, key) in zip(paths, output_names(paths)):
                try:
                    image = read_image(path)
                    result = self.assess(image, name=Path(path).stem)
                except InputError as error:
                    skipped.append({"image": str(path), "error": str(error)})
                    progress.advance(task)
                    continue
                except Exception as error:  # noqa: BLE001 - one bad image must not end the batch
                    skipped.append({"image": str(path),
                                    "error": f"{path}: {type(error).__name__}: {error}"})
                    progress.advance(task)
                    continue
                result.name = label
                Image.fromarray(self.classmap.decode(result.labels)).save(
                    out_dir / f"{key}_segmentation.png")
                Image.fromarray(result.labels).save(out_dir / f"{key}_labels.png")
                written += [out_dir / f"{key}_segmentation.png", out_dir / f"{key}_labels.png"]
                rankings.append(result.ranking())
                picks[label] = result.summary()
                progress.advance(task)
        table = pd.concat(rankings, ignore_index=True) if rankings else pd.DataFrame()
        if rankings:
            written += [out_dir / "scores.csv", out_dir / "recommendations.json"]
            table.to_csv(out_dir / "scores.csv", index=False)
            atomic_write_text(out_dir / "recommendations.json", json.dumps(
                {"recommended": {name: pick["method"] for name, pick in picks.items()},
                 "decisions": picks, "scores": table.to_dict(orient="records"), "skipped": skipped,
                 "classes": list(self.classmap.names)}, indent=2))
        self.decisions, self.skipped, self.written = picks, skipped, written
        if skipped and verbose:
            print(f"skipped {len(skipped)} image(s) that could not be read or segmented:")
            for entry in skipped:
                print(f"  {entry['error']}")
        return table


def output_names(paths: list[Path]) -> list[tuple[str, str]]:
    """(label for tables, stem for output files) per path: the stem for both, unless stems repeat
    (case-blind, as on macOS and Windows), where the label is the file name and the output stem
    keeps the suffix (``dup.jpg`` -> ``dup_jpg``); a clash left after that gets ``_2``, ``_3``..."""
    stems = [Path(p).stem for p in paths]
    counts: dict[str, int] = {}
    for stem in stems:
        counts[stem.lower()] = counts.get(stem.lower(), 0) + 1
    names, used = [], set()
    for path, stem in zip(paths, stems):
        path = Path(path)
        if counts[stem.lower()] > 1:
            label, key = path.name, f"{stem}_{path.suffix.lstrip('.')}"
        else:
            label, key = stem, stem
        base, n = key, 1
        while key.lower() in used:
            n += 1
            key = f"{base}_{n}"
        if label.lower() in {name.lower() for name, _ in names}:
            label = path.name
        used.add(key.lower())
        names.append((label, key))
    return names


# What a run writes into its output folder; --overwrite replaces these and nothing else.
OWNED_PATTERNS = ("*_segmentation.png", "*_labels.png", "scores.csv", "recommendations.json")


def earlier_outputs(out_dir: Path) -> list[Path]:
    """Files an earlier recommend run left in ``out_dir`` (empty when there is no such folder)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    return sorted({p for pattern in OWNED_PATTERNS for p in out_dir.glob(pattern) if p.is_file()})


def remove_stale(earlier: list[Path], written: list[Path]) -> list[Path]:
    """Delete those of ``earlier`` that the latest run did not rewrite."""
    rewritten = {Path(p).resolve() for p in written}
    stale = [p for p in earlier if p.exists() and p.resolve() not in rewritten]
    for path in stale:
        path.unlink()
    return stale


def find_images(target: Path) -> list[Path]:
    """``target`` itself if it is a file, else the images inside the folder (sorted)."""
    target = Path(target)
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise InputError(target, "does not exist", "give an image file or a folder of images")
    paths = sorted(p for p in target.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise InputError(target, "holds no image", f"put {', '.join(IMAGE_SUFFIXES)} files there")
    return paths
