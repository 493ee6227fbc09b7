"""What did a trained pool learn, and where? Per method, the IoU of one class on random tiles of
the pool's own images and of the SQED's images, as read by the experiment (same tiling and
class map), optionally zoomed or colour-matched to the pool's images.

When a pool trained in one domain is assessed in another, a recommender can only close a gap
that the methods leave between them; this shows whether there is one before an SQED is built,
and whether a simple correction (the ground sampling, the colours) would open one.

    OMP_NUM_THREADS=1 python benchmarks/pool_transfer.py configs/spacenet_roads.yaml \
        --class-name road --zoom 1 2 --colour-match

``--zoom z`` upsamples the SQED images z times (bilinear; masks nearest) before tiling;
``--colour-match`` also moves each SQED tile's channel means and standard deviations to those of
the pool's tiles. Prints one row per method and condition.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch
from PIL import Image

from rssqa.config_check import read_config
from rssqa.data.assignment import pool_samples, sqed_samples
from rssqa.data.labelled import load_source
from rssqa.data.tiling import iter_tile_data
from rssqa.data.types import TileData
from rssqa.metrics.segmentation import confusion_matrix, iou_per_class
from rssqa.pool.training import load_pool


def draw_tiles(samples, images: int, tiles: int, tile_size: int, classmap, seed: int,
               zoom: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``tiles`` tiles (N x S x S x 3, N x S x S) from ``images`` random samples, zoomed."""
    chosen = [samples[i] for i in np.random.default_rng(seed).choice(len(samples), images,
                                                                     replace=False)]
    zoomed = (_zoomed(tile, zoom, tile_size) for tile in iter_tile_data(
        chosen, max(1, round(tile_size / zoom)), classmap))
    pairs = [pair for _, pair in zip(range(tiles), zoomed)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def _zoomed(tile: TileData, zoom: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    if zoom == 1:
        return tile.image, tile.mask
    return (np.asarray(Image.fromarray(tile.image).resize((size, size), Image.BILINEAR)),
            np.asarray(Image.fromarray(tile.mask).resize((size, size), Image.NEAREST)))


def colour_matched(images: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each tile's channels moved to the reference tiles' channel means and standard deviations."""
    pixels = images.astype(np.float32).reshape(len(images), -1, 3)
    target = reference.astype(np.float32).reshape(-1, 3)
    standardised = (pixels - pixels.mean(1, keepdims=True)) / (pixels.std(1, keepdims=True) + 1e-3)
    return np.clip(standardised * target.std(0) + target.mean(0), 0, 255).astype(
        np.uint8).reshape(images.shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--class-name", required=True, help="the class whose IoU is reported")
    parser.add_argument("--images", type=int, default=8, help="random images per side")
    parser.add_argument("--tiles", type=int, default=32, help="tiles per side")
    parser.add_argument("--zoom", type=float, nargs="+", default=[1.0])
    parser.add_argument("--colour-match", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = read_config(args.config)
    samples, classmap = load_source(config)
    index = classmap.names.index(args.class_name)
    draw = {"images": args.images, "tiles": args.tiles, "tile_size": config.tile_size,
            "classmap": classmap, "seed": args.seed}
    home = draw_tiles(pool_samples(samples, config.split_rule), **draw)
    sides = {"pool images": home}
    for zoom in args.zoom:
        away = draw_tiles(sqed_samples(samples, config.split_rule), zoom=zoom, **draw)
        sides[f"SQED images, zoom {zoom:g}"] = away
        if args.colour_match:
            sides[f"SQED images, zoom {zoom:g}, colour-matched"] = (
                colour_matched(away[0], home[0]), away[1])
    rows = []
    for member in load_pool(config.layout.pool):
        for side, (images, truth) in sides.items():
            with torch.inference_mode():
                predicted = member.segment(images, None).masks
            matrix = confusion_matrix(predicted, truth, len(classmap.names), classmap.ignore_index)
            rows.append({"method": member.name, "tiles": side,
                         "iou": float(iou_per_class(matrix)[index])})
    table = pd.DataFrame(rows).pivot(index="method", columns="tiles", values="iou")
    print(f"{args.class_name} IoU per method ({args.tiles} tiles of {args.images} random images "
          f"per side):")
    print(table.round(3).to_markdown())


if __name__ == "__main__":
    main()
