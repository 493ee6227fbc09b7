"""Why an assessor's per-method scores do or do not pick the best method on a tile.

For saved assessors of an experiment (default: its RS-SQA), on the SQED train and test splits:
mean predicted minus mean true OA per method (a per-method bias moves every tile's ranking),
predicted and true spread, the mean per-tile Spearman correlation across methods (does the
assessor order the methods of one tile correctly?), the mean gap between the best and second-best
method, and how often each method is recommended against how often it is truly best. Last, P@1
and P@3 on test as saved and after the per-method calibration of ``RSSQAConfig.calibrate`` (an
increasing line per method fitted on the training tiles' predictions).

    python benchmarks/recommendation_bias.py configs/dubai_paper8.yaml [assessor ...]
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from scipy import stats

from rssqa.assess.registry import load_assessor
from rssqa.assess.scaling import fit_increasing_line, to_oa_scale
from rssqa.config import load_config
from rssqa.sqed.store import SQEDStore
from rssqa.metrics import precision_at_1, precision_at_k
from rssqa.config import Layout


def per_tile_rank_agreement(pred: np.ndarray, true: np.ndarray) -> float:
    rhos = [stats.spearmanr(p, t).statistic for p, t in zip(pred, true) if np.ptp(p) > 0 and np.ptp(t) > 0]
    return float(np.mean(rhos))


def describe(name: str, store: SQEDStore, split: str, pred: np.ndarray, true: np.ndarray) -> str:
    methods = list(store.methods)
    table = pd.DataFrame({"bias (pred - true)": pred.mean(0) - true.mean(0),
                          "pred sd": pred.std(0), "true sd": true.std(0),
                          "recommended": np.bincount(pred.argmax(1), minlength=len(methods)),
                          "truly best": np.bincount(true.argmax(1), minlength=len(methods))},
                         index=pd.Index(methods, name="method"))
    ordered = np.sort(true, axis=1)
    return "\n".join([
        f"### {name} on the {split} split ({len(true)} tiles)", "",
        f"Mean per-tile Spearman across methods: {per_tile_rank_agreement(pred, true):.3f}; "
        f"mean gap best - second-best true OA: {(ordered[:, -1] - ordered[:, -2]).mean():.3f}; "
        f"spread of the per-method biases (max - min): {np.ptp(table['bias (pred - true)']):.3f}.", "",
        table.to_markdown(floatfmt=".3f"), ""])


def main(config_path: str, *assessors: str) -> None:
    layout = Layout(load_config(config_path).output_dir)
    store = SQEDStore.open(layout.sqed)
    for name in assessors or ("rssqa",):
        assessor = load_assessor(layout.assessors / name)
        pred, true = {}, {}
        for split in ("train", "test"):
            inputs = store.inputs(split)
            pred[split] = np.asarray(assessor.predict(inputs), dtype=np.float64)
            true[split] = np.asarray(inputs.targets, dtype=np.float64)
            print(describe(name, store, split, pred[split], true[split]))
        lines = [fit_increasing_line(pred["train"][:, m], true["train"][:, m])
                 for m in range(len(store.methods))]
        calibrated = np.column_stack([to_oa_scale(pred["test"][:, m], line) for m, line in enumerate(lines)])
        for label, scores in (("as saved", pred["test"]), ("calibrated on train", calibrated)):
            print(f"{name} {label}: test P@1 {precision_at_1(scores, true['test']):.3f}, "
                  f"P@3 {precision_at_k(scores, true['test'], k=3):.3f}")
        print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
