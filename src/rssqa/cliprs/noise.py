"""A synthetic noisy caption pool, standing in for web-crawled remote-sensing captions.

The paper purifies real web captions; this data has none, so the pool is made from the same
images. THE NOISE IS SYNTHETIC: every caption is either a clean mask caption (as a careful
uploader would write) or one corruption of the kinds web alt-text shows, and the pool keeps which
is which, so the purification filter's precision and recall can be measured:

- ``metadata``: file names, sensor and export strings instead of a description;
- ``unrelated``: text about something else altogether (ads, greetings, other photos);
- ``wrong_class``: a fluent caption of the image whose classes are swapped for others, e.g.
  "mostly water" over desert; written by the caption rules from a mask with permuted labels;
- ``truncated``: a caption cut off after a few words ("An aerial image of");
- ``mismatched``: the clean caption of another image (a scraper that paired the wrong text).

Real web noise is subtler and more varied; numbers measured on this pool say how well the filter
separates these kinds, not how it fares on a real crawl.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rssqa.cliprs.captions import SILENT_CLASSES, describe_mask

NOISE_KINDS = ("metadata", "unrelated", "wrong_class", "truncated", "mismatched")

_UNRELATED = (
    "Click here to download the full resolution wallpaper.",
    "A cat sleeping on a sofa in the afternoon sun.",
    "Best hotels to book for your next summer holiday.",
    "Happy birthday! Wishing you a wonderful year ahead.",
    "Product photo: red running shoes, size 42, free shipping.",
    "Team photo from our annual company meeting.",
    "Chocolate cake with fresh strawberries and cream.",
    "Subscribe to our newsletter for weekly updates.",
    "Portrait of a smiling woman in a blue dress.",
    "Live football scores and match highlights.",
    "Vintage car parked in front of an old garage.",
    "Logo of the conference, white on a blue background.",
)


def _metadata(rng: np.random.Generator) -> str:
    year, month, day = rng.integers(2005, 2024), rng.integers(1, 13), rng.integers(1, 29)
    number = rng.integers(0, 10000)
    forms = (
        f"IMG_{year}{month:02d}{day:02d}_{number:04d}.jpg",
        f"scene_{number:05d}_L1C_{year}{month:02d}{day:02d}.tif",
        f"DSC{number:05d} uploaded {day:02d}/{month:02d}/{year}",
        f"export_{rng.choice([512, 1024, 2048])}px_RGB_final_v{rng.integers(1, 9)}.png",
        f"Screenshot {year}-{month:02d}-{day:02d} at {rng.integers(0, 24)}.{rng.integers(0, 60):02d}",
    )
    return str(forms[rng.integers(len(forms))])


def _truncated(caption: str, rng: np.random.Generator) -> str:
    words = caption.split()
    return " ".join(words[: int(rng.integers(2, 5))])


def _wrong_class(mask: np.ndarray, names: Sequence[str], ignore_index: int,
                 rng: np.random.Generator) -> str:
    """A caption of ``mask`` with its speakable classes relabelled by a derangement, so every
    class it names is the wrong one for its area."""
    speakable = [k for k, n in enumerate(names) if n not in SILENT_CLASSES]
    shift = int(rng.integers(1, len(speakable)))
    relabel = np.arange(256, dtype=mask.dtype)
    for i, k in enumerate(speakable):
        relabel[k] = speakable[(i + shift) % len(speakable)]
    return describe_mask(relabel[mask], names, n=1, ignore_index=ignore_index, rng=rng)[0]


def corrupt(kind: str, clean: str, mask: np.ndarray, names: Sequence[str], ignore_index: int,
            rng: np.random.Generator, other_clean: str) -> str:
    """One noisy caption of ``kind`` for an image whose clean caption is ``clean``."""
    if kind == "metadata":
        return _metadata(rng)
    if kind == "unrelated":
        return str(_UNRELATED[rng.integers(len(_UNRELATED))])
    if kind == "wrong_class":
        return _wrong_class(mask, names, ignore_index, rng)
    if kind == "truncated":
        return _truncated(clean, rng)
    if kind == "mismatched":
        return other_clean
    raise ValueError(f"unknown noise kind {kind!r}; known: {', '.join(NOISE_KINDS)}")


def _other_caption(clean: Sequence[list[str]], i: int, rng: np.random.Generator) -> str:
    """A clean caption of another image that differs from every caption of image ``i``."""
    others = [c[0] for j, c in enumerate(clean) if j != i and c[0] not in clean[i]]
    return others[rng.integers(len(others))] if others else clean[i][0]


def make_noisy_pool(crop_ids: Sequence[str], masks: Sequence[np.ndarray], names: Sequence[str],
                    captions_per_image: int = 2, noise_rate: float = 0.5, ignore_index: int = 255,
                    kinds: Sequence[str] = NOISE_KINDS, seed: int = 0) -> pd.DataFrame:
    """The noisy web pool: ``captions_per_image`` captions per crop, each noisy with probability
    ``noise_rate`` (kind drawn uniformly from ``kinds``), else a clean mask caption.

    Returns one row per pair: crop_id, caption, is_noisy, noise_kind ("clean" for clean pairs).
    """
    if not 0 <= noise_rate <= 1:
        raise ValueError(f"noise_rate must lie in [0, 1], got {noise_rate}")
    if len(crop_ids) < 2 and "mismatched" in kinds:
        raise ValueError("a mismatched caption needs at least two images")
    rng = np.random.default_rng(seed)
    clean = [describe_mask(m, names, n=captions_per_image, ignore_index=ignore_index, rng=rng)
             for m in masks]
    rows = []
    for i, (crop_id, mask) in enumerate(zip(crop_ids, masks)):
        for j in range(captions_per_image):
            caption = clean[i][j % len(clean[i])]
            if rng.random() < noise_rate:
                kind = str(kinds[rng.integers(len(kinds))])
                caption = corrupt(kind, caption, mask, names, ignore_index, rng,
                                  _other_caption(clean, i, rng))
                if caption in clean[i]:  # a corruption that happens to read true is no noise
                    kind = "clean"
            else:
                kind = "clean"
            rows.append({"crop_id": crop_id, "caption": caption, "is_noisy": kind != "clean",
                         "noise_kind": kind})
    return pd.DataFrame(rows)
