"""The experiment's stages, from a config: train the pool, build the SQED, train the assessor.

Each stage caches its output under the experiment's output folder and is skipped when that output
is already there and up to date, so ``rssqa build`` after ``rssqa train-pool`` costs nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rssqa.cache import fingerprint
from rssqa.config import ExperimentConfig, check_pool, check_registered
from rssqa.data.assignment import SplitRule, pool_samples, sqed_samples, sqed_split, write_assignment
from rssqa.data.classmap import ClassMap
from rssqa.data.grid import apply_grouping
from rssqa.data.io import raster_reading
from rssqa.data.sources import create_source
from rssqa.data.sqed import SQEDStore
from rssqa.data.tiling import SkipLog, iter_tile_data
from rssqa.data.types import Sample
from rssqa.encoders import SemanticEncoder, create_encoder
from rssqa.segzoo import get_method
from rssqa.errors import InputError
from rssqa.geo.settings import RasterSettings
from rssqa.segzoo.member import PoolMember
from rssqa.segzoo.members import MEMBER_FILE, create_member, is_external, load_member, save_member
from rssqa.segzoo.train import load_trained, train_method
from rssqa.utils import seed_everything


@dataclass
class Layout:
    """Where an experiment keeps each stage's output."""

    root: Path

    @property
    def pool(self) -> Path:
        return self.root / "pool"

    @property
    def sqed(self) -> Path:
        return self.root / "sqed"

    @property
    def assessors(self) -> Path:
        return self.root / "assessors"

    @property
    def reports(self) -> Path:
        return self.root / "reports"


def load_source(config: ExperimentConfig) -> tuple[list[Sample], ClassMap]:
    """The source's samples, grouped as ``data.group_by`` asks (``grid``: blocks of
    ``data.block_tiles`` x ``data.block_tiles`` tiles), and its class map."""
    options = dict(config.data)
    kind = options.pop("kind", "demo")
    group_by, block_tiles = options.pop("group_by", "source"), options.pop("block_tiles", 4)
    if kind == "demo":
        from rssqa.data.demo import demo_source

        source = demo_source()
    else:
        source = create_source(kind, **options)
    samples = apply_grouping(source.samples(), group_by, config.tile_size, block_tiles)
    return samples, source.classmap


def split_rule(config: ExperimentConfig) -> SplitRule:
    """The config's split settings: named groups or seeded shares (rssqa.data.assignment)."""
    return SplitRule(config.seed, tuple(config.pool.groups), config.pool.fraction,
                     tuple(config.sqed.groups), config.sqed.test_per_group, config.sqed.test_fraction)


def raster_settings(config: ExperimentConfig) -> RasterSettings | None:
    """The experiment's ``raster:`` section: which bands of GeoTIFF sources the models see, their
    stretch to 8 bits and their nodata; None without one (TIFFs are then read as other images)."""
    return RasterSettings.from_dict(config.raster) if config.raster else None


def load_tiles(samples: list[Sample], tile_size: int, classmap: ClassMap, skipped: SkipLog,
               settings: RasterSettings | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """All labelled tiles of ``samples`` in memory: ids, N x S x S x 3 images, N x S x S masks.
    With raster ``settings``, TIFF images are read with them and their nodata pixels are
    unlabelled (a tile left without labels is dropped)."""
    ids, images, masks = [], [], []
    with raster_reading(settings):
        for tile_data in iter_tile_data(samples, tile_size, classmap, on_error=skipped.add):
            if np.any(tile_data.mask != classmap.ignore_index):
                ids.append(tile_data.tile.tile_id)
                images.append(tile_data.image)
                masks.append(tile_data.mask)
    if not ids:
        raise InputError(None, f"no labelled {tile_size}-px tile in the {len(samples)} source "
                         f"image(s) of the pool's training data ({len(skipped.entries)} skipped"
                         + (f"; first: {skipped.entries[0][1]})" if skipped.entries else ")"),
                         "fix those files, or the class map, tile_size or pool groups")
    return ids, np.stack(images), np.stack(masks)


def train_pool(config: ExperimentConfig, verbose: bool = True) -> list[PoolMember]:
    """Every member of the pool, in config order: registry methods trained (or loaded, when
    already trained) on the pool groups; saved predictions and user models (``name: predictions``
    / ``name: torch``) opened and recorded in the pool folder, never trained."""
    names = check_pool(config.pool.methods)  # a bad entry fails before any data is read
    samples, classmap = load_source(config)
    trained = [e for e in config.pool.methods if not is_external(e.name)]
    training = _pool_training_data(config, samples, classmap, verbose) if trained else None
    Layout(config.output_dir).pool.mkdir(parents=True, exist_ok=True)
    (raster_settings(config) or RasterSettings()).save(Layout(config.output_dir).pool)
    pool: list[PoolMember] = []
    for entry, name in zip(config.pool.methods, names):
        directory = Layout(config.output_dir).pool / name
        if is_external(entry.name):
            pool.append(create_member(entry.name, entry.kwargs, classmap))
            save_member(directory, entry.name, entry.kwargs, classmap)
            continue
        images, masks, data_id = training
        pool.append(train_method(get_method(entry.name), images, masks, classmap.num_classes,
                                 directory, config.pool.train, method_kwargs=entry.kwargs,
                                 data_id=data_id, verbose=verbose))
    return pool


def _pool_training_data(config: ExperimentConfig, samples: list[Sample], classmap: ClassMap,
                        verbose: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """The pool groups' tiles and masks, and their fingerprint (the trainer's cache key)."""
    pool_part = pool_samples(samples, split_rule(config))
    skipped, settings = SkipLog(), raster_settings(config)
    ids, images, masks = load_tiles(pool_part, config.tile_size, classmap, skipped, settings)
    if verbose:
        groups = sorted({s.group for s in pool_part})
        print(f"pool training data: {len(ids)} tiles of {config.tile_size} px from "
              f"{len(pool_part)} images in {len(groups)} group(s): {', '.join(groups[:10])}")
        if skipped.entries:
            print(skipped.summary())
    data = {"tiles": ids}
    if settings is not None:  # pools trained before raster settings existed stay valid
        data["raster"] = settings.to_dict()
    return images, masks, fingerprint(data)


def load_pool(directory: Path, methods: list[str] | None = None) -> list[PoolMember]:
    """The pool members recorded in ``directory`` (one sub-folder each: a trained method's
    weights, or the ``member.json`` of saved predictions or a user model)."""
    directory = Path(directory)
    names = methods or sorted(p.name for p in directory.iterdir()
                              if (p / "meta.json").exists() or (p / MEMBER_FILE).exists())
    if not names:
        raise InputError(directory, "holds no trained segmentation method", "run `rssqa build CONFIG`")
    return [load_member(directory / name) if (directory / name / MEMBER_FILE).exists()
            else load_trained(directory / name) for name in names]


def build_encoder(config: ExperimentConfig) -> SemanticEncoder:
    # Seeded so that any randomly initialised part is the same in every process that builds it.
    seed_everything(config.seed)
    return create_encoder(config.encoder.name, **config.encoder.kwargs)


def assessment_split(config: ExperimentConfig, samples: list[Sample]) -> dict[str, str]:
    return sqed_split(samples, split_rule(config))


def build_store(config: ExperimentConfig, verbose: bool = True) -> SQEDStore:
    """Train the pool if needed, then build (or resume) the SQED store on the assessment groups."""
    from rssqa.data.build import build_sqed

    check_registered(config)  # a misnamed entry is named before any data is read
    samples, classmap = load_source(config)
    sqed_part = sqed_samples(samples, split_rule(config))
    split_of = assessment_split(config, sqed_part)
    check = check_build_inputs(config, samples, classmap, split_of, verbose)
    encoder = build_encoder(config)  # a bad encoder setting fails here, not after the pool trains
    pool = train_pool(config, verbose=verbose)
    write_assignment(config.output_dir / "splits.json", samples, split_rule(config), split_of)
    with raster_reading(raster_settings(config)):
        return build_sqed(Layout(config.output_dir).sqed, sqed_part, split_of,
                          pool, encoder, classmap, config.tile_size,
                          build_info={**split_rule(config).build_info(), "encoder": json.loads(
                              json.dumps(config.encoder.kwargs, default=str))},
                          batch_size=config.sqed.batch_size, verbose=verbose,
                          train_stride=config.sqed.train_stride, check=check)


def check_build_inputs(config: ExperimentConfig, samples: list[Sample], classmap: ClassMap,
                       split_of: dict[str, str], verbose: bool = True):
    """Open every image the build uses (the pool's training images, the SQED splits) before
    anything trains; write what cannot be used, and why, to ``sqed_report.txt`` beside the store
    (``sqed_report.attempt.txt`` while a finished store is rebuilt, until the build finishes);
    a part left without a labelled tile is one InputError naming it (rssqa.data.build_check)."""
    from rssqa.data.build import check_splits
    from rssqa.data.build_check import BuildCheck, draft_report_path

    check = BuildCheck(classmap, config.tile_size)
    sqed_part = [s for s in samples if s.source_id in split_of]
    with raster_reading(raster_settings(config)):
        if any(not is_external(entry.name) for entry in config.pool.methods):
            check.check("pool", pool_samples(samples, split_rule(config)))
        check_splits(sqed_part, split_of, classmap, config.tile_size, config.sqed.train_stride, check)
    report = draft_report_path(Layout(config.output_dir).sqed)
    if check.skipped:  # even under --quiet: a skipped file is news
        print(check.brief(report))
    elif verbose:
        print(check.summary())
    check.require_tiles(report, "before training the pool")
    return check


# Trained beside the config's assessor: the paper's RS-SQA, the label-free estimators, and the
# references every recommender must beat (chance and the best-on-average prior).
DEFAULT_BASELINES = ("rssqa", "agreement", "atc", "doc", "confidence-maxprob", "confidence-entropy",
                     "prior", "random")


def default_assessors(config: ExperimentConfig) -> list[str]:
    """The config's assessor first, then every default baseline it is not already."""
    return list(dict.fromkeys([config.assessor.name, *DEFAULT_BASELINES]))


def check_assessor_names(names: list[str]) -> None:
    """Every name must be a registered assessor; an unknown one is one line listing the known."""
    from rssqa.assess.registry import available_assessors
    from rssqa.errors import UnknownNameError

    known = available_assessors()
    for name in names:
        if name not in known:
            raise UnknownNameError(None, f"unknown assessor {name!r}", f"use one of: {', '.join(known)}")


def train_assessors(config: ExperimentConfig, store: SQEDStore, names: list[str],
                    verbose: bool = True) -> dict[str, Path]:
    """Fit each named assessor on the store's train split and save it; returns name -> folder.

    The assessor named in the config gets the config's kwargs; the others their defaults.
    """
    from rssqa.assess.registry import create_assessor
    from rssqa.trained_settings import check_trained_settings

    check_assessor_names(names)
    check_trained_settings(config, Layout(config.output_dir), store)
    saved = {}
    train_with_images = None
    for name in names:
        kwargs = dict(config.assessor.kwargs) if name == config.assessor.name else {}
        if name == "rssqa":
            kwargs.setdefault("verbose", verbose)
        assessor = create_assessor(name, **kwargs)
        if assessor.needs_images and train_with_images is None:
            train_with_images = store.inputs("train", with_images=True, label=config.target)
        assessor.fit(train_with_images if assessor.needs_images
                     else store.inputs("train", label=config.target))
        directory = Layout(config.output_dir).assessors / name
        assessor.save(directory)
        saved[name] = directory
    return saved


def evaluate_assessors(config: ExperimentConfig, store: SQEDStore, names: list[str], n_boot: int = 1000,
                       verbose: bool = True):
    """Evaluate saved assessors on the test split; writes tables, a scatter plot and picks.

    Picks, P@1/P@3 and the selection measures use each assessor's ``selection_scores``; the
    single best solver (SBS) is the method with the best mean on the train split. Writes
    ``selection.csv`` (per tile) and ``selection_images.csv`` (per source image) beside the
    summary. Returns (summary table, per-method table, {name: N x M predictions}).
    """
    from rssqa.assess.registry import load_assessor
    from rssqa.evaluate import (evaluate_predictions, per_method_table, references_sentence,
                                selection_records, selection_table, summary_table)
    from rssqa.metrics import single_best
    from rssqa.report.plots import scatter_predicted_vs_true
    from rssqa.trained_settings import check_trained_settings

    check_trained_settings(config, Layout(config.output_dir), store)
    out = Layout(config.output_dir).reports
    out.mkdir(parents=True, exist_ok=True)
    test = store.inputs("test", label=config.target)
    sbs = single_best(store.inputs("train", label=config.target).targets)
    test_with_images = None
    evaluations, predictions, selections = [], {}, {}
    for name in names:
        assessor = load_assessor(Layout(config.output_dir).assessors / name)
        if assessor.needs_images and test_with_images is None:
            test_with_images = store.inputs("test", with_images=True, label=config.target)
        pred = assessor.predict(test_with_images if assessor.needs_images else test)
        predictions[name] = pred
        selections[name] = np.asarray(assessor.selection_scores(pred), dtype=np.float64)
        evaluations.append(evaluate_predictions(pred, test.targets, test.methods, assessor=name,
                                                n_boot=n_boot, seed=config.seed,
                                                selection=selections[name], sbs=sbs,
                                                sources=test.sources))
        scatter_predicted_vs_true(pred, test.targets, test.methods, out / f"scatter_{name}.png",
                                  title=f"{name}: predicted vs true OA on {len(test)} test tiles")
    summary, per_method = summary_table(evaluations), per_method_table(evaluations)
    summary.to_csv(out / "summary.csv", index=False)
    per_method.to_csv(out / "per_method.csv", index=False)
    selection_records(evaluations, "tile").to_csv(out / "selection.csv", index=False)
    images = selection_records(evaluations, "image")
    images.to_csv(out / "selection_images.csv", index=False)
    if verbose:
        print(summary.attrs["references"])
        print(references_sentence(images))
        print(selection_table(evaluations, "image").to_string(index=False))
    picks = pd.DataFrame({"tile_id": test.tile_ids})
    for name, scores in selections.items():
        picks[f"recommended_by_{name}"] = [test.methods[i] for i in np.argmax(scores, axis=1)]
    picks["true_best"] = [test.methods[i] for i in np.argmax(test.targets, axis=1)]
    for j, method in enumerate(test.methods):
        picks[f"true_oa_{method}"] = test.targets[:, j]
    picks.to_csv(out / "recommendations.csv", index=False)
    return summary, per_method, predictions
