"""Which listwise settings pay on images the selector never trained on? Cross-fitted over the
training split's source images only (5 folds, as the safe selector chooses its base), each
variant's held-out gap closed (picks by argmax, against the split's single best method) and mean
SROCC; the test split is never read. This is how ``listwise-soft`` (tau 0.1) was found.

    OMP_NUM_THREADS=1 python benchmarks/listwise_variants.py runs/dubai_paper8/sqed \\
        --seeds 0 1 2 --variant tau=0.05 --variant tau=0.1 --variant tau=0.2
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import yaml

from rssqa.assess.cross_fit import held_out_predictions, source_folds
from rssqa.assess.selectors.listwise import ListwiseSelector
from rssqa.assess.selectors.safe import mean_srocc
from rssqa.metrics.selection import gap_closed, single_best
from rssqa.sqed.store import SQEDStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--label", default="oa")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--variant", action="append", default=[],
                        help="listwise settings as key=value[,key=value] (e.g. tau=0.1)")
    args = parser.parse_args()
    train = SQEDStore.open(args.store).inputs("train", label=args.label)
    targets = np.asarray(train.targets)
    sbs, folds = single_best(targets), source_folds(train, 5)
    print("| variant | seed | held-out gap closed | mean SROCC | s |\n|---|---:|---:|---:|---:|")
    for variant in args.variant or ["tau=0.05"]:
        settings = {key: yaml.safe_load(value) for key, value in
                    (item.split("=", 1) for item in variant.split(","))}
        for seed in args.seeds:
            began = time.perf_counter()
            held_out = held_out_predictions(lambda: ListwiseSelector({**settings, "seed": seed}),
                                            train, folds)
            print(f"| {variant} | {seed} | {gap_closed(held_out, targets, sbs):.3f} | "
                  f"{mean_srocc(held_out, targets):.3f} | {time.perf_counter() - began:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
