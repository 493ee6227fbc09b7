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
The curve itself is ``rssqa.report.learning_curve``, which ``rssqa learning-curve`` runs on an
experiment's own store (the config's assessor and the agreement, draws at the full split too).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from rssqa.report.learning_curve import fitted_draws, learning_curve, plan_draws, summary_table
from rssqa.report.plots import learning_curve_figure
from rssqa.sqed.store import SQEDStore

ASSESSORS = {"Safe (auto base) – rssqa default": ("safe", {"base": "auto"}),
             "Safe (listwise)": ("safe", {"base": "listwise"}),
             "Agreement (consensus; fits nothing on labels)": ("agreement", {})}


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
    sizes = [available if s == "all" else int(s) for s in args.sizes]
    plan = plan_draws(train.sources, sizes, args.repeats, draws_at_full=1)
    began = time.perf_counter()
    draws = learning_curve(train, test, ASSESSORS, plan, on_draw=lambda row: print(
        {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    draws.to_csv(output.with_suffix(".csv"), index=False)
    learning_curve_figure(fitted_draws(draws), output.with_suffix(".png"), args.target)
    table = summary_table(draws).to_markdown(index=False)
    header = (f"# Learning curve: {args.store} ({args.target})\n\n{available} train source images, "
              f"{len(test)} test tiles; sizes {sorted({d.size for d in plan})}, {args.repeats} "
              f"draws each (one at the full split). Cells: mean ± sd (min) over draws. Wall time "
              f"{time.perf_counter() - began:.0f} s.\n\n")
    output.with_suffix(".md").write_text(header + table + "\n")
    print(header + table)


if __name__ == "__main__":
    main()
