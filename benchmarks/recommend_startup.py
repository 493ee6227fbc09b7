"""How soon does `rssqa recommend` reach its first image, and what does assessing a tile cost
beyond the floor (one encoder forward plus one forward per method)?

Start-up is timed in a fresh process per run, as a user meets it, phase by phase: importing
rssqa's recommender, opening the trained experiment (config, store manifest, pool weights,
encoder, assessor, intervals) and assessing the first image, and from the process's launch to
its first image (the interpreter included, its exit not). The command line is timed too:
``rssqa recommend`` on a folder of one demo image, from launch until that image's segmentation
file appears (its files are written whole, by renaming). The per-tile cost compares, on the
same batches of tiles, ``Recommender.assess_batch`` (encoder, pool, signals, assessor) with the
floor it cannot go below: the encoder's forward and each method's forward alone.

    rssqa demo                                           # once: trains the demo experiment
    OMP_NUM_THREADS=1 python benchmarks/recommend_startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = "src/rssqa/configs/demo.yaml"

# One fresh process: the phases' seconds as JSON on stdout.
STARTUP = f"""
import json, sys, time
launched = float(sys.argv[1])  # the parent's wall clock just before it started this process
began = time.perf_counter()
from rssqa.data import demo_data_root
from rssqa.experiment import open_experiment
from rssqa.recommend import Recommender
imported = time.perf_counter()
recommender = Recommender.of(open_experiment({CONFIG!r}))
opened = time.perf_counter()
image = sorted((demo_data_root() / "images").glob("*.jpg"))[0]
recommender.assess_file(image)
first = time.perf_counter()
print(json.dumps({{"import": imported - began, "open experiment": opened - imported,
                   "first image": first - opened, "total": first - began,
                   "process start to first image": time.time() - launched}}))
"""


def startup(runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {}
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", STARTUP, repr(time.time())],
                              capture_output=True, text=True, check=True)
        phases = json.loads(done.stdout.strip().splitlines()[-1])
        phases["process, start to exit"] = time.perf_counter() - began
        for phase, seconds in phases.items():
            times.setdefault(phase, []).append(seconds)
    return {phase: statistics.median(values) for phase, values in times.items()}


def command_line(runs: int) -> float:
    """Median seconds from launching ``rssqa recommend`` to its first image's segmentation file."""
    from rssqa.data import demo_data_root

    seconds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as work:
            folder, out = Path(work) / "images", Path(work) / "out"
            folder.mkdir()
            shutil.copy(sorted((demo_data_root() / "images").glob("*.jpg"))[0], folder)
            began = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "rssqa.cli", "recommend", str(folder), "-c", CONFIG,
                 "--out", str(out), "--quiet"], stdout=subprocess.DEVNULL)
            first = None
            while first is None and process.poll() is None:
                if out.is_dir() and any(out.glob("*_segmentation.png")):
                    first = time.perf_counter() - began
                time.sleep(0.005)
            if process.wait() != 0 or first is None:
                raise SystemExit(f"rssqa recommend failed (exit {process.returncode})")
            seconds.append(first)
    return statistics.median(seconds)


def tile_cost(batches: int = 5, batch_size: int = 16) -> tuple[float, float]:
    """(seconds per tile of assess_batch, of the floor), medians over ``batches`` batches."""
    import numpy as np

    from rssqa.experiment import open_experiment
    from rssqa.pool.member import TileRef
    from rssqa.recommend import Recommender

    recommender = Recommender.of(open_experiment(CONFIG))
    size = recommender.tile_size
    rng = np.random.default_rng(0)
    full, floor = [], []
    for index in range(batches + 1):  # the first batch warms up and is not counted
        tiles = rng.integers(0, 256, (batch_size, size, size, 3), dtype=np.uint8)
        refs = [TileRef("bench", (size, size * batch_size), size * i, 0, size) for i in range(batch_size)]
        began = time.perf_counter()
        recommender.assess_batch(tiles, refs, "bench", [f"t{i}" for i in range(batch_size)])
        middle = time.perf_counter()
        recommender.encoder.encode(tiles)
        for member in recommender.pool:
            member.segment(tiles, refs)
        ended = time.perf_counter()
        if index:
            full.append((middle - began) / batch_size)
            floor.append((ended - middle) / batch_size)
    return statistics.median(full), statistics.median(floor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"| phase (median of {args.runs} fresh processes) | s |\n|---|---:|")
    for phase, seconds in startup(args.runs).items():
        print(f"| {phase} | {seconds:.2f} |")
    print(f"| `rssqa recommend`, launch to the first image's segmentation file | "
          f"{command_line(args.runs):.2f} |")
    full, floor = tile_cost()
    print(f"\nper tile: assess_batch {1000 * full:.1f} ms, floor (encoder + each method's forward) "
          f"{1000 * floor:.1f} ms, ratio {full / floor:.2f}")


if __name__ == "__main__":
    main()
