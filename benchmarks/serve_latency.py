"""Benchmark: `rssqa serve` on the demo experiment, upload-to-result time and a bounded load test.

    python benchmarks/serve_latency.py [--config CONFIG] [--assessor NAME] [--requests 20] [--geotiff]

Starts `rssqa serve` as its own process on a free 127.0.0.1 port, then (1) posts one 512 x 512
image (a demo assessment image resized to 512 x 512) to /api/assess several times and reports the
wall time from starting the upload to having the full answer (scores and every picture), first
call and median of the rest; (2) posts ``--requests`` images at once from as many client threads
and counts the answers by status (targets: all answered, none 5xx) and reads the server's peak
resident memory (VmHWM from /proc; target under 3 GB). With ``--geotiff`` the image is uploaded
as a georeferenced GeoTIFF (UTM 40N), whose answer also lists the scene's files to download.
Needs a trained demo experiment: run `rssqa demo` first. Writes
benchmarks/results/serve_latency.md (serve_latency_geotiff.md with ``--geotiff``).
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DEMO_IMAGE = ROOT / "src/rssqa/demo_data/dubai/images/tile2_image_part_001.jpg"


def parse() -> argparse.Namespace:
    from rssqa.config import builtin_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=builtin_config("demo"))
    parser.add_argument("--assessor", default=None, help="default: the config's")
    parser.add_argument("--requests", type=int, default=20, help="concurrent requests in the load test")
    parser.add_argument("--repeats", type=int, default=4, help="sequential single-image uploads")
    parser.add_argument("--geotiff", action="store_true",
                        help="upload a georeferenced GeoTIFF (answered with scene downloads too)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.out is None:
        name = "serve_latency_geotiff.md" if args.geotiff else "serve_latency.md"
        args.out = ROOT / "benchmarks/results" / name
    return args


def check_trained(config: Path, assessor: str | None) -> None:
    from rssqa.config import load_config

    cfg = load_config(config)
    folder = cfg.output_dir / "assessors" / (assessor or cfg.assessor.name)
    if not folder.is_dir():
        sys.exit(f"{folder} is missing: run the demo first (`.venv/bin/rssqa demo`), then this script")


def test_image(geotiff: bool) -> tuple[str, bytes, str]:
    """(file name, bytes, media type) of the upload."""
    image = Image.open(DEMO_IMAGE).convert("RGB").resize((512, 512), Image.Resampling.BICUBIC)
    if not geotiff:
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return "bench.png", buffer.getvalue(), "image/png"
    from rasterio.crs import CRS
    from rasterio.io import MemoryFile
    from rasterio.transform import Affine

    with MemoryFile() as memory:
        with memory.open(driver="GTiff", width=512, height=512, count=3, dtype="uint8",
                         crs=CRS.from_epsg(32640),
                         transform=Affine(0.5, 0, 500_000, 0, -0.5, 2_800_000)) as dataset:
            dataset.write(np.asarray(image).transpose(2, 0, 1))
        return "bench.tif", memory.read(), "image/tiff"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(args, port: int) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("rssqa")), "serve", "--config", str(args.config),
               "--port", str(port)] + (["--assessor", args.assessor] if args.assessor else [])
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped: {server.stderr.read()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/info", timeout=2).raise_for_status()
            return server
        except httpx.HTTPError:
            time.sleep(0.5)
    server.kill()
    sys.exit("the server did not answer within 300 s")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def post(url: str, upload: tuple[str, bytes, str]) -> tuple[int, float]:
    began = time.perf_counter()
    response = httpx.post(url, files={"file": upload}, timeout=600)
    return response.status_code, time.perf_counter() - began


def single_uploads(url: str, data: tuple[str, bytes, str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        status, seconds = post(url, data)
        if status != 200:
            sys.exit(f"a single upload was answered {status}")
        times.append(seconds)
    return times


def load_test(url: str, data: tuple[str, bytes, str], requests: int) -> tuple[Counter, list[float], float]:
    began = time.perf_counter()
    with ThreadPoolExecutor(requests) as pool:
        answers = list(pool.map(lambda _: post(url, data), range(requests)))
    return Counter(s for s, _ in answers), [t for _, t in answers], time.perf_counter() - began


def report(args, times, statuses, latencies, wall, rss_mb) -> str:
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    lines = [
        "# rssqa serve: latency and load (benchmarks/serve_latency.py)", "",
        f"- command: `python benchmarks/serve_latency.py --config {os.path.relpath(args.config, ROOT)}"
        f"{' --assessor ' + args.assessor if args.assessor else ''} --requests {args.requests}"
        f"{' --geotiff' if args.geotiff else ''}`",
        f"- machine: {os.cpu_count()} CPU cores visible, torch threads default; "
        f"date {datetime.date.today().isoformat()}",
        "- image: a demo assessment image resized to 512 x 512 "
        + ("GeoTIFF in UTM 40N (answered with the scene's downloads)" if args.geotiff else "PNG"), "",
        "| measure | value | target |", "|---|---|---|",
        f"| upload to result, first call | {times[0]:.2f} s | |",
        f"| upload to result, median of next {len(times) - 1} | {statistics.median(times[1:]):.2f} s | < 5 s |",
        f"| {args.requests} concurrent requests: answers by status | "
        f"{', '.join(f'{s}: {n}' for s, n in sorted(statuses.items()))} | all 200, none 5xx |",
        f"| {args.requests} concurrent: wall time, slowest answer | {wall:.1f} s, {max(latencies):.1f} s | |",
        f"| server peak RSS (VmHWM) | {rss_mb:,.0f} MB | < 3072 MB |",
        f"| 5xx answers | {server_errors} | 0 |", ""]
    return "\n".join(lines)


def main() -> None:
    args = parse()
    check_trained(args.config, args.assessor)
    data, port = test_image(args.geotiff), free_port()
    server = start_server(args, port)
    try:
        url = f"http://127.0.0.1:{port}/api/assess"
        times = single_uploads(url, data, max(2, args.repeats))
        statuses, latencies, wall = load_test(url, data, args.requests)
        rss_mb = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    text = report(args, times, statuses, latencies, wall, rss_mb)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
