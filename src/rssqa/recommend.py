"""The workflow the paper promises: score every method on a new image, rank, recommend, segment.

An image of any size is covered by the cells of one grid, each assessed through a square tile
that overlaps its neighbours (the last row and column slide back to the edge rather than pad, so
every tile is real imagery); each tile is encoded once, segmented by every method, and assessed,
and the tiles' masks are blended across their overlaps as a scene's are. An image's score for a
method is the mean of its tiles' predicted accuracy;
the recommended method is the argmax of the mean of the assessor's selection scores (a safe
selector keeps its default method unless another is predicted to beat it by its margin), and its
segmentation of the whole image is written.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.conformal import Intervals, no_clear_winner
from rssqa import finished_images
from rssqa.data.classmap import ClassMap
from rssqa.data.io import read_image
from rssqa.encoders.base import SemanticEncoder
from rssqa.errors import InputError
from rssqa.pool.run import run_pool
from rssqa.progress import progress_bar
from rssqa.raster.blend import blend_tiles, quantise_confidence
from rssqa.raster.grid import TileGrid, image_grid
from rssqa.pool.member import PoolMember, TileRef
from rssqa.files import atomic_write_text, atomic_write_with, standard_json

if TYPE_CHECKING:
    import pandas as pd

    from rssqa.experiment import TrainedExperiment

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


@dataclass
class TilePicks:
    """Per tile, in grid order: the assessor's selection scores (T x M float32), and the mask of
    the method they pick with that method's confidence per pixel (T x S x S uint8 each): what a
    scene keeps of each tile (``rssqa.geo.tiles``), so a scene assessed as an image is written
    from that assessment instead of being assessed again."""

    selection: np.ndarray
    masks: np.ndarray
    confidence: np.ndarray

    @classmethod
    def concatenate(cls, parts: list[TilePicks]) -> TilePicks:
        return cls(*(np.concatenate([getattr(p, key) for p in parts])
                     for key in ("selection", "masks", "confidence")))


@dataclass
class ImageAssessment:
    """One image's result: per-tile scores (T x M), per-method image scores (M), the pick and its
    mask; with a safe selector, its default method, the margin another method must clear and the
    pick's predicted gain over the default; with a conformal calibration, each method's interval
    (``interval_level`` coverage for one tile's accuracy, around the image's score)."""

    name: str
    methods: list[str]
    tile_scores: np.ndarray
    scores: np.ndarray
    recommended: str
    labels: np.ndarray
    default: str | None = None
    # method -> that method's stitched class indices, only when assess(..., all_masks=True)
    method_labels: dict[str, np.ndarray] | None = None
    margin: float | None = None
    intervals: dict[str, tuple[float, float] | None] | None = None
    interval_level: float | None = None
    # The cell grid the tiles were assessed on: row i of tile_scores is its i-th tile (row-major)
    grid: TileGrid | None = None
    # Each tile's pick and its mask, only when assess(..., tile_picks=True)
    tile_picks: TilePicks | None = None

    @property
    def no_clear_winner(self) -> bool | None:
        """True when the runner-up's predicted accuracy lies inside the best method's interval:
        the data do not tell the two apart. None without intervals or a runner-up."""
        if not self.intervals or len(self.methods) < 2:
            return None
        low = np.array([(self.intervals.get(m) or (np.nan, np.nan))[0] for m in self.methods])
        if np.isnan(low[int(np.argmax(self.scores))]):
            return None
        return bool(no_clear_winner(self.scores, low)[0])

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
        import pandas as pd  # here, not at start-up: it is needed only once an image is assessed

        order = np.argsort(-self.scores, kind="stable")
        bounds = [(self.intervals or {}).get(self.methods[i]) or (np.nan, np.nan) for i in order]
        return pd.DataFrame({"image": self.name, "method": [self.methods[i] for i in order],
                             "predicted_oa": self.scores[order],
                             "interval_low": [low for low, _ in bounds],
                             "interval_high": [high for _, high in bounds],
                             "rank": np.arange(1, len(order) + 1),
                             "recommended": [self.methods[i] == self.recommended for i in order]})

    def summary(self) -> dict:
        margin = None if self.margin is None or not np.isfinite(self.margin) else float(self.margin)
        return {"method": self.recommended, "default": self.default,
                "kept_default": self.kept_default, "predicted_gain": self.predicted_gain,
                "margin": margin, "never_leaves_default": self.margin is not None and margin is None,
                "no_clear_winner": self.no_clear_winner, "interval_level": self.interval_level}


class Recommender:
    """Pool + semantic encoder + assessor, applied to unlabelled images."""

    def __init__(self, pool: list[PoolMember], encoder: SemanticEncoder, assessor: Assessor,
                 classmap: ClassMap, tile_size: int, batch_size: int = 16,
                 min_pixels: int | None = None, intervals: Intervals | None = None,
                 target: str = "oa", assessor_fingerprint: str | None = None):
        """``min_pixels`` (a tile's worth by default): smaller images are refused with a reason,
        since the mirror padding that fills their tile would be most of what gets assessed.
        ``target``: the accuracy the assessor predicts (``predicted_oa`` holds it, whichever).
        ``assessor_fingerprint``: which training of the assessor this is (a scene finished by
        another is assessed again); None where the assessor was not loaded from an experiment."""
        self.pool, self.encoder, self.assessor = pool, encoder, assessor
        self.classmap, self.tile_size, self.batch_size = classmap, tile_size, batch_size
        self.min_pixels = tile_size * tile_size if min_pixels is None else min_pixels
        self.intervals = intervals  # the assessor's conformal calibration, if it has one
        self.target = target
        self.assessor_fingerprint = assessor_fingerprint
        self.methods = [m.name for m in pool]
        self.decisions: dict[str, dict] = {}  # image -> its ImageAssessment.summary(), after run()
        self.skipped: list[dict] = []  # {"image": path, "error": one line} per image run() skipped
        self.written: list[Path] = []  # the files run() wrote
        self.resumed = 0  # images run() took from an interrupted run's records

    @classmethod
    def of(cls, experiment: TrainedExperiment, **options) -> Recommender:
        """The recommender of an opened experiment (``rssqa.experiment.open_experiment``);
        ``options``: ``batch_size``, ``min_pixels``."""
        return cls(experiment.pool, experiment.encoder, experiment.assessor, experiment.classmap,
                   experiment.tile_size, intervals=experiment.intervals,
                   target=experiment.config.target,
                   assessor_fingerprint=experiment.assessor_fingerprint, **options)

    def identity(self) -> dict:
        """What the answers depend on besides the image: the pool's members, the assessor as
        trained, the intervals' level and the tile size (results kept from a run with another
        identity are not this run's)."""
        return {"methods": self.methods, "members": [m.meta.get("fingerprint") for m in self.pool],
                "assessor": [type(self.assessor).__name__, self.assessor_fingerprint],
                "level": None if self.intervals is None else self.intervals.level,
                "tile": self.tile_size}

    def assess_file(self, path: str | Path, all_masks: bool = False) -> ImageAssessment:
        """:meth:`assess` on the image file at ``path``."""
        return self.assess(read_image(path), name=Path(path).stem, all_masks=all_masks)

    def _tiles(self, image: np.ndarray) -> tuple[TileGrid, np.ndarray]:
        """The image's cell grid (tiles overlapping by a quarter tile, slid inside the image at
        its edges) and its tiles' pixels, in grid order."""
        height, width = image.shape[:2]
        if min(height, width) < self.tile_size:  # too small for one tile: mirror-pad up to it
            pad = ((0, max(0, self.tile_size - height)), (0, max(0, self.tile_size - width)), (0, 0))
            image = np.pad(image, pad, mode="reflect")
        grid, s = image_grid(image.shape[0], image.shape[1], self.tile_size), self.tile_size
        return grid, np.stack([image[y:y + s, x:x + s] for y, x in grid.tile_origins()])

    def assess(self, image: np.ndarray, name: str = "image", all_masks: bool = False,
               tile_picks: bool = False) -> ImageAssessment:
        """Score, rank and segment one HxWx3 image; ``all_masks`` also keeps every method's
        stitched mask (for showing them side by side), at one HxW uint8 array per method;
        ``tile_picks`` keeps each tile's pick and mask (:class:`TilePicks`), from which the image
        is written as a scene without assessing it again (``rssqa.geo.scene.recommend_scene``).

        ``name`` is also the file stem under which pool members of saved predictions look for
        this image's prediction; one they cannot use raises ``InputError`` naming the file."""
        height, width = image.shape[:2]
        if height * width < self.min_pixels:
            raise InputError(None, f"{name} has {height} x {width} pixels, fewer than the "
                             f"{self.min_pixels} the assessment needs (one {self.tile_size}-px tile)",
                             "give a larger image, or lower the limit with `rssqa recommend "
                             "--min-pixels N` (Python: Recommender(min_pixels=N))")
        grid, tiles = self._tiles(image)
        refs = [TileRef(name, (height, width), x, y, self.tile_size) for y, x in grid.tile_origins()]
        for member in self.pool:
            member.check(refs[0])
        tile_scores, masks, confidence, picks = [], [], [], []
        for first in range(0, len(tiles), self.batch_size):
            batch = tiles[first:first + self.batch_size]
            ids = [f"{name}_{i}" for i in range(first, first + len(batch))]
            scores, segmented, sure = self.assess_batch(batch, refs[first:first + len(batch)], name, ids)
            tile_scores.append(scores)
            masks.append(segmented)
            confidence.append(sure)
            if tile_picks:
                picks.append(self.pick_tiles(scores, segmented, sure))
        tile_scores = np.concatenate(tile_scores)
        scores = tile_scores.mean(axis=0)
        best = self.methods[int(np.argmax(self.assessor.selection_scores(tile_scores).mean(axis=0)))]
        stitched = {method: self._stitch(grid, [m[method] for m in masks],
                                         [c[method] for c in confidence], (height, width))
                    for method in (self.methods if all_masks else [best])}
        return ImageAssessment(name, self.methods, tile_scores, scores, best, stitched[best],
                               default=self.assessor.default_method,
                               method_labels=stitched if all_masks else None,
                               margin=self.assessor.margin, grid=grid,
                               tile_picks=TilePicks.concatenate(picks) if tile_picks else None,
                               **self._intervals_of(tile_scores, scores))

    def _intervals_of(self, tile_scores: np.ndarray, scores: np.ndarray) -> dict:
        """Each method's interval around the image's score, as wide as its tiles' intervals are
        on average (an interval for one tile's accuracy, of the image's typical difficulty)."""
        if self.intervals is None:
            return {}
        half = self.intervals.half_widths(tile_scores).mean(axis=0)
        return {"intervals": {m: (max(0.0, s - h), min(1.0, s + h)) if np.isfinite(h) else None
                              for m, s, h in zip(self.methods, map(float, scores), map(float, half))},
                "interval_level": self.intervals.level}

    def assess_batch(self, batch: np.ndarray, refs: list[TileRef], source: str, tile_ids: list[str]
                     ) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Encode, segment and assess N x S x S x 3 tiles of one image ``source``: the N x M
        predicted accuracies, each method's N x S x S masks and their confidence per pixel
        (N x S x S uint8, as the tile blender takes it: ``quantise_confidence``)."""
        encoded = self.encoder.encode(batch)
        segmented = run_pool(self.pool, batch, refs)
        inputs = AssessmentInputs(
            tile_ids=tile_ids, methods=self.methods,
            semantic_tokens=encoded.tokens.numpy(), semantic_pooled=encoded.pooled.numpy(),
            seg_features=segmented.features, confidence=segmented.confidence, images=batch,
            sources=[source] * len(batch), signals=segmented.signals)
        confidence = {name: quantise_confidence(p) for name, p in segmented.max_probability.items()}
        return self.assessor.predict(inputs), segmented.masks, confidence

    def pick_tiles(self, scores: np.ndarray, masks: dict[str, np.ndarray],
                   confidence: dict[str, np.ndarray]) -> TilePicks:
        """Each tile's pick by the assessor's selection scores, with its mask and confidence,
        from :meth:`assess_batch`'s outputs."""
        selection = np.asarray(self.assessor.selection_scores(scores), np.float32)
        picked = [self.methods[pick] for pick in np.argmax(selection, axis=1)]
        return TilePicks(selection, np.stack([masks[m][i] for i, m in enumerate(picked)]),
                         np.stack([confidence[m][i] for i, m in enumerate(picked)]))

    def _stitch(self, grid: TileGrid, batches: list[np.ndarray], confidence: list[np.ndarray],
                shape: tuple[int, int]) -> np.ndarray:
        """One method's tile masks blended across the tiles' overlaps by their confidence, as a
        scene's are (one tiling-and-blending code for both), cropped to the image."""
        masks, sure = np.concatenate(batches), np.concatenate(confidence)
        labels = blend_tiles(grid, self.classmap.num_classes,
                             lambda row, col: masks[row * grid.cols + col],
                             lambda row, col: sure[row * grid.cols + col])
        return labels[:shape[0], :shape[1]]

    def run(self, paths: list[Path], out_dir: Path, verbose: bool = True,
            names: list[tuple[str, str]] | None = None, redo: bool = False) -> pd.DataFrame:
        """Assess every image, write its recommended segmentation and a ranking table.

        ``names``: (label for tables, stem for output files) per path, by default
        :func:`output_names`. Any failure on one image (unreadable, undecodable, or an error while
        assessing it) is reported on stderr with its path and skipped; the others are still
        written, and ``self.skipped`` lists the skipped ones. When no image succeeds no table is
        written, so an earlier run's tables in ``out_dir`` are kept. Every file is written whole
        or not at all, and ``self.written`` lists them. An image that an interrupted run into
        ``out_dir`` finished for the same image file and models is taken from its record
        (:mod:`rssqa.finished_images`) unless ``redo``; ``self.resumed`` counts them.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        rankings, picks, skipped, written, stems = [], {}, [], [], []
        identity, self.resumed = self.identity(), 0
        with progress_bar(verbose) as progress:
            task = progress.add_task("recommend", total=len(paths))
            for path, (label, stem) in zip(paths, names or output_names(paths)):
                key = finished_images.image_key(path, identity)
                record = None if redo else finished_images.finished(out_dir, stem, key)
                if record is not None:
                    ranking, picks[label] = _table(record["ranking"]), record["decision"]
                    self.resumed += 1
                else:
                    try:
                        result = self.assess_file(path)
                    except Exception as error:  # noqa: BLE001 - one bad image must not end the batch
                        skipped.append({"image": str(path), "error": _reason(path, error)})
                        progress.advance(task)
                        continue
                    result.name = label
                    files = self._write_masks(result, out_dir, stem)
                    ranking = result.ranking()
                    picks[label] = {**result.summary(), "input": str(path),
                                    "outputs": [p.name for p in files]}
                    finished_images.save(out_dir, stem, key, ranking.to_dict(orient="records"),
                                         picks[label])
                written += [out_dir / name for name in picks[label]["outputs"]]
                rankings.append(ranking)
                stems.append(stem)
                progress.advance(task)
        import pandas as pd  # here, after the first image: the start-up does without it

        table = pd.concat(rankings, ignore_index=True) if rankings else pd.DataFrame()
        if rankings:
            written += self._write_tables(table, picks, skipped, out_dir)
            finished_images.remove(out_dir, stems)
        self.decisions, self.skipped, self.written = picks, skipped, written
        if skipped and verbose:
            print(f"skipped {len(skipped)} image(s) that could not be read or segmented:", file=sys.stderr)
            for entry in skipped:
                print(f"  {entry['error']}", file=sys.stderr)
        return table

    def _write_masks(self, result: ImageAssessment, out_dir: Path, key: str) -> list[Path]:
        colours, labels = out_dir / f"{key}_segmentation.png", out_dir / f"{key}_labels.png"
        _save_png(colours, self.classmap.decode(result.labels))
        _save_png(labels, result.labels)
        return [colours, labels]

    def _write_tables(self, table: pd.DataFrame, picks: dict, skipped: list[dict],
                      out_dir: Path) -> list[Path]:
        atomic_write_text(out_dir / "scores.csv", table.to_csv(index=False))
        atomic_write_text(out_dir / "recommendations.json", standard_json(
            {"accuracy": self.target,
             "recommended": {name: pick["method"] for name, pick in picks.items()},
             "decisions": picks, "scores": table.to_dict(orient="records"), "skipped": skipped,
             "classes": list(self.classmap.names)}))
        return [out_dir / name for name in TABLES]


def _table(rows: list[dict]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows)


def _reason(path: Path, error: Exception) -> str:
    """One line naming the file: an InputError's own message (with the path when it has none),
    otherwise the exception's type and text."""
    if isinstance(error, InputError):
        return str(error) if error.path is not None else f"{path}: {error}"
    return f"{path}: {type(error).__name__}: {error}"


def _save_png(path: Path, array: np.ndarray) -> None:
    atomic_write_with(path, lambda stream: Image.fromarray(array).save(stream, format="PNG"))


TABLES = ("scores.csv", "recommendations.json")


def image_outputs(key: str) -> list[str]:
    """The files ``run`` writes for one image whose output stem is ``key``."""
    return [f"{key}_segmentation.png", f"{key}_labels.png"]


def output_names(paths: list[Path], root: Path | None = None) -> list[tuple[str, str]]:
    """(label for tables, stem for output files) per path. The label is the path relative to
    ``root`` (default: the file name) without its suffix, and the stem the same with ``_`` for
    ``/`` (``sub/a.png`` -> ``sub/a``, ``sub_a``). Where labels repeat (case-blind, as on macOS and
    Windows) they keep their suffix (``dup.jpg`` -> ``dup.jpg``, ``dup_jpg``); a stem clash left
    after that gets ``_2``, ``_3``..."""
    relative = [Path(p).relative_to(root) if root is not None else Path(Path(p).name) for p in paths]
    bases = [rel.with_suffix("").as_posix() for rel in relative]
    counts: dict[str, int] = {}
    for base in bases:
        counts[base.lower()] = counts.get(base.lower(), 0) + 1
    names, used = [], set()
    for rel, base in zip(relative, bases):
        label = rel.as_posix() if counts[base.lower()] > 1 else base
        key = label.replace("/", "_").replace(".", "_") if counts[base.lower()] > 1 else base.replace("/", "_")
        stem, n = key, 1
        while key.lower() in used:
            n += 1
            key = f"{stem}_{n}"
        if label.lower() in {name.lower() for name, _ in names}:
            label = rel.as_posix()
        used.add(key.lower())
        names.append((label, key))
    return names


def find_images(target: Path, recursive: bool = False, exclude: Path | None = None) -> list[Path]:
    """``target`` itself if it is a file, else the images inside the folder (sorted); with
    ``recursive``, those in its subfolders too, except hidden ones and ``exclude`` (the output
    folder, so that a run never assesses its own outputs)."""
    target = Path(target)
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise InputError(target, "does not exist", "give an image file or a folder of images")
    found = target.rglob("*") if recursive else target.iterdir()
    skip = None if exclude is None else Path(exclude).resolve()
    paths = sorted(p for p in found if p.suffix.lower() in IMAGE_SUFFIXES
                   and not _hidden_or_excluded(p.relative_to(target), target, skip))
    if not paths:
        hint = f"put {', '.join(IMAGE_SUFFIXES)} files there"
        raise InputError(target, "holds no image", hint if recursive or not subfolders(target)
                         else f"{hint}, or pass --recursive to look in its subfolders")
    return paths


def subfolders(folder: Path) -> list[Path]:
    """The visible subfolders of ``folder``, which a search without --recursive leaves out."""
    return sorted(p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith(".")
                  and p.suffix.lower() not in IMAGE_SUFFIXES)  # those are reported as bad images


def _hidden_or_excluded(relative: Path, root: Path, excluded: Path | None) -> bool:
    if any(part.startswith(".") for part in relative.parts):
        return True
    return excluded is not None and (excluded == (root / relative).resolve()
                                     or excluded in (root / relative).resolve().parents)
