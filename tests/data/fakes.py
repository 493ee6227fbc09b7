"""Tiny generated images and colour masks for the data tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

RED, GREEN, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 0)


def colour_mask(index: np.ndarray) -> np.ndarray:
    """HxW of 0 (red), 1 (green), 2 (black) -> HxWx3 uint8."""
    return np.array([RED, GREEN, BLACK], dtype=np.uint8)[index]


def random_index(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 3, size=(height, width))


def write_pair(images: Path, masks: Path, stem: str, height: int, width: int, seed: int = 0) -> np.ndarray:
    """Write ``stem.png`` image and mask of the given size; returns the image pixels."""
    images.mkdir(parents=True, exist_ok=True)
    masks.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(images / f"{stem}.png")
    Image.fromarray(colour_mask(random_index(height, width, seed))).save(masks / f"{stem}.png")
    return pixels
