"""The issue-2 benchmark protocol on the real Dubai data, stage by stage, timed.

Runs ``rssqa train-pool``, ``build``, ``train`` and ``evaluate`` on a config (default
configs/dubai.yaml) as separate processes, records each stage's wall time and peak resident memory,
and writes a markdown report (the paper's Table 1 analogue with how often each method is the best
on a test tile, assessor comparison with intervals, stage costs, encoder forward count) to
benchmarks/results/<name>_protocol.md. Inference time per tile does not depend on the trained
weights: benchmarks/segzoo_profile.py measures it.

    python benchmarks/dubai_protocol.py [configs/dubai.yaml]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

from rssqa.config import load_config
from rssqa.sqed.store import SQEDStore

# Peak RSS of one child process, measured by a wrapper so every stage is measured on its own.
_MEASURE = ("import json, resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
            "print('PEAK_KIB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def run_stage(*args: str) -> dict:
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "rssqa.cli", *args]
    began = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    sys.stdout.write(result.stdout[-3000:])
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-5000:])
        raise SystemExit(f"stage {args[0]} failed")
    peak = next(int(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("PEAK_KIB"))
    return {"stage": args[0], "wall_s": round(seconds, 1), "peak_rss_mib": round(peak / 1024)}


def main(config_path: str = "configs/dubai.yaml") -> None:
    config = load_config(config_path)
    stages = [run_stage("train-pool", config_path, "--quiet"),
              run_stage("build", "-c", config_path, "--quiet"),
              run_stage("train", "-c", config_path, "--quiet"),
              run_stage("evaluate", "-c", config_path)]
    layout = config.layout
    store = SQEDStore.open(layout.sqed)
    pool_meta = store.manifest["pool"]
    records = store.records
    rows = []
    for m in store.methods:
        mine = records[records["method"] == m]
        test_oa = mine.loc[mine["split"] == "test", "oa"]
        rows.append({"method": m, "parameters": pool_meta[m]["parameters"],
                     "train_s": pool_meta[m]["train_seconds"],
                     "mean OA (SQED train)": mine.loc[mine["split"] == "train", "oa"].mean(),
                     "mean OA (SQED test)": test_oa.mean(), "OA std (SQED test)": test_oa.std(),
                     "mean mIoU (all)": mine["miou"].mean()})
    methods = pd.DataFrame(rows)
    best = store.labels("oa")[store.split_index("test")].argmax(axis=1)
    methods["best on test tiles"] = [int((best == j).sum()) for j in range(len(store.methods))]
    summary = pd.read_csv(layout.reports / "summary.csv")
    per_method = pd.read_csv(layout.reports / "per_method.csv")
    build = store.manifest["last_run"]
    lines = [
        f"# {config.name}: issue-2 protocol",
        "",
        f"Command: `python benchmarks/dubai_protocol.py {config_path}`; date {date.today()}; machine: "
        f"{platform.machine()} {platform.system()}, 2 CPU cores, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset (torch default)')}.",
        f"SQED: {len(store.tiles)} tiles of {config.tile_size} px "
        f"({(store.tiles['split'] == 'train').sum()} train, {(store.tiles['split'] == 'test').sum()} test), "
        f"{len(store.methods)} methods; encoder forwards in the last build run: {build['encoder_forwards']} "
        f"for {build['tiles_built']} newly built tiles (one per tile, whatever the number of methods).",
        "",
        "## Pool (the paper's Table 1 analogue)",
        methods.to_markdown(index=False, floatfmt=".4f"),
        "",
        "## Assessors on the SQED test split (95% bootstrap intervals)",
        summary.to_markdown(index=False),
        "",
        per_method.to_markdown(index=False),
        "",
        "## Stage costs",
        pd.DataFrame(stages).to_markdown(index=False),
    ]
    out = Path("benchmarks/results") / f"{config.name}_protocol.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    print(json.dumps(stages, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
