"""Are tile seams visible in the segmentations rssqa writes? Measured on the demo experiment.

Each test image of the demo's SQED (with its label mask) is mirrored into a larger GeoTIFF
scene, and its mask likewise, so the truth is known everywhere. The scene goes through the scene
path (``recommend_scene``, default overlap: an eighth of a tile) and the image path
(``Recommender.assess``, a quarter tile); the written segmentation is compared with the truth by
``rssqa.raster.seams.seam_rates``: the share of neighbouring pixel pairs of one true class whose
predicted class changes, across tile window edges and cell borders, against inside tiles.

    rssqa demo                                   # once: trains the demo experiment
    OMP_NUM_THREADS=1 python benchmarks/seams.py [--work runs/seams]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from PIL import Image
from rasterio.transform import from_origin

from rssqa.config import builtin_config
from rssqa.data import demo_data_root
from rssqa.geo.experiment import ExperimentRef, load_scene_experiment
from rssqa.geo.scene import SceneJob, recommend_scene
from rssqa.raster import blend
from rssqa.raster.grid import TileGrid, default_overlap, image_grid
from rssqa.raster.seams import seam_rates

# Per SQED split of the demo (runs/demo/splits.json): the blend's confidence power is chosen on
# the train images (--split train --powers ...) and reported on the test images.
IMAGES = {"train": ["tile2_image_part_001", "tile4_image_part_001", "tile6_image_part_001",
                    "tile8_image_part_001"],
          "test": ["tile2_image_part_003", "tile4_image_part_002", "tile6_image_part_004",
                   "tile8_image_part_003"]}
GROW = 2.2  # the scene's side against the image's: edges, corners and a full interior


def mirrored(array: np.ndarray, height: int, width: int) -> np.ndarray:
    pad = ((0, height - array.shape[0]), (0, width - array.shape[1])) + ((0, 0),) * (array.ndim - 2)
    return np.pad(array, pad, mode="symmetric")


def scene_pair(stem: str, classmap, folder: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """(scene GeoTIFF, its pixels, its true classes) mirrored from one demo image and mask."""
    root = demo_data_root()
    image = np.asarray(Image.open(root / "images" / f"{stem}.jpg").convert("RGB"))
    mask = np.asarray(Image.open(root / "masks" / f"{stem}.png").convert("RGB"))
    height, width = (int(GROW * side) for side in image.shape[:2])
    pixels, truth = mirrored(image, height, width), classmap.encode(mirrored(mask, height, width))
    path = folder / f"{stem}.tif"
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=3, dtype="uint8",
                       crs="EPSG:32640", transform=from_origin(500000, 2800000, 0.5, 0.5)) as out:
        out.write(pixels.transpose(2, 0, 1))
    return path, pixels, truth


def rows_of(path: str, stem: str, measured: dict) -> list[dict]:
    return [{"path": path, "image": stem, "axis": axis, "boundary": kind, "across": across,
             "inside": inside, "bound": bound, "seam": across > bound}
            for (axis, kind), (across, inside, bound) in measured.items()]


def measure(stem: str, scene_experiment, folder: Path) -> list[dict]:
    recommender = scene_experiment.recommender
    path, pixels, truth = scene_pair(stem, recommender.classmap, folder)
    recommend_scene(SceneJob(path, folder / "out", stem), recommender, scene_experiment.settings,
                    scene_experiment.intervals)
    with rasterio.open(folder / "out" / f"{stem}_segmentation.tif") as written:
        scene_labels = written.read(1)
    tile = recommender.tile_size
    scene_grid = TileGrid(*truth.shape, tile, default_overlap(tile))
    image_labels = recommender.assess(pixels, name=stem).labels
    return (rows_of("scene", stem, seam_rates(scene_labels, truth, scene_grid))
            + rows_of("image", stem, seam_rates(image_labels, truth, image_grid(*truth.shape, tile))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="runs/seams")
    parser.add_argument("--split", choices=sorted(IMAGES), default="test")
    parser.add_argument("--powers", type=float, nargs="+", default=[blend.CONFIDENCE_POWER],
                        help="confidence powers of the blend to compare (0: label votes)")
    parser.add_argument("--output", default="benchmarks/results/seams.md")
    args = parser.parse_args()
    experiment = load_scene_experiment(ExperimentRef(builtin_config("demo"), threads=1))
    rows = []
    for power in args.powers:
        blend._VOTE_WEIGHT = (np.maximum(np.arange(256), 1) / 255.0).astype(np.float32) ** power
        for stem in IMAGES[args.split]:
            folder = Path(args.work) / f"power{power:g}" / stem
            folder.mkdir(parents=True, exist_ok=True)
            rows += [{"power": power, **row} for row in measure(stem, experiment, folder)]
    table = pd.DataFrame(rows)
    keys = ["power", "path", "boundary", "axis"]
    mean = table.groupby(keys)[["across", "inside", "bound"]].mean()
    mean["images with a seam"] = table.groupby(keys)["seam"].sum()
    text = ("# Seams on the demo experiment\n\nShare of steady pixel pairs changing class (mean over "
            f"{len(IMAGES[args.split])} mirrored demo SQED-{args.split} images; a seam where "
            "across > bound)\n\n"
            + mean.round(4).to_markdown() + "\n\nPer image:\n\n"
            + table.round(4).to_markdown(index=False) + "\n")
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
