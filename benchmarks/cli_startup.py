"""How long `rssqa --help` and an argument error take to answer (issue 10's target: under 1.5 s).

    python benchmarks/cli_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

RSSQA = Path(sys.executable).with_name("rssqa")
CASES = {"rssqa --help": ["--help"], "rssqa train -c missing.yaml (error)": ["train", "-c", "missing.yaml"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print("| command | median s | max s |\n|---|---:|---:|")
    for label, arguments in CASES.items():
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            subprocess.run([str(RSSQA), *arguments], capture_output=True)
            times.append(time.perf_counter() - began)
        print(f"| {label} | {statistics.median(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
