"""The experiment's stages, from a config: build the SQED (training the pool first), train the
assessors, evaluate them.

Each stage caches its output under the experiment's output folder and is skipped when that output
is already there and up to date, so ``rssqa build`` after ``rssqa train-pool`` costs nothing twice.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rssqa.config import ExperimentConfig, target_name
from rssqa.config_check import check_registered
from rssqa.data.assignment import pool_samples, sqed_samples, sqed_split, write_assignment
from rssqa.data.classmap import ClassMap
from rssqa.data.io import raster_reading
from rssqa.data.labelled import load_source
from rssqa.data.types import Sample
from rssqa.encoders import build_encoder
from rssqa.files import atomic_write_text, folder_replaced_whole
from rssqa.pool.records import is_external
from rssqa.pool.training import train_pool
from rssqa.sqed.store import SQEDStore
from rssqa.trained_settings import check_trained_settings, record_trained_for

if TYPE_CHECKING:
    from rssqa.assess.base import AssessmentInputs


def build_store(config: ExperimentConfig, verbose: bool = True) -> SQEDStore:
    """Train the pool if needed, then build (or resume) the SQED store on the assessment groups."""
    from rssqa.sqed.builder import build_sqed

    check_registered(config)  # a misnamed entry is named before any data is read
    samples, classmap = load_source(config)
    rule = config.split_rule
    sqed_part = sqed_samples(samples, rule)
    split_of = sqed_split(sqed_part, rule)
    check = check_build_inputs(config, samples, classmap, split_of, verbose)
    encoder = build_encoder(config)  # a bad encoder setting fails here, not after the pool trains
    pool = train_pool(config, verbose=verbose, source=(samples, classmap))
    write_assignment(config.output_dir / "splits.json", samples, rule, split_of)
    with raster_reading(config.raster_settings):
        return build_sqed(config.layout.sqed, sqed_part, split_of,
                          pool, encoder, classmap, config.tile_size,
                          build_info={**rule.build_info(), "encoder": json.loads(
                              json.dumps(config.encoder.kwargs, default=str))},
                          batch_size=config.sqed.batch_size, verbose=verbose,
                          train_stride=config.sqed.train_stride, check=check)


def check_build_inputs(config: ExperimentConfig, samples: list[Sample], classmap: ClassMap,
                       split_of: dict[str, str], verbose: bool = True):
    """Open every image the build uses (the pool's training images, the SQED splits) before
    anything trains; write what cannot be used, and why, to ``sqed_report.txt`` beside the store
    (``sqed_report.attempt.txt`` while a finished store is rebuilt, until the build finishes);
    a part left without a labelled tile is one InputError naming it (rssqa.sqed.check)."""
    from rssqa.sqed.builder import check_splits
    from rssqa.sqed.check import BuildCheck, draft_report_path

    check = BuildCheck(classmap, config.tile_size)
    sqed_part = [s for s in samples if s.source_id in split_of]
    with raster_reading(config.raster_settings):
        if any(not is_external(entry.name) for entry in config.pool.methods):
            check.check("pool", pool_samples(samples, config.split_rule))
        check_splits(sqed_part, split_of, classmap, config.tile_size, config.sqed.train_stride, check)
    report = draft_report_path(config.layout.sqed)
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

    check_assessor_names(names)
    check_trained_settings(config, store)
    if verbose:
        _note_few_images(store)
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
        if len(getattr(assessor, "choice", [])) > 1:  # a result: printed under --quiet too
            print(choice_sentence(name, assessor.choice))
        if assessor.margin == np.inf:  # a safe selector that keeps its default everywhere
            print(f"{name}: recommends {assessor.default_method} everywhere: no other method's "
                  "predicted gain paid on held-out training images (its accuracy predictions "
                  "and intervals are still reported)")
        directory = config.layout.assessors / name
        with folder_replaced_whole(directory) as staging:
            assessor.save(staging)
            record_trained_for(staging, config.target, store)
        saved[name] = directory
    return saved


def _note_few_images(store: SQEDStore) -> None:
    """A line when the train split holds fewer labelled images than the default needed on
    Dubai-8 to learn picks of its own, and how to see whether more would help here."""
    from rssqa.report.learning_curve import ENOUGH_IMAGES

    labelled = store.tiles.loc[store.tiles["split"] == "train", "source_id"].nunique()
    if labelled < ENOUGH_IMAGES:
        print(f"note: the SQED train split holds {labelled} labelled source image(s); on the "
              f"Dubai eight-method store the default learnt picks of its own from about "
              f"{ENOUGH_IMAGES}, and kept the single best method with fewer. `rssqa "
              "learning-curve -c CONFIG` shows whether more would help on these data")


def choice_sentence(name: str, choice: list[dict]) -> str:
    """The table a selector chose its base from, and the rule, as ``rssqa train`` prints it."""
    from rssqa.assess.selectors.safe import TIE, choice_table

    table = choice_table(choice)[["chosen", "base", "srocc", "gap_closed", "accuracy_of_picks",
                                  "margin", "switched_share"]]
    return (f"{name}: base chosen by cross-fitting over the training split's source images (among "
            f"those within {TIE} of the best held-out SROCC, the largest held-out gap closed; within "
            f"{TIE} of it, the simpler; a margin kept only where its gain on images it was not "
            f"chosen on exceeds one standard error):\n"
            + table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def evaluate_assessors(config: ExperimentConfig, store: SQEDStore, names: list[str], n_boot: int = 1000,
                       verbose: bool = True):
    """Evaluate saved assessors on the test split; writes tables, a scatter plot and picks.

    Picks, P@1/P@3 and the selection measures use each assessor's ``selection_scores``; the
    single best solver (SBS) is the method with the best mean on the train split. Writes
    ``selection.csv`` (per tile) and ``selection_images.csv`` (per source image) beside the
    summary, and ``interval_coverage.csv`` for the assessors that have a conformal calibration.
    Returns (summary table, per-method table, {name: N x M predictions}).
    """
    from rssqa.assess.registry import load_assessor
    from rssqa.report.interval_coverage import coverage_sentence, saved_interval_coverage
    from rssqa.report.evaluation import (evaluate_predictions, per_method_table, references_sentence,
                                selection_records, selection_table, summary_table)
    from rssqa.metrics import single_best

    check_trained_settings(config, store, names)
    test = store.inputs("test", label=config.target)
    sbs = single_best(store.inputs("train", label=config.target).targets)
    test_with_images = None
    evaluations, predictions, selections, coverages = [], {}, {}, []
    for name in names:
        assessor = load_assessor(config.layout.assessors / name)
        if assessor.needs_images and test_with_images is None:
            test_with_images = store.inputs("test", with_images=True, label=config.target)
        pred = assessor.predict(test_with_images if assessor.needs_images else test)
        predictions[name] = pred
        selections[name] = np.asarray(assessor.selection_scores(pred), dtype=np.float64)
        evaluations.append(evaluate_predictions(pred, test.targets, test.methods, assessor=name,
                                                n_boot=n_boot, seed=config.seed,
                                                selection=selections[name], sbs=sbs,
                                                sources=test.sources))
        coverages.append(saved_interval_coverage(config.layout.assessors / name, pred, test,
                                                 name, config.seed))
    # Written only once every assessor is evaluated: a run that fails on one (a damaged file)
    # leaves the earlier reports as they were, not a mix of two runs.
    out = config.layout.reports
    _write_scatter_plots(out, predictions, test, target_name(config.target))
    summary, per_method = summary_table(evaluations), per_method_table(evaluations)
    images = selection_records(evaluations, "image")
    tables = {"summary.csv": summary, "per_method.csv": per_method,
              "selection.csv": selection_records(evaluations, "tile"),
              "selection_images.csv": images,
              "recommendations.csv": recommendations_table(test, selections)}
    if any(frame is not None for frame in coverages):
        tables["interval_coverage.csv"] = pd.concat(coverages, ignore_index=True)
    for file_name, table in tables.items():
        atomic_write_text(out / file_name, table.to_csv(index=False))
    if verbose:
        print(summary.attrs["references"])
        print(references_sentence(images))
        print(selection_table(evaluations, "image").to_string(index=False))
    if "interval_coverage.csv" in tables:  # a result, like the tables: printed under --quiet too
        print(coverage_sentence(tables["interval_coverage.csv"]))
    return summary, per_method, predictions


def _write_scatter_plots(out: Path, predictions: dict[str, np.ndarray], test: AssessmentInputs,
                         measure: str) -> None:
    """``scatter_<assessor>.png``: predicted against true accuracy per method on the test tiles."""
    from rssqa.report.plots import scatter_predicted_vs_true

    for name, pred in predictions.items():
        scatter_predicted_vs_true(pred, test.targets, test.methods, out / f"scatter_{name}.png",
                                  title=f"{name}: predicted vs true {measure} on {len(test)} test "
                                        "tiles", measure=measure)


def recommendations_table(test: AssessmentInputs, selections: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per test tile: each assessor's pick, the true best method and every method's accuracy."""
    picks = pd.DataFrame({"tile_id": test.tile_ids})
    for name, scores in selections.items():
        picks[f"recommended_by_{name}"] = [test.methods[i] for i in np.argmax(scores, axis=1)]
    picks["true_best"] = [test.methods[i] for i in np.argmax(test.targets, axis=1)]
    for j, method in enumerate(test.methods):
        picks[f"true_oa_{method}"] = test.targets[:, j]
    return picks


LEARNING_CURVE = "learning_curve"  # reports/learning_curve.{csv,md,png}


def learning_curve_stage(config: ExperimentConfig, store: SQEDStore, sizes: list[int | str],
                         draws: int, names: list[str] | None = None,
                         verbose: bool = True) -> tuple[pd.DataFrame, str]:
    """``rssqa learning-curve``: the assessors ``names`` (default: the config's, and the
    label-free agreement beside it) trained on ``draws`` random draws of each number of
    labelled source images in ``sizes`` (``"all"``: the whole train split) and scored on the
    test split (``rssqa.report.learning_curve``). Writes the draws, the table and the figure
    to the reports folder once every draw is done; a run stopped before resumes from the
    draws it finished. Returns the table and the sentence on the config's assessor's trend."""
    from rssqa.assess.registry import assessor_class
    from rssqa.cache import KEY
    from rssqa.errors import InputError
    from rssqa.finished_images import PARTS_DIR
    from rssqa.progress import progress_bar
    from rssqa.report.learning_curve import (failed_draws, fitted_draws, learning_curve,
                                             plan_draws, remove_records, summary_table, verdict)

    names = names or list(dict.fromkeys([config.assessor.name, "agreement"]))
    check_assessor_names(names)
    check_trained_settings(config, store)
    with_images = any(assessor_class(name).needs_images for name in names)
    train, test = (store.inputs(split, with_images=with_images, label=config.target)
                   for split in ("train", "test"))
    images = len(set(train.sources))
    plan = plan_draws(train.sources, [images if size == "all" else size for size in sizes], draws)
    assessors = {name: (name, dict(config.assessor.kwargs) if name == config.assessor.name else {})
                 for name in names}
    work = config.layout.reports / PARTS_DIR / LEARNING_CURVE
    context = {"store": store.manifest.get(KEY), "target": config.target}
    began = time.perf_counter()
    with progress_bar(verbose) as progress:
        task = progress.add_task("learning curve", total=len(plan) * len(assessors))

        def advance(row: dict) -> None:
            progress.update(task, advance=1, description=f"learning curve: {row['images']} images")

        draws_table = learning_curve(train, test, assessors, plan, work, context, advance)
    if fitted_draws(draws_table).empty:
        raise InputError(None, f"none of the {len(draws_table)} draws could be fitted (e.g. "
                         f"{draws_table['error'].iloc[0]})",
                         "give larger --sizes, or build the SQED from more labelled images")
    table = summary_table(draws_table)
    sentence = verdict(draws_table, names[0])
    about = (f"{images} train source images, {len(test)} test tiles; {len(plan)} draws ({draws} "
             f"per size). Cells: mean ± sd (min) over draws. {time.perf_counter() - began:.0f} s.")
    _write_learning_curve(config, draws_table, table, f"{about}\n\n{sentence}")
    remove_records(work)
    with contextlib.suppress(OSError):
        work.parent.rmdir()  # the work folder, if nothing else of rssqa's waits there
    if draws_table.attrs.get("resumed"):
        print(f"resumed: {draws_table.attrs['resumed']} draw(s) finished by an earlier run")
    failed = failed_draws(draws_table)
    if len(failed):  # too few images for an assessor to fit: a result, said rather than hidden
        first = failed.iloc[0]
        print(f"{len(failed)} draw(s) could not be fitted, e.g. {first['assessor']} on "
              f"{first['images']} image(s): {first['error']} ({LEARNING_CURVE}.csv lists them)")
    return table, sentence


def _write_learning_curve(config: ExperimentConfig, draws: pd.DataFrame, table: pd.DataFrame,
                          preamble: str) -> None:
    """``reports/learning_curve.{csv,md,png}``: every draw, the table under ``preamble``, the
    figure; each file whole."""
    from rssqa.report.learning_curve import fitted_draws
    from rssqa.report.plots import learning_curve_figure

    out, measure = config.layout.reports, target_name(config.target)
    atomic_write_text(out / f"{LEARNING_CURVE}.csv", draws.to_csv(index=False))
    atomic_write_text(out / f"{LEARNING_CURVE}.md", f"# Learning curve: {config.name}, {measure}"
                      f"\n\n{preamble}\n\n{table.to_markdown(index=False)}\n")
    learning_curve_figure(fitted_draws(draws), out / f"{LEARNING_CURVE}.png", measure)
