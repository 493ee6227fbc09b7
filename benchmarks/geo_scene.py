"""Benchmark: one large GeoTIFF scene end to end, time per megapixel and peak memory by size.

    python benchmarks/geo_scene.py [--sizes 2000 10000] [--work runs/geo_bench]

Targets (issue 13): a 10 000 x 10 000 3-band scene under 2 GB peak RSS, and its time per
megapixel within 10% of a 2 000 x 2 000 scene's. Uses a copy of the demo experiment (pool:
U-Net, FPN, DeepLabV3+; EfficientNet-Lite0 encoder; the safe listwise recommender; 128-px tiles)
made by `rssqa demo`, copied to ``--work`` so the demo's own run is never touched. Scenes are
3-band 8-bit GeoTIFFs tiled from the demo's Dubai images (mirrored, so seams are continuous),
with a UTM transform. Each size runs in a fresh process: its peak RSS (ru_maxrss) includes
loading the experiment; the time is that of ``recommend_scene`` alone (reading, assessing,
writing the four COGs and the summary). Writes benchmarks/results/geo_scene.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEMO_RUN = ROOT / "runs/demo"
DEMO_IMAGE = ROOT / "src/rssqa/demo_data/dubai/images/tile7_image_part_001.jpg"


def prepare_experiment(work: Path) -> Path:
    """A copy of the trained demo experiment (pool, assessors, the store's manifest and tables)
    under ``work``, and its config."""
    config = work / "demo.yaml"
    if config.is_file():
        return config
    if not (DEMO_RUN / "assessors" / "safe").is_dir():
        sys.exit(f"{DEMO_RUN} has no trained demo: run `.venv/bin/rssqa demo` first")
    experiment = work / "experiment"
    for part in ("pool", "assessors"):
        shutil.copytree(DEMO_RUN / part, experiment / part)
    (experiment / "sqed").mkdir(parents=True)
    for name in ("manifest.json", "tiles.parquet", "records.parquet"):
        shutil.copy(DEMO_RUN / "sqed" / name, experiment / "sqed" / name)
    text = (ROOT / "src/rssqa/configs/demo.yaml").read_text()
    config.write_text(text.replace("output: runs/demo", f"output: {experiment}"))
    return config


def write_scene(path: Path, size: int) -> Path:
    """A size x size 3-band uint8 GeoTIFF, written strip by strip (bounded memory)."""
    import rasterio
    from PIL import Image
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    if path.is_file():
        return path
    image = np.asarray(Image.open(DEMO_IMAGE).convert("RGB"))
    mirrored = np.concatenate([image, image[:, ::-1]], axis=1)
    mirrored = np.concatenate([mirrored, mirrored[::-1]], axis=0)  # tiles seamlessly
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8",
               "crs": "EPSG:32640", "transform": from_origin(552000.0, 2795000.0, 0.5, 0.5),
               "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "deflate"}
    period_y, period_x = mirrored.shape[:2]
    columns = np.arange(size) % period_x
    with rasterio.open(path, "w", **profile) as dataset:
        for top in range(0, size, 512):
            rows = np.arange(top, min(size, top + 512)) % period_y
            strip = mirrored[rows][:, columns]
            dataset.write(strip.transpose(2, 0, 1), window=Window(0, top, size, len(rows)))
    return path


def measure(scene: Path, config: Path, out: Path) -> dict:
    """Run in a fresh process: load the experiment, process the scene once."""
    from rssqa.geo.experiment import ExperimentRef, load_scene_experiment
    from rssqa.geo.scene import SceneJob, recommend_scene

    began = time.perf_counter()
    experiment = load_scene_experiment(ExperimentRef(config))
    loaded = time.perf_counter()
    shutil.rmtree(out, ignore_errors=True)
    cpu_before = _cpu_seconds()
    summary = recommend_scene(SceneJob(scene, out, scene.stem), experiment.recommender,
                              experiment.settings, experiment.intervals, overwrite=True)
    seconds, cpu = time.perf_counter() - loaded, _cpu_seconds() - cpu_before
    megapixels = summary["height"] * summary["width"] / 1e6
    return {"size": summary["width"], "megapixels": megapixels, "tiles": summary["tiles"]["total"],
            "load_s": round(loaded - began, 1), "scene_s": round(seconds, 1),
            "s_per_megapixel": round(seconds / megapixels, 2),
            "cpu_s_per_megapixel": round(cpu / megapixels, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "recommended": summary["recommended"], "torch_threads": __import__("torch").get_num_threads()}


def _cpu_seconds() -> float:
    """User + system CPU time of this process: on cores shared with other jobs, the work done,
    which wall time (also reported) mixes with waiting for a core."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(results: list[dict], command: str) -> str:
    base = results[0]
    lines = ["| scene | megapixels | tiles | wall (s) | wall s / MP | vs first | CPU s / MP | vs first "
             "| peak RSS (MB) |", "|---|---|---|---|---|---|---|---|---|"]
    for row in results:
        wall = row["s_per_megapixel"] / base["s_per_megapixel"]
        cpu = row["cpu_s_per_megapixel"] / base["cpu_s_per_megapixel"]
        lines.append(f"| {row['size']} x {row['size']} | {row['megapixels']:.0f} | {row['tiles']} | "
                     f"{row['scene_s']} | {row['s_per_megapixel']} | {wall:.3f} | "
                     f"{row['cpu_s_per_megapixel']} | {cpu:.3f} | {row['peak_rss_mb']} |")
    return "\n".join([f"`{command}`", "", f"{datetime.date.today()}, {platform.machine()}, "
                      f"{os.cpu_count()} CPU cores (shared), torch threads {base['torch_threads']}; "
                      "experiment load excluded from the time, included in the peak RSS.", "", *lines, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--work", type=Path, default=ROOT / "runs/geo_bench")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/geo_scene.md")
    args = parser.parse_args()
    config = prepare_experiment(args.work.resolve())
    if args.measure:
        print(json.dumps(measure(args.measure, config, args.work / f"out_{args.measure.stem}")))
        return
    results = []
    for size in args.sizes:
        scene = write_scene(args.work / f"scene_{size}.tif", size)
        run = subprocess.run([sys.executable, __file__, "--work", str(args.work), "--measure", str(scene)],
                             check=True, capture_output=True, text=True)
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    text = report(results, "python benchmarks/geo_scene.py --sizes " + " ".join(map(str, args.sizes)))
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
