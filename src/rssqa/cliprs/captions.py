"""Structured captions written from label masks: the high-quality text of the CLIP-RS pipeline.

In the spirit of RemoteCLIP's rule-based captions (mask and box annotations turned into
sentences), each caption states what the mask says and nothing else: which classes cover how much
of the image, which dominate, which are absent, and where each lies. Several captions per image
phrase different aspects, so the text tower sees the same content in different words.

Image sides are named top/bottom/left/right rather than north/south: tiles are not guaranteed to
be north-up. Captions never mirror or rotate with augmentation, so training must not flip images.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# How a class of a known dataset is named in a sentence; other classes use their lower-cased name.
CLASS_PHRASES = {"Building": "buildings", "Land": "bare land", "Road": "roads",
                 "Vegetation": "vegetation", "Water": "water"}
# Classes that carry no meaning worth a sentence (Dubai's "Unlabeled").
SILENT_CLASSES = ("Unlabeled",)

PRESENCE_SHARE = 0.02
"""A class is *present* when it covers at least 2 % of the labelled pixels: smaller traces are
mostly boundary noise of the annotation. Zero-shot class-presence evaluation uses the same rule."""

_GRID = 3
_REGIONS = [["in the upper left", "at the top", "in the upper right"],
            ["on the left", "in the centre", "on the right"],
            ["in the lower left", "at the bottom", "in the lower right"]]


def _amount(share: float) -> str:
    if share >= 0.5:
        return "mostly"
    if share >= 0.25:
        return "a large share of"
    if share >= 0.1:
        return "some"
    return "traces of"


def _join(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class MaskSummary:
    """What a caption may say about one mask: per-class share of labelled pixels and location."""

    names: tuple[str, ...]
    shares: np.ndarray          # K, sums to 1 over labelled pixels (0 when nothing is labelled)
    regions: tuple[str, ...]    # K, where each class lies ("" when absent)

    @property
    def present(self) -> list[int]:
        """Indices of present, speakable classes, largest share first."""
        order = np.argsort(-self.shares, kind="stable")
        return [int(k) for k in order
                if self.shares[k] >= PRESENCE_SHARE and self.names[k] not in SILENT_CLASSES]

    @property
    def absent(self) -> list[int]:
        return [k for k in range(len(self.names))
                if self.shares[k] < PRESENCE_SHARE and self.names[k] not in SILENT_CLASSES]


def summarise_mask(mask: np.ndarray, names: Sequence[str], ignore_index: int = 255) -> MaskSummary:
    """Class shares and a 3x3-grid location for each class of an HxW class-index mask.

    A class spread over most of the grid (at least a tenth of six or more cells) lies "across the
    image"; otherwise it lies in the cell nearest its centroid.
    """
    mask = np.asarray(mask)
    k = len(names)
    labelled = mask != ignore_index
    total = labelled.sum()
    counts = np.bincount(mask[labelled].ravel(), minlength=k)[:k]
    shares = counts / total if total else np.zeros(k)
    height, width = mask.shape
    rows = np.minimum(np.arange(height) * _GRID // height, _GRID - 1)
    cols = np.minimum(np.arange(width) * _GRID // width, _GRID - 1)
    cell = rows[:, None] * _GRID + cols[None, :]
    regions = []
    for c in range(k):
        where = mask == c
        if shares[c] < PRESENCE_SHARE:
            regions.append("")
            continue
        cells = _GRID * _GRID
        per_cell = np.bincount(cell[where], minlength=cells) / np.bincount(cell.ravel(), minlength=cells)
        if (per_cell >= 0.1).sum() >= 6:
            regions.append("across the image")
            continue
        ys, xs = np.nonzero(where)
        r = min(int(ys.mean() * _GRID // height), _GRID - 1)
        q = min(int(xs.mean() * _GRID // width), _GRID - 1)
        regions.append(_REGIONS[r][q])
    return MaskSummary(tuple(names), shares, tuple(regions))


def _phrase(name: str, phrases: Mapping[str, str]) -> str:
    return phrases.get(name, name.lower())


def caption_templates(summary: MaskSummary, phrases: Mapping[str, str] = CLASS_PHRASES) -> list[str]:
    """Every caption the rules can write for ``summary``, one per aspect (proportions, dominance
    and absence, layout), in a fixed order."""
    present, absent = summary.present, summary.absent
    if not present:
        return ["An aerial image with no labelled land cover."]
    p = {k: _phrase(summary.names[k], phrases) for k in range(len(summary.names))}
    percent = _join(f"{p[k]} ({round(100 * summary.shares[k])}%)" for k in present)
    amounts = _join(f"{_amount(summary.shares[k])} {p[k]}" for k in present)
    layout = "; ".join(f"{p[k]} {summary.regions[k]}" for k in present)
    missing = f" No {_join([p[k] for k in absent]).replace(' and ', ' or ')}." if absent else ""
    dominant = present[0]
    return [
        f"An aerial image of {percent}.",
        f"A satellite image showing {amounts}.{missing}",
        f"Remote sensing scene: {layout}.",
        f"Overhead view dominated by {p[dominant]} {summary.regions[dominant]}"
        + (f", with {_join(p[k] for k in present[1:])}." if len(present) > 1 else ".") + missing,
    ]


def describe_mask(mask: np.ndarray, names: Sequence[str], n: int = 3, ignore_index: int = 255,
                  rng: np.random.Generator | None = None,
                  phrases: Mapping[str, str] = CLASS_PHRASES) -> list[str]:
    """``n`` distinct captions of an HxW class-index mask (fewer when the rules have fewer).

    With ``rng`` the aspects are drawn at random; without, the first ``n`` in fixed order.
    """
    captions = caption_templates(summarise_mask(mask, names, ignore_index), phrases)
    if rng is not None:
        captions = [captions[i] for i in rng.permutation(len(captions))]
    return captions[:n]
