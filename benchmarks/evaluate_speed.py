"""How long `rssqa evaluate`'s statistics take, without a trained experiment (issue item 6's target:
126 test tiles x 8 methods x 9 assessors under 60 s on one core).

Times ``evaluate_predictions`` (what ``rssqa evaluate`` runs per assessor: PLCC/SROCC/KROCC/RMSE
per method, P@1/P@3 and the tile- and image-level selection measures, each with its bootstrap
interval) on synthetic predictions and targets of the real sizes, seeded.

    OMP_NUM_THREADS=1 python benchmarks/evaluate_speed.py [--n-boot 1000] [--assessors 9]
        [--save numbers.json] [--compare numbers.json] [--profile]

``--save`` writes every estimate and interval endpoint; ``--compare`` reads such a file (e.g. one
saved before a change) and prints whether the estimates are identical and the largest change of
any interval endpoint.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time

import numpy as np

from rssqa.metrics import single_best
from rssqa.report.evaluation import Evaluation, evaluate_predictions

METHODS = [f"method{j}" for j in range(8)]
TILES_PER_IMAGE = 9


def synthetic_assessor(kind: int, true: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Predictions of varied quality: noisy, squashed through a curve, reversed, coarse (ties),
    and one that predicts a constant for some methods (NaN correlations, like a mean baseline)."""
    noise = rng.normal(0, 0.02 + 0.02 * kind, true.shape)
    if kind == 0:
        return true + noise
    if kind == 1:
        return np.tanh(4 * (true - 0.75)) + noise
    if kind == 2:
        return -true + noise
    if kind == 3:
        return np.round(true + noise, 2)
    if kind == 4:
        pred = true + noise
        pred[:, :3] = 0.8
        return pred
    return true + noise + rng.normal(0, 0.05 * kind, true.shape[1])


def synthetic_tables(tiles: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """True OA (tiles x methods) with a shared tile difficulty, train targets and source images."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(0.55, 0.95, (tiles, 1))
    true = np.clip(difficulty + rng.normal(0, 0.04, (tiles, len(METHODS))), 0, 1)
    train = np.clip(rng.uniform(0.55, 0.95, (300, 1)) + rng.normal(0, 0.04, (300, len(METHODS))), 0, 1)
    sources = [f"image{i // TILES_PER_IMAGE}" for i in range(tiles)]
    return true, train, sources


def run(tiles: int, assessors: int, n_boot: int, seed: int) -> tuple[list[Evaluation], tuple[float, float]]:
    true, train, sources = synthetic_tables(tiles, seed)
    rng = np.random.default_rng(seed + 1)
    predictions = [synthetic_assessor(k % 7, true, rng) for k in range(assessors)]
    sbs = single_best(train)
    began, wall = time.process_time(), time.perf_counter()
    evaluations = [evaluate_predictions(pred, true, METHODS, f"assessor{k}", n_boot=n_boot, seed=seed,
                                        sbs=sbs, sources=sources) for k, pred in enumerate(predictions)]
    return evaluations, (time.process_time() - began, time.perf_counter() - wall)


def numbers(evaluations: list[Evaluation]) -> dict[str, float]:
    """Every estimate and endpoint, keyed 'assessor/table/row/column'."""
    flat = {}
    for ev in evaluations:
        for table in ("per_method", "recommendation", "selection"):
            frame = getattr(ev, table).select_dtypes("number")
            for row, values in frame.iterrows():
                flat |= {f"{ev.assessor}/{table}/{row}/{col}": float(v) for col, v in values.items()}
    return flat


def compare(now: dict[str, float], before: dict[str, float]) -> None:
    endpoints = [k for k in now if k.endswith(("_low", "_high", " low", " high"))]
    estimates = [k for k in now if k not in endpoints]
    differ = [k for k in estimates if not _same(now[k], before[k])]
    print(f"estimates bit-identical: {not differ} ({len(estimates)} compared; differ: {differ[:5]})")
    changes = {k: abs(now[k] - before[k]) for k in endpoints if not _same(now[k], before[k])}
    nan_flips = [k for k, v in changes.items() if np.isnan(v)]
    worst = max((k for k in changes if k not in nan_flips), key=changes.get, default=None)
    print(f"interval endpoints: {len(endpoints)} compared, {len(changes)} changed, NaN flips {nan_flips}")
    if worst:
        print(f"largest endpoint change: {changes[worst]:.2e} at {worst}")


def _same(a: float, b: float) -> bool:
    return a == b or (np.isnan(a) and np.isnan(b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=126)
    parser.add_argument("--assessors", type=int, default=9)
    parser.add_argument("--n-boot", type=int, default=1000)  # rssqa evaluate's default
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="write every estimate and endpoint to this JSON file")
    parser.add_argument("--compare", help="JSON file from --save to compare against")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    evaluations, seconds = run(args.tiles, args.assessors, args.n_boot, args.seed)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    print(f"{args.tiles} tiles x {len(METHODS)} methods x {args.assessors} assessors, "
          f"n_boot {args.n_boot}: {seconds[0]:.1f} CPU s ({seconds[1]:.1f} s wall)")
    flat = numbers(evaluations)
    if args.save:
        with open(args.save, "w") as handle:
            json.dump(flat, handle)
    if args.compare:
        with open(args.compare) as handle:
            compare(flat, json.load(handle))


if __name__ == "__main__":
    main()
