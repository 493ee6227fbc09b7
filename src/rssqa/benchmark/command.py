"""The work behind ``rssqa benchmark --config CONFIG`` (its options live in ``rssqa.cli``): every assessor
and ablation over seeds, statistics, one HTML report.

Outputs under the config's ``output`` folder: ``report.html`` (self-contained), ``report.md`` (the
same, figures linked), ``tables/*.csv`` (unformatted numbers), ``figures/*.png``,
``predictions/*.npz`` (the resumable cache) and ``run_benchmark.json`` (resolved config, seed,
versions).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rssqa.benchmark.config import MAIN_TABLE, BenchmarkConfig
from rssqa.benchmark.runner import BenchmarkData, RunResult, load_benchmark_data, run_all
from rssqa.benchmark.statistics import (CORRELATIONS, coverage_table, cost_table, formatted,
                                        formatted_selection, losses_of_reference, metric_table,
                                        paired_tests, per_image_results, per_method_table,
                                        selection_references, selection_table, table_metrics)
from rssqa.metrics import best_method_counts, precision_at_1, single_best, srocc
from rssqa.report.benchmark_report import BenchmarkTables, write_benchmark_report
from rssqa.report.plots import scatter_predicted_vs_true, tsne_by_quality
from rssqa.files import write_run_record

def _mean_srocc(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.mean([srocc(pred[:, m], true[:, m]) for m in range(true.shape[1])]))


# The paired tests; SROCC without the memo, which would also fit PLCC's logistic.
PAIRED_METRICS = {"SROCC": _mean_srocc, "P@1": precision_at_1}


def run_benchmark(config: BenchmarkConfig, data: BenchmarkData | None = None) -> Path:
    """The whole benchmark; ``data`` defaults to the config's SQED store."""
    start = time.perf_counter()
    if config.threads:
        torch.set_num_threads(int(config.threads))
    config.output.mkdir(parents=True, exist_ok=True)
    write_run_record(config.output, "benchmark", config.source or {}, config.seeds[0])
    data = data if data is not None else load_benchmark_data(config)
    results = run_all(config, data)
    tables = build_tables(config, data, results)
    tables.setup.append(f"Wall time of this run: {time.perf_counter() - start:.0f} s (predictions "
                        "already cached from an earlier run are not re-computed).")
    return write_benchmark_report(config.output / "report.html", tables)


def build_tables(config: BenchmarkConfig, data: BenchmarkData,
                 results: list[RunResult]) -> BenchmarkTables:
    true = np.asarray(data.test.targets, dtype=np.float64)
    methods = data.test.methods
    metrics = table_metrics(len(methods))
    by_label = {r.spec.label: r for r in results}
    reference = by_label[config.reference]
    main = [r for r in results if r.spec.table == MAIN_TABLE]
    tables_dir = config.output / "tables"
    tables_dir.mkdir(exist_ok=True)

    numbers = metric_table(main, true, metrics, config.n_boot, config.seeds[0])
    numbers.to_csv(tables_dir / "main.csv")
    correlations = formatted(numbers, list(CORRELATIONS))
    ranking = formatted(numbers, [m for m in metrics if m.startswith("P@")])

    ablations = {}
    for table in dict.fromkeys(r.spec.table for r in results if r.spec.table != MAIN_TABLE):
        rows = [reference] + [r for r in results if r.spec.table == table]
        # Same metrics, hence the same memo: the reference's logistic fits are not redone per table.
        ablation_numbers = metric_table(rows, true, metrics, config.n_boot, config.seeds[0])
        ablation_numbers.to_csv(tables_dir / f"ablation_{table}.csv")
        ablations[table] = formatted(ablation_numbers, list(metrics))

    paired = paired_tests(reference, [r for r in results if r is not reference], true,
                          PAIRED_METRICS, config.n_boot, config.seeds[0])
    paired.to_csv(tables_dir / "paired_tests.csv")
    coverage = coverage_table(results, np.asarray(data.calibration.targets, np.float64), true,
                              config.coverage_levels)
    coverage.to_csv(tables_dir / "conformal_coverage.csv")
    costs = cost_table(results)
    costs.to_csv(tables_dir / "costs.csv")
    per_method = per_method_table(main, true, methods)
    per_method.to_csv(tables_dir / "per_method.csv")
    selection, selection_images, references = _selection(config, data, main)

    figures = config.output / "figures"
    scatter = [(r.spec.label, scatter_predicted_vs_true(
        r.test[0], true, methods, figures / f"scatter_{index:02d}.png",
        title=f"{r.spec.label} (seed {r.seeds[0]})")) for index, r in enumerate(main)]
    thumbnails = reference_thumbnails(config, data, reference, figures / "thumbnails.png")
    tsne = None
    if len(data.test) >= 5:
        tsne = tsne_by_quality(data.test.semantic_pooled, true.mean(axis=1), figures / "tsne.png",
                               title="t-SNE of pooled semantic features (test tiles)",
                               seed=config.seeds[0])

    return BenchmarkTables(
        thumbnails=thumbnails,
        reference=config.reference, correlations=correlations, ranking=ranking,
        selection=selection, selection_images=selection_images, selection_references=references,
        per_method=per_method.round(4), ablations=ablations, paired=paired.round(4),
        coverage=coverage.round(3), costs=costs.round(2),
        inference=_inference(config, data),
        losses=explain_losses(config, numbers, list(metrics), paired, true, methods),
        setup=_setup(config, data), scatter_figures=scatter, tsne_figure=tsne)


def _selection(config: BenchmarkConfig, data: BenchmarkData, runs: list[RunResult]
               ) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str]]:
    """Formatted selection tables per tile and per source image (None without sources), written
    to tables/selection.csv and tables/selection_images.csv, and the references in words.

    The SBS is the best method on average over the fit and calibration targets: a user can know
    it without test labels."""
    sbs = single_best(np.concatenate([data.fit.targets, data.calibration.targets]))
    true = np.asarray(data.test.targets, dtype=np.float64)
    tiles = selection_table(runs, true, sbs, config.n_boot, config.seeds[0])
    tiles.to_csv(config.output / "tables" / "selection.csv")
    references = [selection_references(true, sbs, data.test.methods, "tiles")]
    if not data.test.sources:
        return formatted_selection(tiles), None, references
    image_runs, image_true = per_image_results(runs, true, data.test.sources)
    images = selection_table(image_runs, image_true, sbs, config.n_boot, config.seeds[0])
    images.to_csv(config.output / "tables" / "selection_images.csv")
    references.append(selection_references(image_true, sbs, data.test.methods, "images"))
    return formatted_selection(tiles), formatted_selection(images), references


def reference_thumbnails(config: BenchmarkConfig, data: BenchmarkData, reference: RunResult,
                         path: Path) -> Path | None:
    """The test tiles whose pick the reference (seed run 0) predicts best and worst, with the image,
    the truth and every method's mask from the store; None when the store is not on disk."""
    from rssqa.sqed.store import MANIFEST, SQEDStore
    from rssqa.report.thumbnails import TileSample, draw_thumbnails

    if not (Path(config.store) / MANIFEST).exists():
        return None
    store = SQEDStore.open(config.store)
    position = {tile: row for row, tile in enumerate(store.tiles["tile_id"])}
    index = np.array([position[tile] for tile in data.test.tile_ids])
    sample = TileSample(
        images=np.asarray(store.array("images")[index]), masks=np.asarray(store.array("masks")[index]),
        predictions={m: np.asarray(store.predictions(m)[index]) for m in data.test.methods},
        predicted=reference.test[0], true=np.asarray(data.test.targets), methods=list(data.test.methods),
        picks=np.argmax(reference.picks("test")[0], axis=1))
    return draw_thumbnails(sample, store.classmap, path)


def explain_losses(config: BenchmarkConfig, numbers: pd.DataFrame, metrics: list[str],
                   paired: pd.DataFrame, true: np.ndarray, methods: list[str]) -> list[str]:
    """A sentence for each metric and run that beats the reference, with the likely reason."""
    sentences = []
    counts = best_method_counts(true, methods)
    share_of_top = max(counts.values()) / len(true)
    for metric, label in losses_of_reference(numbers, config.reference, metrics):
        ours, theirs = numbers.loc[config.reference, metric], numbers.loc[label, metric]
        sentence = f"{label} beats {config.reference} on {metric}: {theirs:.3f} against {ours:.3f}."
        if (label, metric) in paired.index:
            p = paired.loc[(label, metric), "p"]
            sentence += (f" The paired bootstrap gives p = {p:.3f}: "
                         + ("within what the test tiles' sampling explains."
                            if p >= 0.05 else "a real difference on these tiles."))
        if metric.startswith("P@") and share_of_top >= 0.5:
            sentence += (f" One method is truly best on {share_of_top:.0%} of test tiles, so "
                         "always recommending the usually-best method is hard to beat.")
        elif metric not in ("P@1", "P@3"):
            sentence += (" Likely reasons: the offline semantic encoder (ImageNet EfficientNet-"
                         "Lite0, not the paper's CLIP-RS), and few training tiles for its "
                         "transformer adapter.")
        sentences.append(sentence)
    return sentences


def _inference(config: BenchmarkConfig, data: BenchmarkData) -> pd.DataFrame:
    from rssqa.benchmark.costs import inference_costs

    if data.test.images is None:
        return pd.DataFrame(columns=["ms/tile"])
    return inference_costs(data.test.images[:16], config.cost.get("encoder"), data.test.methods,
                           config.cost.get("num_classes", 6)).round(1)


def _setup(config: BenchmarkConfig, data: BenchmarkData) -> list[str]:
    return [
        f"SQED store: {config.store}. Methods: {', '.join(data.test.methods)}. Tiles: "
        f"{len(data.fit)} fit, {len(data.calibration)} calibration (whole source images held "
        f"out of the train split), {len(data.test)} test. Every assessor fits on the fit part "
        "only; nothing is chosen on the test split.",
        f"Seeds: {', '.join(map(str, config.seeds))} for every assessor whose training depends "
        "on one; deterministic ones (hand-crafted features with SVR, the prior) run once. "
        f"Bootstrap: {config.n_boot} resamples of test tiles; tiles cut from one source image "
        "are resampled as independent, so intervals are somewhat optimistic.",
    ]
