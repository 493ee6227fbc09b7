"""Do the conformal intervals cover at their nominal rate on source images they never saw?

On one SQED store, the train split's tiles are predicted by cross-fitting over source images,
as the safe selector does when it calibrates (a fresh base fitted on four fifths of the images
predicts the fifth). Those held-out predictions are then split again by source image: a
calibration on four fifths (per tile: ``SplitConformal.calibrate(..., groups=images)``; per
method: without groups) is checked on the fifth it never saw. Every training image is held out
once, so coverage is measured on all of them (28 on Dubai-8) rather than on the test split's
few; the test split's own figure is what ``rssqa evaluate`` reports. Width is clipped to [0, 1]
as every output shows it; its 10th-90th percentile range says how much it varies between tiles.

    OMP_NUM_THREADS=1 python benchmarks/interval_coverage.py runs/dubai_paper8/sqed \
        --output benchmarks/results/interval_coverage_dubai_paper8.md

``--floor`` and ``--neighbours`` take several values to compare the per-tile difficulty's
settings on the same held-out predictions (how its floor of 0.1 was chosen).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rssqa.assess.conformal import (DIFFICULTY_FLOOR, DIFFICULTY_NEIGHBOURS, LEVELS,
                                    SplitConformal)
from rssqa.assess.cross_fit import held_out_predictions, source_folds, source_units
from rssqa.assess.registry import create_assessor, seeded_kwargs
from rssqa.sqed.store import SQEDStore


def nested_coverage(pred: np.ndarray, true: np.ndarray, images: np.ndarray, per_tile: bool,
                    neighbours: int = DIFFICULTY_NEIGHBOURS,
                    floor: float = DIFFICULTY_FLOOR) -> pd.DataFrame:
    """Per level: coverage and widths over every tile, each checked by a calibration made
    without its image's fold (per tile: with the difficulty's ``neighbours`` and ``floor``)."""
    inside = {level: np.zeros(pred.shape, bool) for level in LEVELS}
    width = {level: np.zeros(pred.shape) for level in LEVELS}
    folds = source_folds_of(images)
    for fit, held in folds:
        calibration = SplitConformal.calibrate(pred[fit], true[fit], LEVELS,
                                               groups=images[fit] if per_tile else None,
                                               neighbours=neighbours, floor=floor)
        for level in LEVELS:
            low, high = calibration.interval(pred[held], level)
            inside[level][held] = (low <= true[held]) & (true[held] <= high)
            width[level][held] = np.minimum(1, high) - np.maximum(0, low)
    rows = []
    for level in LEVELS:
        per_image = pd.Series(inside[level].mean(axis=1)).groupby(images).mean()
        rows.append({"intervals": "per tile" if per_tile else "per method",
                     "neighbours": neighbours if per_tile else "", "floor": floor if per_tile else "",
                     "level": level,
                     "coverage": inside[level].mean(),
                     "images under level - 0.1": int((per_image < level - 0.1).sum()),
                     "mean width": width[level].mean(),
                     "width p10": np.percentile(width[level], 10),
                     "width p90": np.percentile(width[level], 90)})
    return pd.DataFrame(rows)


def source_folds_of(images: np.ndarray, folds: int = 5):
    from sklearn.model_selection import GroupKFold

    return list(GroupKFold(n_splits=min(folds, len(set(images)))).split(images, groups=images))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--base", default="listwise", help="the assessor whose residuals are calibrated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default="oa")
    parser.add_argument("--floor", type=float, nargs="+", default=[DIFFICULTY_FLOOR],
                        help="the per-tile difficulty's floor(s)")
    parser.add_argument("--neighbours", type=int, nargs="+", default=[DIFFICULTY_NEIGHBOURS],
                        help="the per-tile difficulty's neighbours")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    began = time.perf_counter()
    train = SQEDStore.open(args.store).inputs("train", label=args.label)
    new_base = lambda: create_assessor(args.base, **seeded_kwargs(args.base, {}, args.seed))  # noqa: E731
    held_out = held_out_predictions(new_base, train, source_folds(train, 5))
    images = np.asarray(source_units(train))
    per_tile = [nested_coverage(held_out, train.targets, images, True, k, floor)
                for k in args.neighbours for floor in args.floor]
    per_method = nested_coverage(held_out, train.targets, images, False)
    table = pd.concat([*per_tile, per_method], ignore_index=True)
    text = (f"# Conformal coverage on held-out training source images: {args.store}\n\n"
            f"Base {args.base} (seed {args.seed}), target {args.label}; {len(train)} tiles of "
            f"{len(set(images))} source images, each image's tiles checked by a calibration made "
            f"without it. {time.perf_counter() - began:.0f} s wall.\n\n"
            + table.to_markdown(index=False, floatfmt=".3f") + "\n")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
