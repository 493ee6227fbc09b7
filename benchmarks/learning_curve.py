"""How many labelled images does a recommender need? A learning curve on one SQED store.

For each size n, ``repeats`` random draws of n source images from the store's train split (whole
images: their tiles travel together, as a user's labelled images would) train each assessor as
``rssqa train`` does on them; its picks on the untouched test split are scored against the
single best method *of those n images* (the SBS the user could know) and the per-tile oracle:
gap closed, regret, the OA gained over that SBS, the mean per-method SROCC, and, for assessors
with conformal intervals, their coverage at 90 % on the test tiles and mean width. The spread over
draws is the point: with few images it is the risk a user runs.

    OMP_NUM_THREADS=1 python benchmarks/learning_curve.py runs/dubai_paper8/sqed \
        --sizes 2 4 8 12 16 all --repeats 5 --output benchmarks/results/learning_curve_dubai_paper8

``--target miou`` (or ``f1``) learns and scores that accuracy instead of OA; "gain over SBS" is then
in its units.

writes ``<output>.md`` (the table), ``<output>.csv`` (one row per draw) and ``<output>.png``.
"""

from __future__ import annotations

import argparse
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rssqa.assess.base import AssessmentInputs
from rssqa.assess.registry import create_assessor, seeded_kwargs
from rssqa.metrics import gap_closed, single_best, srocc
from rssqa.metrics.selection import column_oa, picks_oa, regret
from rssqa.sqed.store import SQEDStore

ASSESSORS = {"Safe (auto base) – rssqa default": ("safe", {"base": "auto"}),
             "Safe (listwise)": ("safe", {"base": "listwise"}),
             "Agreement (consensus; fits nothing on labels)": ("agreement", {})}
LEVEL = 0.9


def draw_sources(sources: list[str], size: int, seed: int) -> list[str]:
    unique = sorted(set(sources))
    return unique if size >= len(unique) else list(
        np.random.default_rng(seed).choice(unique, size=size, replace=False))


def one_draw(name: str, kwargs: dict, train, test, chosen: list[str], seed: int) -> dict:
    rows = np.flatnonzero(np.isin(train.sources, chosen))
    labelled = train.subset(rows)
    began = time.perf_counter()
    assessor = create_assessor(name, **seeded_kwargs(name, kwargs, seed)).fit(labelled)
    predictions = assessor.predict(test)
    scores = assessor.selection_scores(predictions)
    sbs = single_best(labelled.targets)
    conformal = getattr(assessor, "conformal", None)
    low, high = conformal.interval(predictions, LEVEL) if conformal else (np.nan, np.nan)
    return {"images": len(chosen), "tiles": len(rows), "sbs": test.methods[sbs],
            "base": getattr(assessor, "chosen", name),
            "coverage 90%": float(np.mean((low <= test.targets) & (test.targets <= high)))
            if conformal else np.nan,
            "width 90%": float(np.mean(np.minimum(1, high) - np.maximum(0, low))) if conformal else np.nan,
            "gap closed": gap_closed(scores, test.targets, sbs),
            "regret": regret(scores, test.targets),
            "gain over SBS": picks_oa(scores, test.targets) - column_oa(test.targets, sbs),
            "SROCC": float(np.nanmean([srocc(predictions[:, j], test.targets[:, j])
                                       for j in range(test.targets.shape[1])])),
            "seconds": time.perf_counter() - began}


def learning_curve(train: AssessmentInputs, test: AssessmentInputs, sizes: list[int],
                   repeats: int) -> pd.DataFrame:
    rows = []
    for size in sizes:
        for repeat in range(repeats if size < len(set(train.sources)) else 1):
            chosen = draw_sources(train.sources, size, seed=repeat)
            for label, (name, kwargs) in ASSESSORS.items():
                try:
                    row = one_draw(name, kwargs, train, test, chosen, seed=repeat)
                except Exception as error:  # a size too small to fit is a result, not a crash
                    traceback.print_exc()
                    row = {"images": len(chosen), "error": f"{type(error).__name__}: {error}"}
                rows.append({"assessor": label, "draw": repeat, **row})
                print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in rows[-1].items()},
                      flush=True)
    return pd.DataFrame(rows)


def fitted_draws(draws: pd.DataFrame) -> pd.DataFrame:
    """The draws that fitted (gap closed is NaN, not an error, where a store has no gap)."""
    return draws[draws["error"].isna()] if "error" in draws else draws


def summary_table(draws: pd.DataFrame) -> pd.DataFrame:
    measures = ["gap closed", "regret", "gain over SBS", "SROCC", "coverage 90%", "width 90%"]
    fitted = fitted_draws(draws)
    grouped = fitted.groupby(["assessor", "images"], sort=False)
    table = grouped[measures].agg(["mean", "std", "min"])
    cells = pd.DataFrame(index=table.index)
    for measure in measures:
        mean, sd, low = (table[(measure, s)] for s in ("mean", "std", "min"))
        cells[measure] = ["–" if np.isnan(m) else f"{m:.3f} ± {0 if np.isnan(s) else s:.3f} (min {lo:.3f})"
                          for m, s, lo in zip(mean, sd, low)]
    cells["draws"] = grouped.size()
    cells["lost to SBS"] = grouped["gain over SBS"].apply(lambda g: int((g < 0).sum()))
    cells["tiles (mean)"] = grouped["tiles"].mean().round().astype(int)
    cells["bases chosen"] = grouped["base"].apply(lambda b: ", ".join(
        f"{name} {count}" for name, count in b.value_counts().items()))
    return cells.reset_index()


def plot(draws: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    for label, group in fitted_draws(draws).groupby("assessor", sort=False):
        for axis, measure in zip(axes, ("gap closed", "SROCC", "coverage 90%")):
            if group[measure].isna().all():
                continue
            stats = group.groupby("images")[measure].agg(["mean", "min", "max"])
            axis.plot(stats.index, stats["mean"], marker="o", label=label)
            axis.fill_between(stats.index, stats["min"], stats["max"], alpha=0.2)
            axis.set_xlabel("labelled source images in the SQED train split")
            axis.set_ylabel(measure)
    axes[0].axhline(0, color="grey", lw=0.8)
    if fitted_draws(draws)["gap closed"].isna().all():
        axes[0].text(0.5, 0.5, "the per-tile oracle beats the SBS by under 0.001: no gap to share",
                     ha="center", transform=axes[0].transAxes)
    axes[0].set_title("share of the SBS-to-oracle gap closed (band: min-max over draws)")
    axes[1].set_title("mean per-method SROCC on the test tiles")
    axes[2].axhline(LEVEL, color="grey", lw=0.8)
    axes[2].set_title("coverage of the 90 % intervals on the test tiles")
    next(axis for axis in axes if axis.get_legend_handles_labels()[0]).legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--sizes", nargs="+", default=["2", "4", "8", "16", "all"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", required=True, help="path stem of the .md, .csv and .png")
    parser.add_argument("--target", default="oa", help="the accuracy predicted: oa, miou or f1")
    args = parser.parse_args()
    torch.set_num_threads(1)
    store = SQEDStore.open(args.store)
    train, test = (store.inputs(split, label=args.target) for split in ("train", "test"))
    available = len(set(train.sources))
    sizes = sorted({available if s == "all" else min(int(s), available) for s in args.sizes})
    began = time.perf_counter()
    draws = learning_curve(train, test, sizes, args.repeats)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    draws.to_csv(output.with_suffix(".csv"), index=False)
    plot(draws, output.with_suffix(".png"))
    table = summary_table(draws).to_markdown(index=False)
    header = (f"# Learning curve: {args.store} ({args.target})\n\n{available} train source images, "
              f"{len(test)} test tiles; sizes {sizes}, {args.repeats} draws each "
              f"(one at the full split). Cells: mean ± sd (min) over draws. Wall time "
              f"{time.perf_counter() - began:.0f} s.\n\n")
    output.with_suffix(".md").write_text(header + table + "\n")
    print(header + table)


if __name__ == "__main__":
    main()
