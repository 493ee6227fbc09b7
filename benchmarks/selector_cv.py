"""Choose a selector's settings on the SQED train split alone: grouped cross-validation.

Each candidate is fitted on four fifths of the train split's source images and predicts the fifth;
the held-out predictions of all five folds are scored by the selection measures (gap closed between
the train split's single best method and the per-tile oracle, P@1) and the mean per-method SROCC.
The test split is never read.

    python benchmarks/selector_cv.py runs/dubai_paper8/sqed            # the listwise grid
    python benchmarks/selector_cv.py STORE --specs '[["label", "listwise", {"config": {"tau": 0.05}}]]'
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from sklearn.model_selection import GroupKFold

from rssqa.assess.registry import create_assessor
from rssqa.sqed.store import SQEDStore
from rssqa.metrics import gap_closed, precision_at_1, single_best, srocc

LISTWISE_GRID = [
    ["listwise tau 0.02, w 1 (first defaults)", "listwise", {"config": {"tau": 0.02, "listwise_weight": 1.0}}],
    ["listwise tau 0.01, w 1", "listwise", {"config": {"tau": 0.01, "listwise_weight": 1.0}}],
    ["listwise tau 0.05, w 1", "listwise", {"config": {"tau": 0.05, "listwise_weight": 1.0}}],
    ["listwise tau 0.05, w 0.3", "listwise", {"config": {"tau": 0.05, "listwise_weight": 0.3}}],
    ["listwise MSE only (w 0)", "listwise", {"config": {"listwise_weight": 0.0}}],
    ["pairwise (defaults)", "pairwise", {}],
]


def held_out_predictions(name: str, kwargs: dict, train, folds: int = 5) -> np.ndarray:
    predictions = np.zeros_like(train.targets)
    for fit_index, predict_index in GroupKFold(folds).split(train.targets, groups=train.sources):
        assessor = create_assessor(name, **kwargs).fit(train.subset(fit_index))
        held_out = train.subset(predict_index)
        predictions[predict_index] = assessor.selection_scores(assessor.predict(held_out))
    return predictions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--specs", help="JSON list of [label, assessor, kwargs]")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train = SQEDStore.open(args.store).inputs("train")
    sbs = single_best(train.targets)
    specs = json.loads(args.specs) if args.specs else LISTWISE_GRID
    print(f"{len(train)} train tiles from {len(set(train.sources))} source images; 5 folds\n")
    print("| candidate | gap closed | P@1 | SROCC (mean of methods) | seconds |")
    print("|---|---:|---:|---:|---:|")
    for label, name, kwargs in specs:
        began = time.perf_counter()
        held_out = held_out_predictions(name, kwargs, train)
        correlation = np.nanmean([srocc(held_out[:, j], train.targets[:, j])
                                  for j in range(train.targets.shape[1])])
        print(f"| {label} | {gap_closed(held_out, train.targets, sbs):+.3f} | "
              f"{precision_at_1(held_out, train.targets):.3f} | {correlation:.3f} | "
              f"{time.perf_counter() - began:.0f} |", flush=True)


if __name__ == "__main__":
    main()
