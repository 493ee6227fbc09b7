"""Issue 15: Text2Seg zero-shot members on the Dubai SQED images.

    python benchmarks/text2seg_dubai.py routes --split test        # per-class IoU, mIoU, s/tile
    python benchmarks/text2seg_dubai.py build                      # the nine-member SQED store
    rssqa benchmark -c configs/benchmark_text2seg.yaml                # assessors on nine methods
    rssqa benchmark -c configs/benchmark_text2seg.yaml --store runs/dubai_paper8/sqed \
        --output runs/text2seg_dubai8_selection                    # the same on the eight
    python benchmarks/text2seg_dubai.py summary                    # the zero-shot member's rows

Everything follows configs/dubai_text2seg.yaml: the SQED images of tiles 2, 4, 6, 8 split by source
image as for the eight-method pool. The eight trained methods are read from runs/dubai_paper8/pool
(never written); the Text2Seg member is built from the config's ``text2seg`` entry. ``routes``
evaluates each offline route on a split (``--split train`` to choose among them without test
labels); run with OMP_NUM_THREADS=1.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from rssqa.config import load_config
from rssqa.data.assignment import sqed_samples
from rssqa.data.tiling import SkipLog
from rssqa.metrics.segmentation import (
    confusion_matrix,
    iou_per_class,
    segmentation_scores,
)
from rssqa.encoders import build_encoder
from rssqa.data.labelled import load_source, load_tiles
from rssqa.data.assignment import sqed_split
from rssqa.pool.train import load_trained
from rssqa.text2seg import Text2SegMember

CONFIG = "configs/dubai_text2seg.yaml"
TRAINED_POOL = Path("runs/dubai_paper8/pool")
RESULTS = Path("benchmarks/results")
OFFLINE_ROUTES = ("offline", "superpixel-clip", "superpixel-surgery")


def text2seg_kwargs(config) -> dict:
    entry = next(e for e in config.pool.methods if e.name == "text2seg")
    return dict(entry.kwargs)


def split_tiles(config, split: str, every: int = 1):
    """Tile ids, images and masks of the SQED images of ``split`` (every ``every``-th tile)."""
    samples, classmap = load_source(config)
    sqed_part = sqed_samples(samples, config.split_rule)
    split_of = sqed_split(sqed_part, config.split_rule)
    chosen = [s for s in sqed_part if split_of[s.source_id] == split]
    ids, images, masks = load_tiles(chosen, config.tile_size, classmap, SkipLog())
    return ids[::every], images[::every], masks[::every], classmap


def evaluate_route(member: Text2SegMember, images: np.ndarray, masks: np.ndarray, classmap) -> dict:
    """Per-class IoU over all pixels of the split, mean per-tile OA / mIoU, seconds per tile."""
    confusion = np.zeros((classmap.num_classes,) * 2, np.int64)
    per_tile, seconds = [], []
    for image, mask in zip(images, masks):
        start = time.perf_counter()
        predicted = member.segment(image[None]).masks[0]
        seconds.append(time.perf_counter() - start)
        confusion += confusion_matrix(predicted, mask, classmap.num_classes, classmap.ignore_index)
        per_tile.append(segmentation_scores(predicted, mask, classmap.num_classes, classmap.ignore_index))
    iou = iou_per_class(confusion)
    prompted = [classmap.names.index(name) for name in member.meta["prompts"]]
    return {"iou": {classmap.names[c]: float(iou[c]) for c in range(classmap.num_classes)},
            "miou_prompted_classes": float(np.nanmean(iou[prompted])),
            "tile_oa": float(np.mean([s["oa"] for s in per_tile])),
            "tile_miou": float(np.nanmean([s["miou"] for s in per_tile])),
            "seconds_per_tile": float(np.median(seconds)), "seconds_mean": float(np.mean(seconds)),
            "tiles": len(images)}


def routes_command(split: str, every: int, routes: list[str], proposals: str, tag: str) -> None:
    config = load_config(CONFIG)
    ids, images, masks, classmap = split_tiles(config, split, every)
    print(f"{len(ids)} tiles of the {split} split, torch threads {torch.get_num_threads()}")
    results = {}
    for route in routes:
        kwargs = {**text2seg_kwargs(config), "route": route, "options": {"proposals": proposals}}
        member = Text2SegMember(classmap=classmap, **kwargs)
        results[route] = evaluate_route(member, images, masks, classmap)
        print(route, json.dumps(results[route]), flush=True)
    out = RESULTS / f"text2seg_dubai_routes_{split}_{proposals}{tag}.json"
    earlier = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**earlier, **results}, indent=2))  # other routes' results kept
    print(f"wrote {out}")


def nine_member_pool(config, classmap) -> list:
    """The eight trained methods (loaded read-only from the eight-method experiment) and the
    Text2Seg member, in config order."""
    pool = []
    for entry in config.pool.methods:
        if entry.name == "text2seg":
            pool.append(Text2SegMember(classmap=classmap, **entry.kwargs))
        else:
            pool.append(load_trained(TRAINED_POOL / entry.name))
    return pool


def build_command() -> None:
    from rssqa.sqed.builder import build_sqed

    config = load_config(CONFIG)
    samples, classmap = load_source(config)
    sqed_part = sqed_samples(samples, config.split_rule)
    split_of = sqed_split(sqed_part, config.split_rule)
    pool = nine_member_pool(config, classmap)
    start = time.perf_counter()
    build_sqed(config.layout.sqed, sqed_part, split_of, pool, build_encoder(config),
               classmap, config.tile_size,
               build_info={**config.split_rule.build_info(),
                           "encoder": json.loads(json.dumps(config.encoder.kwargs, default=str))},
               batch_size=config.sqed.batch_size)
    print(f"nine-member SQED built in {time.perf_counter() - start:.0f} s")


def zero_shot_rows(benchmark_config: str, member: str = "text2seg") -> list[dict]:
    """Per assessor, from the benchmark's cached predictions (no refitting): SROCC of its
    predictions of the zero-shot member's per-tile OA, how often it picks the member, how often
    that pick is wrong (another method is more accurate on the tile) and the OA lost there."""
    from rssqa.benchmark.config import BenchmarkConfig
    from rssqa.benchmark.runner import load_benchmark_data, run_all
    from rssqa.metrics.bootstrap import bootstrap_ci
    from rssqa.metrics.correlation import srocc

    config = replace(BenchmarkConfig.from_yaml(benchmark_config), verbose=False)
    data = load_benchmark_data(config)
    truth = data.test.targets
    column = list(data.test.methods).index(member)
    rows = []
    for result in run_all(config, data):
        picks = result.picks("test").argmax(axis=2)  # S x N
        chosen = picks == column
        wrong = chosen & (truth[:, column] < truth.max(axis=1))[None]
        lost = np.where(wrong, truth.max(axis=1)[None] - truth[:, column][None], 0.0)
        interval = bootstrap_ci(srocc, result.test[0][:, column], truth[:, column], n_boot=500)
        rows.append({"assessor": result.spec.label, "seeds": len(result.seeds),
                     "srocc_zero_shot": float(np.mean([srocc(t[:, column], truth[:, column])
                                                        for t in result.test])),
                     "srocc_interval_seed0": [interval.low, interval.high],
                     "picked": float(chosen.sum(axis=1).mean()), "wrong": float(wrong.sum(axis=1).mean()),
                     "oa_lost_per_test_tile": float(lost.sum(axis=1).mean() / len(truth)),
                     "tiles": len(truth), "best_on": int((truth.argmax(axis=1) == column).sum())})
    return rows


def default_nine_against_eight(label: str = "Safe (listwise) – rssqa default") -> dict:
    """Paired bootstrap (500 resamples of the test tiles) of the default recommender's P@1 and
    OA of picks on nine methods minus eight: the eight-method store's picks and truth are
    padded with the zero-shot member as a never-picked, never-best column."""
    from rssqa.benchmark.config import BenchmarkConfig
    from rssqa.benchmark.runner import load_benchmark_data, run_all
    from rssqa.metrics.bootstrap import paired_bootstrap_test

    picks, truths = {}, {}
    for name, store, output in (("nine", None, None), ("eight", "runs/dubai_paper8/sqed",
                                                        "runs/text2seg_dubai8_selection")):
        config = BenchmarkConfig.from_yaml("configs/benchmark_text2seg.yaml")
        if store is not None:
            config = replace(config, store=Path(store), output=Path(output))
        config = replace(config, verbose=False)
        data = load_benchmark_data(config)
        result = next(r for r in run_all(config, data) if r.spec.label == label)
        picks[name], truths[name] = result.picks("test")[0].argmax(axis=1), data.test.targets[:, :8]
        assert list(data.test.methods[:8]) == [m.name for m in load_config(CONFIG).pool.methods[:8]]
    assert np.array_equal(truths["nine"], truths["eight"]), "the two stores' tiles differ"
    truth = truths["eight"]

    def p_at_1(chosen, t):
        return float(np.mean(chosen == t.argmax(axis=1)))

    def oa_of_picks(chosen, t):
        return float(np.mean(t[np.arange(len(t)), chosen]))

    out = {}
    for measure, statistic in (("P@1", p_at_1), ("OA of picks", oa_of_picks)):
        test = paired_bootstrap_test(statistic, picks["nine"], picks["eight"], truth, n_boot=500)
        out[measure] = {"nine_minus_eight": test.diff, "low": test.low, "high": test.high,
                        "p": test.p_value}
    out["tiles_with_another_pick"] = int(np.sum(picks["nine"] != picks["eight"]))
    return out


def summary_command() -> None:
    rows = zero_shot_rows("configs/benchmark_text2seg.yaml")
    out = RESULTS / "text2seg_dubai_zero_shot_member.json"
    out.write_text(json.dumps(rows, indent=2))
    print("| assessor | SROCC on text2seg [95 % CI] | picks text2seg (tiles) | wrong picks | OA lost / test tile |")
    print("|---|---|---:|---:|---:|")
    for row in rows:
        low, high = row["srocc_interval_seed0"]
        print(f"| {row['assessor']} | {row['srocc_zero_shot']:.3f} [{low:.3f}, {high:.3f}] | {row['picked']:.1f} | "
              f"{row['wrong']:.1f} | {row['oa_lost_per_test_tile']:.4f} |")
    print(f"text2seg is the most accurate method on {rows[0]['best_on']} of {rows[0]['tiles']} test tiles; wrote {out}")
    comparison = default_nine_against_eight()
    (RESULTS / "text2seg_dubai_nine_vs_eight.json").write_text(json.dumps(comparison, indent=2))
    print("default recommender, nine methods minus eight:", json.dumps(comparison))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    routes = commands.add_parser("routes")
    routes.add_argument("--split", default="test", choices=["train", "test"])
    routes.add_argument("--every", type=int, default=1, help="keep every n-th tile")
    routes.add_argument("--routes", nargs="+", default=list(OFFLINE_ROUTES))
    routes.add_argument("--proposals", default="slic", choices=["slic", "felzenszwalb"])
    routes.add_argument("--tag", default="", help="suffix of the results file (e.g. _2threads)")
    commands.add_parser("build")
    commands.add_parser("summary")
    args = parser.parse_args()
    if args.command == "routes":
        routes_command(args.split, args.every, args.routes, args.proposals, args.tag)
    elif args.command == "build":
        build_command()
    else:
        summary_command()
