"""Benchmark (the paper's Table 7): RS-SQA with each semantic encoder on the same SQED.

    python benchmarks/cliprs_table7.py --experiment configs/dubai.yaml --cliprs-run runs/cliprs_dubai

For the ImageNet-only EfficientNet-Lite0, CLIP_Sem and CLIP-RS (the last two from a finished
``rssqa pretrain-clip`` run), build the SQED with that encoder, train RS-SQA on its train split and
evaluate on its test split: P@1, P@3, mean SROCC/PLCC over methods, with bootstrap intervals over
tiles. The segmentation pool is trained once (under the experiment's output) and shared, so the
encoders differ in nothing else. Writes benchmarks/results/cliprs_table7.md.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import os
from pathlib import Path

from rssqa.config import ComponentConfig, load_config
from rssqa.stages import build_store, evaluate_assessors, train_assessors
from rssqa.pool.training import train_pool

ROOT = Path(__file__).resolve().parents[1]


def encoders(cliprs_run: Path, imagenet_input_size: int) -> dict[str, ComponentConfig]:
    """The compared encoders. CLIP_Sem and CLIP-RS run at the size they were trained at."""
    return {
        "ImageNet EfficientNet-Lite0": ComponentConfig("efficientnet-lite0", {"input_size": imagenet_input_size}),
        "CLIP_Sem": ComponentConfig("clip-rs", {"checkpoint": str(cliprs_run / "clip_sem" / "model")}),
        "CLIP-RS": ComponentConfig("clip-rs", {"checkpoint": str(cliprs_run / "clip_rs" / "model")}),
    }


def with_encoder(experiment, label: str, encoder: ComponentConfig, shared_pool: Path):
    """A copy of ``experiment`` writing under its own folder, whose pool is the shared one."""
    config = copy.deepcopy(experiment)
    config.encoder = encoder
    config.output = str(Path(experiment.output + "_table7") / label.replace(" ", "_"))
    pool = config.layout.pool
    pool.parent.mkdir(parents=True, exist_ok=True)
    if not pool.exists():
        os.symlink(shared_pool.resolve(), pool, target_is_directory=True)
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "configs" / "dubai.yaml")
    parser.add_argument("--cliprs-run", type=Path, default=Path("runs/cliprs_dubai"))
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cliprs_table7.md")
    options = parser.parse_args()
    experiment = load_config(options.experiment)
    for stage in ("clip_sem", "clip_rs"):
        if not (options.cliprs_run / stage / "model" / "open_clip_config.json").is_file():
            raise SystemExit(f"{options.cliprs_run}: no finished {stage} model; run "
                             "`rssqa pretrain-clip -c configs/cliprs_dubai.yaml` first")
    train_pool(experiment)  # once; every encoder's experiment links to it
    shared_pool = experiment.layout.pool
    imagenet_size = experiment.encoder.kwargs.get("input_size", experiment.tile_size)
    rows = []
    for label, encoder in encoders(options.cliprs_run, imagenet_size).items():
        config = with_encoder(experiment, label, encoder, shared_pool)
        store = build_store(config)
        train_assessors(config, store, ["rssqa"])
        summary, _, _ = evaluate_assessors(config, store, ["rssqa"], n_boot=options.n_boot)
        rows.append((label, summary.iloc[0]))
    lines = [
        f"# RS-SQA with each semantic encoder (Table 7 protocol), experiment {experiment.name!r}",
        "",
        f"- Command: `python benchmarks/cliprs_table7.py --experiment {options.experiment} "
        f"--cliprs-run {options.cliprs_run}`",
        f"- Machine: {os.cpu_count()}-core CPU, no GPU; date {datetime.date.today().isoformat()}",
        "- Intervals: 95 % bootstrap over test tiles.",
        "",
        "| semantic encoder | P@1 | P@3 | SROCC (mean over methods) | PLCC (mean over methods) | test tiles |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {label} | {s['P@1']} | {s['P@3']} | {s['SROCC (mean over methods)']} | "
              f"{s['PLCC (mean over methods)']} | {s['tiles']} |" for label, s in rows]
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text("\n".join(lines) + "\n")
    print(options.out.read_text())


if __name__ == "__main__":
    main()
