"""Build rssqa's embedded demo data from the Dubai aerial imagery dataset.

Every one of the 72 image/mask pairs is kept, downscaled so its longer side is at most 384 px:
images with Lanczos filtering, saved as JPEG (quality 85); masks with nearest-neighbour sampling
after conversion to RGB (some masks are palette PNGs), saved as RGB PNG so each colour stays exact.
Each written mask is checked against the Dubai class map.

    python scripts/make_demo_data.py [SOURCE_ROOT] [--dest DEST] [--max-side 384]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from rssqa.data.classmap import DUBAI_CLASSES
from rssqa.data.io import read_mask
from rssqa.data.sources.dubai import DubaiSource
from rssqa.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "dubai"
DEFAULT_DEST = REPO_ROOT / "src" / "rssqa" / "demo_data" / "dubai"
JPEG_QUALITY = 85

README = """\
# Dubai aerial imagery — rssqa demo data

A downscaled copy of **"Semantic segmentation of aerial imagery"** by Humans in the Loop with the
Mohammed Bin Rashid Space Centre (MBRSC), Dubai:
<https://humansintheloop.org/resources/datasets/semantic-segmentation-dataset/>, also on Kaggle as
`humansintheloop/semantic-segmentation-of-aerial-imagery`.

Licence: CC0 1.0 (public domain dedication), as stated by the publisher. Please cite the dataset
when you report results on it:

> Humans in the Loop and MBRSC, "Semantic segmentation of aerial imagery" (dataset).

## Contents
- `images/tile{{T}}_image_part_00{{N}}.jpg` and `masks/tile{{T}}_image_part_00{{N}}.png`, T = 1..8,
  N = 1..9: all 72 pairs of the original, in 8 tiles of 9 overlapping images.
- Masks are RGB colours: Building #3C1098, Land #8429F6, Road #6EC1E4, Vegetation #FEDD3A,
  Water #E2A929, Unlabeled #9B9B9B; #000000 marks pixels of no class (ignored).

## How it was made
`python scripts/make_demo_data.py`: every image is downscaled so that its longer side is at most
{max_side} px (Lanczos, JPEG quality {quality}); every mask is converted to RGB (18 originals are
palette PNGs) and downscaled to its image's new size by nearest-neighbour sampling, then saved as
an RGB PNG, so each pixel keeps an exact class colour. Sizes here range from {min_size} to
{max_size} (height x width); {total_kb} KB in all.
"""


def scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def area(size: tuple[int, int]) -> int:
    return size[0] * size[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                        help="Dubai dataset root (flat images/ + masks/, or Kaggle 'Tile N' folders)")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    parser.add_argument("--max-side", type=int, default=384)
    args = parser.parse_args()

    try:
        samples = DubaiSource(args.source).samples()
    except InputError as error:
        raise SystemExit(str(error)) from None
    (args.dest / "images").mkdir(parents=True, exist_ok=True)
    (args.dest / "masks").mkdir(parents=True, exist_ok=True)
    sizes = []
    for sample in samples:
        with Image.open(sample.image_path) as image, Image.open(sample.mask_path) as mask:
            if image.size != mask.size:
                raise SystemExit(f"{sample.mask_path}: size {mask.size} differs from its "
                                 f"image's {image.size}")
            size = scaled_size(*image.size, args.max_side)
            image_out = args.dest / "images" / f"{sample.source_id}.jpg"
            mask_out = args.dest / "masks" / f"{sample.source_id}.png"
            image.convert("RGB").resize(size, Image.Resampling.LANCZOS).save(
                image_out, quality=JPEG_QUALITY, optimize=True)
            mask.convert("RGB").resize(size, Image.Resampling.NEAREST).save(mask_out, optimize=True)
        read_mask(mask_out, DUBAI_CLASSES, expected_shape=(size[1], size[0]))  # every colour known
        sizes.append((size[1], size[0]))

    total = sum(p.stat().st_size for p in args.dest.rglob("*") if p.is_file() and p.name != "README.md")
    (args.dest / "README.md").write_text(README.format(
        max_side=args.max_side, quality=JPEG_QUALITY, min_size="x".join(map(str, min(sizes, key=area))),
        max_size="x".join(map(str, max(sizes, key=area))), total_kb=round(total / 1024)))
    print(f"wrote {len(samples)} image/mask pairs to {args.dest} ({total / 2**20:.2f} MiB)")


if __name__ == "__main__":
    main()
