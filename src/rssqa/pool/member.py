"""What a pool member is to the SQED builder and the recommender, whatever stands behind it.

A pool may mix methods trained here (``rssqa.pool.train.TrainedMethod``), a folder of someone
else's saved predictions (``rssqa.pool.predictions``) and any PyTorch model named by its weights
(``rssqa.pool.torch_member``). All of them are asked the same thing: segment this batch of
tiles. Saved predictions are found by the tile's *identity* (which image, which window), not by
its pixels, so every call carries a :class:`TileRef` per tile; a model simply ignores them.

A member returns class masks always, per-class probabilities when it has them (confidence and the
confidence signals are computed from them) and a pooled pre-classifier feature only when it has
one (RS-SQA's segmentation branch).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np



@dataclass(frozen=True)
class TileRef:
    """Where a tile comes from: the image's ``key`` (its file stem, what prediction files are
    named after), the whole image's ``(height, width)``, and the tile's window in that image's
    pixels. A window may reach past the image (the recommender mirror-pads images smaller than a
    tile); members pad their own output the same way."""

    key: str
    image_shape: tuple[int, int]
    x: int
    y: int
    size: int
    path: Path | None = None


@dataclass
class Segmentation:
    """One member's output on N tiles: ``masks`` N x H x W uint8 class indices;
    ``probabilities`` N x C x H x W float32 summing to 1 over C, or None for a mask-only member;
    ``features`` N x D pooled pre-classifier features, or None where the member has none."""

    masks: np.ndarray
    probabilities: np.ndarray | None = None
    features: np.ndarray | None = None


@runtime_checkable
class PoolMember(Protocol):
    """The interface every pool member implements.

    ``name``: the column the member's accuracy is recorded under. ``meta``: JSON-able identity,
    with a ``"fingerprint"`` that changes whenever the member's output could (the SQED builder
    reuses work only for an unchanged pool). ``num_classes``: the classes its masks index.
    """

    name: str
    meta: dict
    num_classes: int

    def check(self, ref: TileRef) -> None:
        """Raise ``rssqa.errors.InputError`` (naming the file) if this member cannot segment
        the image ``ref`` belongs to; the builder then skips that image and goes on."""

    def segment(self, images: np.ndarray, refs: list[TileRef] | None) -> Segmentation:
        """Segment N x H x W x 3 uint8 tiles; ``refs[i]`` says where tile i comes from."""


def crop_window(array: np.ndarray, ref: TileRef) -> np.ndarray:
    """The ``ref`` window of an H x W [x ...] array of the whole image, mirror-padded where the
    window reaches past the image (as the recommender pads images smaller than a tile)."""
    height, width = array.shape[:2]
    need_h, need_w = ref.y + ref.size, ref.x + ref.size
    if need_h > height or need_w > width:
        pad = [(0, max(0, need_h - height)), (0, max(0, need_w - width))]
        pad += [(0, 0)] * (array.ndim - 2)
        array = np.pad(array, pad, mode="reflect")
    return array[ref.y:ref.y + ref.size, ref.x:ref.x + ref.size]
