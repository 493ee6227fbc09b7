"""The report's figures: predicted against true OA per method (paper Fig. 5) and a t-SNE of
semantic features coloured by quality level (paper Fig. 6).

Figures are drawn on ``matplotlib.figure.Figure`` objects with the Agg canvas, never through
pyplot, so plotting needs no display and leaves no global state behind.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rssqa.errors import InputError
from rssqa.files import atomic_write_with

QUALITY_LEVEL_NAMES = ("poor", "fair", "good", "excellent")


def scatter_predicted_vs_true(pred: np.ndarray, true: np.ndarray, methods: Sequence[str],
                              path: str | Path, title: str | None = None,
                              max_columns: int = 4, measure: str = "OA") -> Path:
    """One scatter panel per method (column of the N x M arrays), PLCC and SROCC in each panel's
    title, the identity line for reference; saved as PNG at ``path``. ``measure``: the accuracy
    the axes show."""
    pred, true = np.asarray(pred, dtype=float), np.asarray(true, dtype=float)
    if pred.shape != true.shape or pred.ndim != 2 or pred.shape[1] != len(methods):
        raise InputError(None, f"predicted {pred.shape} and true {true.shape} OA must both be "
                         f"N x M with M = {len(methods)} methods", "pass one column per method")
    from rssqa.metrics import correlation_scores

    columns = min(len(methods), max_columns)
    rows = math.ceil(len(methods) / columns)
    figure = Figure(figsize=(3.4 * columns, 3.3 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for column, (ax, method) in enumerate(zip(axes, methods)):
        x, y = true[:, column], pred[:, column]
        scores = correlation_scores(y, x)
        ax.scatter(x, y, s=10, alpha=0.6, edgecolors="none")
        low = float(np.nanmin([x.min(), y.min()]))
        high = float(np.nanmax([x.max(), y.max()]))
        ax.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=0.8)
        ax.set_title(f"{method}\nPLCC {scores['plcc']:.3f}  SROCC {scores['srocc']:.3f}",
                     fontsize=9)
        ax.set_xlabel(f"true {measure}")
        ax.set_ylabel(f"predicted {measure}")
    for ax in axes[len(methods):]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def quality_levels(quality: np.ndarray, levels: int = 4) -> np.ndarray:
    """Integer level 0..levels-1 per sample, cut at the quantiles of ``quality`` so each level
    holds about the same number of samples (equal-width bins would leave some levels empty on
    data sets whose OA clusters high)."""
    quality = np.asarray(quality, dtype=float)
    edges = np.quantile(quality, np.linspace(0, 1, levels + 1)[1:-1])
    return np.searchsorted(edges, quality, side="right")


def tsne_by_quality(features: np.ndarray, quality: np.ndarray, path: str | Path,
                    title: str | None = None, levels: int = 4, seed: int = 0) -> Path:
    """2-D t-SNE of ``features`` (N x C), each point coloured by its quality level (quantile bins
    of ``quality``, e.g. a tile's mean OA over the pool); saved as PNG at ``path``."""
    from sklearn.manifold import TSNE
    from sklearn.preprocessing import StandardScaler

    features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    if len(features) != len(quality):
        raise InputError(None, f"{len(features)} feature rows but {len(quality)} quality values",
                         "pass one quality value per feature row")
    if len(features) < 5:
        raise InputError(None, f"t-SNE needs at least 5 samples, got {len(features)}",
                         "evaluate on more tiles")
    perplexity = float(min(30.0, (len(features) - 1) / 3))
    embedded = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed
                    ).fit_transform(StandardScaler().fit_transform(features))
    level = quality_levels(quality, levels)
    names = QUALITY_LEVEL_NAMES if levels == len(QUALITY_LEVEL_NAMES) else \
        tuple(f"level {i + 1}" for i in range(levels))
    figure = Figure(figsize=(5.2, 4.6), layout="constrained")
    ax = figure.subplots()
    palette = matplotlib.colormaps["RdYlGn"](np.linspace(0.05, 0.95, levels))
    for value in range(levels):
        chosen = level == value
        if chosen.any():
            ax.scatter(embedded[chosen, 0], embedded[chosen, 1], s=12, alpha=0.75,
                       color=palette[value],
                       label=f"{names[value]} (n={int(chosen.sum())})")
    ax.legend(fontsize=8, title="quality level", title_fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "t-SNE of semantic features", fontsize=10)
    return _save(figure, path)


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InputError(path, "figures are written as PNG", "give the path a .png suffix")
    FigureCanvasAgg(figure)
    atomic_write_with(path, lambda stream: figure.savefig(stream, format="png", dpi=110))
    return path


def learning_curve_figure(draws, path: str | Path, measure: str = "OA", level: float = 0.9) -> Path:
    """Gap closed, SROCC and interval coverage against the number of labelled images, one line per
    assessor (mean over draws, band: min-max); ``draws`` holds the fitted draws of
    ``rssqa.report.learning_curve``, one row each."""
    figure = Figure(figsize=(15, 4.2), layout="constrained")
    axes = figure.subplots(1, 3)
    for label, group in draws.groupby("assessor", sort=False):
        for ax, column in zip(axes, ("gap closed", "SROCC", "coverage 90%")):
            if group[column].isna().all():
                continue
            stats = group.groupby("images")[column].agg(["mean", "min", "max"])
            ax.plot(stats.index, stats["mean"], marker="o", label=label)
            ax.fill_between(stats.index, stats["min"], stats["max"], alpha=0.2)
    for ax, column in zip(axes, ("gap closed", "SROCC", "coverage 90%")):
        ax.set_xlabel("labelled source images in the SQED train split")
        ax.set_ylabel(column)
    axes[0].axhline(0, color="grey", linewidth=0.8)
    if draws["gap closed"].isna().all():
        axes[0].text(0.5, 0.5, "the per-tile oracle beats the SBS by under 0.001:\nno gap to share",
                     ha="center", transform=axes[0].transAxes)
    axes[0].set_title(f"share of the SBS-to-oracle {measure} gap closed\n(band: min-max over draws)",
                      fontsize=10)
    axes[1].set_title(f"mean per-method SROCC of predicted {measure}", fontsize=10)
    axes[2].axhline(level, color="grey", linewidth=0.8)
    axes[2].set_title(f"coverage of the {level:.0%} intervals on the test tiles", fontsize=10)
    legends = [ax for ax in axes if ax.get_legend_handles_labels()[0]]
    if legends:
        legends[0].legend(fontsize=8)
    return _save(figure, path)
