"""Benchmark: building a SQED from three folders of saved predictions (issue 11's timing target).

    python benchmarks/byo_build.py [--images 500] [--size 256] [--workdir runs/byo_build]

Generates ``--images`` labelled RGB images of ``--size`` px (blocky class layouts, class-tinted
noise, 6 classes) and three prediction folders for them, one per format: index PNGs, colour PNGs
and C x H x W float16 probability arrays, each with its own share of wrong pixels. Then times
``rssqa.stages.build_store`` on a config whose pool is those three folders, with the offline
EfficientNet-Lite0 encoder at 256 px: loading, tiling, the encoder, the three members, labels,
signals and assembly, i.e. everything but generating the data. Target: under 2 minutes on 2 cores.
Writes benchmarks/results/byo_build.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
COLOURS = np.array([[60, 16, 152], [132, 41, 246], [110, 193, 228], [254, 221, 58],
                    [226, 169, 41], [155, 155, 155]], np.uint8)
TINTS = np.array([[150, 60, 60], [120, 110, 80], [30, 60, 140], [200, 200, 90], [90, 150, 60],
                  [128, 128, 128]], float)
FOLDERS = {"unet_index": ("index", 0.08), "fpn_colour": ("colour", 0.20),
           "deeplab_probabilities": ("probabilities", 0.14)}


def noisy(labels: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """A prediction: ``labels`` with a ``share`` of 4 x 4 blocks given another class."""
    blocks = rng.random((labels.shape[0] // 4, labels.shape[1] // 4)) < share
    flip = blocks.repeat(4, 0).repeat(4, 1)
    shift = rng.integers(1, len(COLOURS), labels.shape)
    return np.where(flip, (labels + shift) % len(COLOURS), labels).astype(np.uint8)


def generate(root: Path, count: int, size: int, seed: int = 0) -> dict[str, Path]:
    """Images, colour masks and the three prediction folders under ``root``."""
    rng = np.random.default_rng(seed)
    folders = {name: root / "predictions" / name for name in FOLDERS}
    for path in [root / "images", root / "masks", *folders.values()]:
        path.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        stem = f"scene{i:04d}"
        labels = rng.integers(0, len(COLOURS), (size // 32, size // 32)).repeat(32, 0).repeat(32, 1)
        image = np.clip(TINTS[labels] + rng.normal(0, 30, labels.shape + (3,)), 0, 255)
        Image.fromarray(image.astype(np.uint8)).save(root / "images" / f"{stem}.png")
        Image.fromarray(COLOURS[labels]).save(root / "masks" / f"{stem}.png")
        for name, (fmt, share) in FOLDERS.items():
            predicted = noisy(labels, share, rng)
            if fmt == "index":
                Image.fromarray(predicted).save(folders[name] / f"{stem}.png")
            elif fmt == "colour":
                Image.fromarray(COLOURS[predicted]).save(folders[name] / f"{stem}.png")
            else:
                probabilities = np.full((len(COLOURS),) + labels.shape, 0.05, np.float16)
                np.put_along_axis(probabilities, predicted[None], 0.75, axis=0)
                np.save(folders[name] / f"{stem}.npy", probabilities)
    return folders


def config_for(root: Path, folders: dict[str, Path], size: int) -> dict:
    classes = [{"name": f"class{i}", "colour": "#%02X%02X%02X" % tuple(c)} for i, c in enumerate(COLOURS)]
    return {
        "name": "byo_build", "seed": 0, "tile_size": size, "output": str(root / "run"),
        "data": {"kind": "folder", "images_dir": str(root / "images"),
                 "masks_dir": str(root / "masks"), "classmap": {"classes": classes}},
        "pool": {"methods": [{"name": "predictions", "kwargs": {
            "label": name, "dir": str(folders[name]), "format": fmt}}
            for name, (fmt, _) in FOLDERS.items()]},
        "sqed": {"test_fraction": 0.2, "batch_size": 16},
        "encoder": {"name": "efficientnet-lite0", "kwargs": {"input_size": size}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--workdir", type=Path, default=ROOT / "runs" / "byo_build")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "byo_build.md")
    args = parser.parse_args()
    from rssqa.config import load_config
    from rssqa.stages import build_store

    shutil.rmtree(args.workdir, ignore_errors=True)
    began = time.perf_counter()
    folders = generate(args.workdir, args.images, args.size)
    generated = time.perf_counter() - began
    path = args.workdir / "byo.yaml"
    path.write_text(yaml.safe_dump(config_for(args.workdir, folders, args.size)))
    config = load_config(path)
    began = time.perf_counter()
    store = build_store(config, verbose=False)
    seconds = time.perf_counter() - began
    oa = store.labels("oa").mean(axis=0)
    lines = [
        "# SQED build from three prediction folders (benchmarks/byo_build.py)", "",
        f"- date: {datetime.date.today().isoformat()}; machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPU cores, torch threads {torch.get_num_threads()}",
        f"- data: {args.images} generated images of {args.size} px, 6 classes; "
        f"generation {generated:.1f} s (not timed below)",
        f"- members: {', '.join(f'{n} ({f})' for n, (f, _) in FOLDERS.items())}",
        f"- encoder: efficientnet-lite0 at {args.size} px (ImageNet weights, offline)",
        f"- **build_store: {seconds:.1f} s** for {len(store.tiles)} tiles "
        f"({1000 * seconds / len(store.tiles):.0f} ms per tile)",
        "- mean OA per member: " + ", ".join(f"{m} {v:.3f}" for m, v in zip(store.methods, oa)),
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
