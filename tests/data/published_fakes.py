"""Tiny fake copies of published datasets, in their exact folder layouts and label encodings.

Like torchgeo's dataset tests: a few 8x8 files are enough to check that a reader finds, pairs,
groups and decodes what the real release holds. Each maker returns the class indices its masks
should decode to (the same layout of classes in every file).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 8
# class index per pixel, identical in every fake mask: classes 0, 1, 2 in bands, one ignored pixel
CLASSES = np.repeat(np.array([0, 1, 2, 1, 0, 2, 1, 0]), SIZE).reshape(SIZE, SIZE).T.copy()


def _image(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, format="JPEG" if path.suffix == ".jpg" else None)


def _mask(path: Path, mask: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask).save(path)


def _colours(colours: list[str], ignore: str | None = None) -> np.ndarray:
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], np.uint8)[CLASSES]
    if ignore is not None:
        rgb[0, 0] = [int(ignore[i:i + 2], 16) for i in (1, 3, 5)]
    return rgb


def expected(ignored_corner: bool) -> np.ndarray:
    labels = CLASSES.astype(np.uint8).copy()
    if ignored_corner:
        labels[0, 0] = 255
    return labels


ISPRS = ["#FFFFFF", "#0000FF", "#00FFFF"]


def make_vaihingen(root: Path, areas=(1, 3, 11)) -> np.ndarray:
    for n in areas:
        _image(root / "top" / f"top_mosaic_09cm_area{n}.tif", n)
        _mask(root / "ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE"
              / f"top_mosaic_09cm_area{n}.tif", _colours(ISPRS))
        _mask(root / "ISPRS_semantic_labeling_Vaihingen_ground_truth_eroded_COMPLETE"
              / f"top_mosaic_09cm_area{n}_noBoundary.tif", _colours(ISPRS, ignore="#000000"))
    return expected(True)


def make_potsdam(root: Path, tiles=("2_10", "2_11", "7_13")) -> np.ndarray:
    for i, tile in enumerate(tiles):
        _image(root / "2_Ortho_RGB" / f"top_potsdam_{tile}_RGB.tif", i)
        _image(root / "3_Ortho_IRRG" / f"top_potsdam_{tile}_IRRG.tif", i + 10)
        (root / "2_Ortho_RGB" / f"top_potsdam_{tile}_RGB.tfw").write_text("0.05\n0\n0\n-0.05\n0\n0\n")
        _mask(root / "5_Labels_all" / f"top_potsdam_{tile}_label.tif", _colours(ISPRS))
        _mask(root / "5_Labels_all_noBoundary" / f"top_potsdam_{tile}_label_noBoundary.tif",
              _colours(ISPRS, ignore="#000000"))
    return expected(True)


def make_loveda(root: Path) -> np.ndarray:
    values = (CLASSES + 1).astype(np.uint8)
    values[0, 0] = 0  # no-data
    for split, numbers in (("Train", {"Urban": (1366, 1367), "Rural": (0,)}), ("Val", {"Urban": (3514,), "Rural": (2522,)})):
        for domain, ids in numbers.items():
            for n in ids:
                _image(root / split / domain / "images_png" / f"{n}.png", n)
                _mask(root / split / domain / "masks_png" / f"{n}.png", values)
    return expected(True)


UAVID = ["#000000", "#800000", "#804080"]


def make_uavid(root: Path) -> np.ndarray:
    for split, sequences in (("uavid_train", ("seq1", "seq2")), ("uavid_val", ("seq16",))):
        for seq in sequences:
            for frame in ("000000", "000100"):
                _image(root / split / seq / "Images" / f"{frame}.png", len(seq))
                _mask(root / split / seq / "Labels" / f"{frame}.png", _colours(UAVID))
    (root / "uavid_test" / "seq21" / "Images").mkdir(parents=True)
    return expected(False)


def make_floodnet(root: Path) -> np.ndarray:
    for split, ids in (("train", (6336, 7577)), ("val", (6651,)), ("test", (7606,))):
        for n in ids:
            _image(root / split / f"{split}-org-img" / f"{n}.jpg", n)
            _mask(root / split / f"{split}-label-img" / f"{n}_lab.png", CLASSES.astype(np.uint8))
    return expected(False)


DEEPGLOBE = ["#00FFFF", "#FFFF00", "#FF00FF"]


def make_deepglobe(root: Path) -> np.ndarray:
    for n in (119, 855, 10452):
        _image(root / "train" / f"{n}_sat.jpg", n)
        mask = _colours(DEEPGLOBE, ignore="#000000")
        mask[mask == 255] = 251  # published masks are not exactly 0/255
        _mask(root / "train" / f"{n}_mask.png", mask)
    _image(root / "valid" / "1000_sat.jpg", 0)
    (root / "class_dict.csv").write_text("name,r,g,b\nurban_land,0,255,255\n")
    return expected(True)


def make_openearthmap(root: Path) -> np.ndarray:
    values = (CLASSES + 1).astype(np.uint8)
    values[0, 0] = 0  # unknown
    for region, ids in (("aachen", (1, 2, 17)), ("san_francisco", (4,))):
        for n in ids:
            _image(root / region / "images" / f"{region}_{n}.tif", n)
            if n != 17:  # a test tile: released without its label
                _mask(root / region / "labels" / f"{region}_{n}.tif", values)
    (root / "train.txt").write_text("aachen_1.tif\n")
    return expected(True)
