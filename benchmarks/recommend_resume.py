"""What does resuming an interrupted ``rssqa recommend`` on a folder of images save?

Runs the command on a folder of demo images three ways, each from its own process: whole, into
a fresh folder; stopped (SIGTERM, as a killed job) once ``--stop-after`` images are written; then
the same command again, which resumes. Prints the wall times and checks that the resumed run's
tables and masks are byte for byte those of the whole run.

    rssqa demo                                           # once: trains the demo experiment
    OMP_NUM_THREADS=1 python benchmarks/recommend_resume.py [--images 12] [--stop-after 8]
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = "src/rssqa/configs/demo.yaml"
COMMAND = [sys.executable, "-m", "rssqa.cli", "recommend", "-c", CONFIG, "--quiet"]


def timed(images: Path, out: Path) -> float:
    began = time.perf_counter()
    subprocess.run([*COMMAND, str(images), "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - began


def stopped(images: Path, out: Path, after: int) -> int:
    """Start the command and kill it once ``after`` images' masks are written; how many were."""
    process = subprocess.Popen([*COMMAND, str(images), "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and len(list(out.glob("*_labels.png"))) < after:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    process.wait()
    return len(list(out.glob("*_labels.png")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--stop-after", type=int, default=8)
    args = parser.parse_args()
    from rssqa.data import demo_data_root

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        images = scratch / "images"
        images.mkdir()
        for path in sorted((demo_data_root() / "images").glob("*.jpg"))[:args.images]:
            shutil.copy(path, images)
        whole = timed(images, scratch / "whole")
        done = stopped(images, scratch / "resumed", args.stop_after)
        resumed = timed(images, scratch / "resumed")
        names = sorted(p.name for p in (scratch / "whole").iterdir() if not p.name.startswith("."))
        same = filecmp.cmpfiles(scratch / "whole", scratch / "resumed", names, shallow=False)[0]
        print(f"{args.images} images: whole run {whole:.1f} s; stopped after {done} images, "
              f"the same command again {resumed:.1f} s ({resumed / whole:.2f}x); "
              f"{len(same)} of {len(names)} output files identical to the whole run's")


if __name__ == "__main__":
    main()
