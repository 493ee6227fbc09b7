"""The benchmark's HTML report in the paper's layout: Table 3 (correlations), Table 4 (P@1,
P@3), Tables 5-7 (ablations), Fig. 5 (scatter per assessor), Fig. 6 (t-SNE), plus what the
paper does not report: beside Table 4 what following the picks gains against the single best
solver, seed spread, bootstrap intervals, paired tests, conformal coverage, costs,
and a plain statement wherever RS-SQA loses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rssqa.report.html import Section, write_html_report
from rssqa.report.markdown import write_markdown_report

ABLATION_TITLES = {"components": "Table 5: RS-SQA components", "loss": "Table 6: loss",
                   "encoder": "Table 7: semantic encoder",
                   "calibration": "Beyond the paper: per-method calibration"}


@dataclass
class BenchmarkTables:
    """Everything the report shows; the tables are built by ``rssqa.benchmark.statistics``."""

    reference: str
    correlations: pd.DataFrame        # formatted Table 3
    ranking: pd.DataFrame             # formatted Table 4
    per_method: pd.DataFrame
    ablations: dict[str, pd.DataFrame]  # table name -> formatted rows (reference first)
    paired: pd.DataFrame
    coverage: pd.DataFrame
    costs: pd.DataFrame
    inference: pd.DataFrame
    losses: list[str]                 # sentences: where and why the reference loses
    setup: list[str]                  # sentences: data, seeds, protocol
    scatter_figures: list[tuple[str, Path]] = field(default_factory=list)
    tsne_figure: Path | None = None
    selection: pd.DataFrame | None = None         # formatted selection measures per test tile
    selection_images: pd.DataFrame | None = None  # the same per whole source image
    selection_references: list[str] = field(default_factory=list)  # SBS, hindsight SBS, VBS OAs
    thumbnails: Path | None = None  # the reference's best and worst predicted test tiles


def write_benchmark_report(path: Path, tables: BenchmarkTables) -> Path:
    """The HTML report at ``path`` (returned) and the same content as markdown beside it."""
    sections = benchmark_sections(tables)
    write_markdown_report(Path(path).with_suffix(".md"), "rssqa benchmark", sections)
    return write_html_report(path, "rssqa benchmark", sections)


def selection_section(tables: BenchmarkTables) -> Section:
    """Beside Table 4: what following the picks gains against always using one method."""
    text = ("P@1 counts right picks but not what a wrong pick costs. OA of picks: mean true OA of "
            "the recommended method. Regret: per-unit oracle (VBS) OA minus OA of picks (lower is "
            "better). Gap closed: (OA of picks - OA(SBS)) / (OA(VBS) - OA(SBS)), where the single "
            "best solver (SBS) is the method best on average on the fit and calibration tiles: 1 "
            "is the oracle, 0 no better than always using the SBS, below 0 worse; undefined (n/a) where "
            "the SBS already is the oracle. Gap closed vs "
            "hindsight SBS: the same against the best single method on the test units themselves. "
            "p vs SBS: paired bootstrap test of OA of picks minus OA(SBS). Same cells as Table 4.")
    caption = "Per whole source image (tiles averaged, the unit rssqa recommend picks for)"
    extra = [] if tables.selection_images is None else [(caption, tables.selection_images)]
    figures = [] if tables.thumbnails is None else [
        (f"{tables.reference}: the test tiles whose pick it predicts best and worst (image, truth, "
         "every method's mask; the pick framed in green)", tables.thumbnails)]
    return Section("Following the recommendations: selection against the single best solver",
                   "\n\n".join([text, *tables.selection_references]),
                   tables=[("Per test tile", tables.selection), *extra], figures=figures)


def benchmark_sections(tables: BenchmarkTables) -> list[Section]:
    sections = [
        Section("Protocol", "\n\n".join(tables.setup)),
        Section("Table 3: agreement of predicted with true OA",
                "Mean over the pool's methods of PLCC (after a 4-parameter logistic), SROCC, "
                "KROCC and RMSE on the test tiles. Cells: mean over seeds ± seed sd "
                "[95% bootstrap interval over test tiles].",
                tables=[("", tables.correlations),
                        ("Per segmentation method (seed-mean point estimates)", tables.per_method)]),
        Section("Table 4: recommendation precision",
                "P@1: share of test tiles whose recommended method is truly best (ties count); "
                "P@3: truly among the best three.", tables=[("", tables.ranking)]),
    ]
    if tables.selection is not None:
        sections.append(selection_section(tables))
    for name, table in tables.ablations.items():
        sections.append(Section(ABLATION_TITLES.get(name, f"Ablation: {name}"),
                                f"{tables.reference} with one change per row; same cells as "
                                "Tables 3 and 4.", tables=[("", table)]))
    sections += [
        Section(f"Paired bootstrap tests: {tables.reference} against each other assessor",
                "Difference of the seed-averaged metric (reference minus other) on the same "
                "resampled test tiles, its 95% interval and a two-sided p-value. Positive is "
                "better for the reference on every metric shown.",
                tables=[("", tables.paired)]),
        Section("Where the reference loses", "\n\n".join(tables.losses) or
                f"{tables.reference} is not beaten on any reported metric."),
        Section("Calibrated uncertainty: split-conformal intervals",
                "Per method, half-widths from the absolute residuals on the calibration part of "
                "the train split (whole source images, never trained on); coverage is measured on "
                "the test split and averaged over seeds. Width is the mean interval width in OA.",
                tables=[("", tables.coverage)]),
        Section("Costs",
                "Fit time on this machine and assessor time per tile; below, the inference cost "
                "per tile of the stages before assessment. The image-only fast mode (semantic "
                "branch only) needs the encoder alone; the full model also needs every "
                "method's segmentation.",
                tables=[("Assessors", tables.costs), ("Inference per tile", tables.inference)]),
        Section("Fig. 5: predicted against true OA", figures=tables.scatter_figures),
    ]
    if tables.tsne_figure is not None:
        sections.append(Section(
            "Fig. 6: t-SNE of semantic features",
            "Pooled semantic features of the test tiles, coloured by quality level (quartiles of "
            "the tile's mean true OA over the pool).", figures=[("", tables.tsne_figure)]))
    return sections
