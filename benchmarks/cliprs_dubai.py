"""Benchmark: the offline CLIP-RS pipeline on the Dubai imagery, end to end, timed.

    python benchmarks/cliprs_dubai.py [--config configs/cliprs_dubai.yaml] [--fresh] [--model-seeds 0 1]

Writes benchmarks/results/cliprs_dubai.md: wall time per stage, image-text retrieval R@1/R@5 and
zero-shot class presence for the ImageNet-only LiT start, CLIP_Sem and CLIP-RS on the held-out
test images of tiles 2, 4, 6, 8, and the purification filter's precision/recall on the synthetic
noisy pool, all with 95 % bootstrap intervals over source images. With several ``--model-seeds``
the whole pipeline is rerun per seed on the same data (same crops, split, captions and noise; other
projection init, data order and augmentation), and a table of the key figures per seed shows the
run-to-run spread that bootstrap intervals over images do not capture.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
from dataclasses import replace
from pathlib import Path

import torch

from rssqa.cliprs.pipeline import STAGES, load_config, run_pipeline

ROOT = Path(__file__).resolve().parents[1]
LABELS = {"base": "ImageNet-only (LiT start)", "CLIP_Sem": "CLIP_Sem", "CLIP-RS": "CLIP-RS",
          "unpurified": "ablation: CLIP_Sem continued on the raw pool (no purification)"}
COLUMNS = [("image_to_text_R@1", "I→T R@1"), ("image_to_text_R@5", "I→T R@5"),
           ("text_to_image_R@1", "T→I R@1"), ("text_to_image_R@5", "T→I R@5"),
           ("presence_accuracy", "presence acc."), ("presence_balanced_accuracy", "presence bal. acc.")]


def _cell(value: dict) -> str:
    return f"{value['estimate']:.3f} [{value['low']:.3f}, {value['high']:.3f}]"


def report(run_dir: Path, command: str) -> str:
    metrics = json.loads((run_dir / "evaluate" / "metrics.json").read_text())
    timings = json.loads((run_dir / "timings.json").read_text())
    threshold = json.loads((run_dir / "purify" / "threshold.json").read_text())
    data = metrics["data"]
    lines = [
        "# CLIP-RS pretraining on Dubai (offline LiT model)",
        "",
        f"- Command: `{command}`",
        f"- Machine: {os.cpu_count()}-core CPU ({platform.processor() or platform.machine()}), shared with "
        f"other jobs; torch {torch.__version__}, 1 thread, no GPU",
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Wall time, sum of the stages as first computed: {sum(timings.values()) / 60:.1f} min "
        f"({sum(v for k, v in timings.items() if k != 'clip_noisy') / 60:.1f} min without the optional "
        "clip_noisy ablation; target 30 min): " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()),
        f"- Pretraining data: tiles 1, 3, 5, 7 cut into 256-px crops: {data['crops_by_role']}",
        f"- Evaluation: {data['eval_crops']} crops of {data['eval_source_images']} held-out source images "
        f"(test images of tiles 2, 4, 6, 8, split as the SQED), {data['eval_captions']} mask captions",
        "- Intervals: 95 % percentile bootstrap over source images (crops of one image are not independent).",
        "",
        "## Retrieval and zero-shot class presence (held-out Dubai crops)",
        "",
        "| model | " + " | ".join(name for _, name in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for key, label in LABELS.items():
        if key not in metrics:
            continue
        lines.append(f"| {label} | " + " | ".join(_cell(metrics[key][c]) for c, _ in COLUMNS) + " |")
    f = metrics["filter"]
    lines += [
        "",
        "## Caption purification on the synthetic noisy pool",
        "",
        f"Threshold rule: {threshold['rule']} (= {threshold['threshold']:.4f}, from "
        f"{threshold['calibration_pairs']} pairs); {threshold['flagged']} of {threshold['pool_pairs']} pool "
        "pairs flagged.",
        "",
        "| precision | recall | flag rate on clean captions |",
        "|---|---|---|",
        f"| {_cell(f['filter_precision'])} | {_cell(f['filter_recall'])} | {f['flag_rate_on_clean']:.3f} |",
        "",
        "Recall by noise kind: " + ", ".join(f"{k} {v:.2f}" for k, v in f["recall_by_kind"].items()) + ".",
        "",
        "The noisy pool is synthetic (rssqa.cliprs.noise): web captions do not exist for this data.",
    ]
    return "\n".join(lines) + "\n"


def seed_table(runs: dict[int, Path]) -> str:
    """Key figures per model seed (estimates only)."""
    figures = [("image_to_text_R@5", "I→T R@5"), ("text_to_image_R@5", "T→I R@5"),
               ("presence_balanced_accuracy", "presence bal. acc.")]
    metrics = {seed: json.loads((run / "evaluate" / "metrics.json").read_text()) for seed, run in runs.items()}
    seeds = list(runs)
    lines = ["", f"## Across model seeds {', '.join(map(str, seeds))} (estimates; same data)", "",
             "| model | " + " | ".join(f"{name} (seeds {'/'.join(map(str, seeds))})" for _, name in figures) + " |",
             "|---|" + "---|" * len(figures)]
    for key, label in LABELS.items():
        if all(key in m for m in metrics.values()):
            lines.append(f"| {label} | " + " | ".join(
                " / ".join(f"{metrics[s][key][f]['estimate']:.3f}" for s in seeds) for f, _ in figures) + " |")
    per_seed = {name: " / ".join(f"{metrics[s]['filter'][key]['estimate']:.3f}" for s in seeds)
                for key, name in (("filter_precision", "precision"), ("filter_recall", "recall"))}
    lines += ["", f"Filter (seeds {'/'.join(map(str, seeds))}): precision {per_seed['precision']}, "
              f"recall {per_seed['recall']}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "cliprs_dubai.yaml")
    parser.add_argument("--fresh", action="store_true", help="discard cached stages first")
    parser.add_argument("--model-seeds", type=int, nargs="+", default=None,
                        help="rerun the models with each seed (default: the config's model_seed)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cliprs_dubai.md")
    options = parser.parse_args()
    config = load_config(options.config)
    if not Path(config.data["root"]).is_dir():
        raise SystemExit(f"{config.data['root']}: the Dubai data is not here; see the data README")
    seeds = options.model_seeds or [config.model_seed]
    runs = {}
    for seed in seeds:
        run_dir = config.run_dir if seed == seeds[0] else f"{config.run_dir}_model_seed{seed}"
        seeded = replace(config, model_seed=seed, run_dir=run_dir)
        if options.fresh:
            for stage in STAGES:
                shutil.rmtree(Path(run_dir) / stage, ignore_errors=True)
        runs[seed] = run_pipeline(seeded)
    config_name = options.config.relative_to(ROOT) if options.config.is_relative_to(ROOT) else options.config
    command = (f"python benchmarks/cliprs_dubai.py --config {config_name}" + (" --fresh" if options.fresh else "")
               + (f" --model-seeds {' '.join(map(str, seeds))}" if options.model_seeds else ""))
    text = report(runs[seeds[0]], command)
    if len(seeds) > 1:
        text += seed_table(runs)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
