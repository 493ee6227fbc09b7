"""How the pixels of a label mask say which class they belong to.

Published datasets encode labels three ways: as colours (ISPRS, UAVid, Dubai), as class ids
(LoveDA, FloodNet, OpenEarthMap, most mmsegmentation-style releases) or, for binary tasks, as a
grey level that anti-aliasing or resampling has smeared between 0 and 255. Each matcher here
turns one decoded mask into class indices, or says why the mask does not fit its encoding, listing
the values it saw, so that a wrong class map is reported instead of guessed around.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SHOWN_VALUES = 8  # unknown colours or values listed in an error; the rest are counted
_MAX_INDEX_VALUE = 65535  # index masks are 8- or 16-bit; larger values cannot be class ids
_NUMERIC_KINDS = "biuf"  # bool, unsigned, signed, float: what a band of labels can hold
_BLEND_CHECKED = 256  # the most frequent unknown colours tested for being blends of class colours
_ANTI_ALIASED_HINT = "re-export the mask without anti-aliasing, resizing it nearest-neighbour only"


@dataclass(frozen=True)
class MaskPixels:
    """One decoded mask, as the encodings need it.

    ``rgb`` (HxWx3 uint8) is there when the mask has colours to look up: palette PNGs are expanded
    to RGB because palette order differs between files. ``band`` (HxW integers) is the mask's
    single band: the grey level, the raw palette index, band 1 of a multi-band TIFF, or the common
    value of an RGB mask whose three channels are equal; it is None for a colour mask.
    """

    rgb: np.ndarray | None
    band: np.ndarray | None

    @classmethod
    def from_array(cls, mask: np.ndarray) -> MaskPixels:
        """From an in-memory HxW (band) or HxWx3 uint8 (colour) array. Any other array is kept
        as it is (3-D as colours, else as the band) for :func:`unusable` to say what is wrong."""
        mask = np.asarray(mask)
        if mask.ndim == 2:
            rgb = np.repeat(mask[..., None], 3, axis=2) if mask.dtype == np.uint8 else None
            return cls(rgb, mask)
        if mask.ndim != 3 or mask.shape[2] != 3 or mask.dtype != np.uint8:
            return cls(mask, None) if mask.ndim == 3 else cls(None, mask)
        return cls(mask, grey_band(mask))

    @property
    def grey(self) -> np.ndarray | None:
        """Grey levels: the common channel of grey colours (a grey-palette PNG's too), else the band."""
        common = None if self.rgb is None else grey_band(self.rgb)
        return self.band if common is None else common


@dataclass(frozen=True)
class Mismatch:
    """Why a mask does not fit one encoding: what is wrong and what to do."""

    problem: str
    hint: str


def unusable(pixels: MaskPixels) -> Mismatch | None:
    """Why decoded pixels cannot be a label mask in any encoding (wrong shape or type, no pixels);
    None when they can. Checked first, so that the matchers only ever see HxWx3 uint8 colours and
    HxW numeric bands."""
    rgb, band = pixels.rgb, pixels.band
    if rgb is None and band is None:
        return Mismatch("mask is neither 8-bit colours nor a single band",
                        "save it as 8-bit RGB colours or as one band of class ids")
    if rgb is not None and (rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8):
        return Mismatch(f"mask colours are {rgb.dtype} of shape {rgb.shape}, not height x width "
                        "x 3 8-bit", "save it as 8-bit RGB colours or as one band of class ids")
    if band is not None and (band.ndim != 2 or band.dtype.kind not in _NUMERIC_KINDS):
        return Mismatch(f"mask band is {band.dtype} of shape {band.shape}, not height x width "
                        "numbers", "save it as one band of integer class ids")
    if any(part is not None and part.size == 0 for part in (rgb, band)):
        return Mismatch("mask has no pixels", "re-export it at its image's size")
    return None


def grey_band(rgb: np.ndarray) -> np.ndarray | None:
    """The common channel of an RGB mask whose three channels are equal everywhere, else None."""
    red = rgb[..., 0]
    return red if np.array_equal(red, rgb[..., 1]) and np.array_equal(red, rgb[..., 2]) else None


def listed(values: np.ndarray, what: str, render) -> str:
    """``N <what>: v1 (n1 px), ...``: the most frequent ``values`` with their pixel counts."""
    distinct, counts = np.unique(values, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    shown = ", ".join(f"{render(distinct[i])} ({counts[i]} px)" for i in order[:SHOWN_VALUES])
    more = len(distinct) - SHOWN_VALUES
    return f"{len(distinct)} {what}: {shown}" + (f" and {more} more" if more > 0 else "")


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 -> HxW int32 0xRRGGBB, so each colour compares as one number."""
    rgb = rgb.astype(np.int32, copy=False)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def match_colours(rgb: np.ndarray | None, codes: np.ndarray, labels: np.ndarray,
                  channel_threshold: int | None = None) -> np.ndarray | Mismatch:
    """Look each pixel's colour up among ``codes`` (packed 0xRRGGBB) -> ``labels``.

    ``channel_threshold`` first snaps every channel to 0 or 255 (``>=`` it is 255), for datasets
    whose published colour masks are not exactly 0/255 (DeepGlobe land cover says so).
    """
    if rgb is None:
        return Mismatch("mask has a single band of more than 8 bits, not colours",
                        "declare an index or threshold encoding for it")
    if channel_threshold is not None:
        rgb = np.where(rgb >= channel_threshold, 255, 0).astype(np.uint8)
    order = np.argsort(codes)
    codes, labels = codes[order], labels[order]
    packed = pack_rgb(rgb)
    position = np.minimum(np.searchsorted(codes, packed), len(codes) - 1)
    known = codes[position] == packed
    if known.all():
        return labels[position]
    problem = "mask has " + listed(packed[~known], "colour(s) the class map does not know",
                                   lambda code: f"#{code:06X}")
    if _mostly_blends(packed[~known], codes):
        return Mismatch(problem + "; they blend class colours, as anti-aliased or smoothly "
                        "resized masks do", _ANTI_ALIASED_HINT + ", or set channel_threshold: 128 to snap its colours")
    return Mismatch(problem, "add each to the class map's classes or to its ignore list "
                    "(many near-identical colours mean the mask was saved lossily; re-export it as PNG)")


def _unpack(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes, np.int64)
    return np.stack([codes >> 16, (codes >> 8) & 0xFF, codes & 0xFF], axis=-1).astype(np.float64)


def _mostly_blends(unknown: np.ndarray, codes: np.ndarray, tolerance: float = 3.0) -> bool:
    """Whether most unknown pixels (at least two distinct colours of them) lie on the line between
    two class colours, strictly inside it: the edge pixels that anti-aliasing or bilinear resizing
    paints between two classes."""
    distinct, counts = np.unique(unknown, return_counts=True)
    if len(distinct) < 2:
        return False
    order = np.argsort(-counts, kind="stable")[:_BLEND_CHECKED]
    distinct, counts = _unpack(distinct[order]), counts[order]
    start, end = _unpack(codes)[:, None, None, :], _unpack(codes)[None, :, None, :]
    direction = end - start  # C x C x 1 x 3, one segment per pair of class colours
    length = np.maximum((direction ** 2).sum(-1), 1.0)
    share = ((distinct[None, None] - start) * direction).sum(-1) / length  # C x C x K
    nearest = start + share[..., None] * direction
    on_segment = (np.abs(nearest - distinct[None, None]).max(-1) <= tolerance) & \
        (share > 0) & (share < 1)
    blended = on_segment.any(axis=(0, 1))
    return blended.sum() >= 2 and counts[blended].sum() >= 0.8 * counts.sum()


def _edge_values(band: np.ndarray, unknown: np.ndarray, class_values: Sequence[int]) -> bool:
    """Whether the unknown values look like anti-aliased edges: at least three distinct ones, all
    strictly between the lowest and highest class value, and (nearly) every unknown pixel next to
    a known one, as on a 1-2 pixel seam between two classes rather than in a region of its own."""
    between = np.unique(band[unknown])
    if len(between) < 3 or not class_values or \
            not min(class_values) < between.min() <= between.max() < max(class_values):
        return False
    padded = np.pad(~unknown, 1, constant_values=False)
    height, width = unknown.shape
    touches = np.zeros_like(unknown)
    for dy in range(3):
        for dx in range(3):
            touches |= padded[dy:dy + height, dx:dx + width]
    return touches[unknown].mean() >= 0.9


def match_values(band: np.ndarray | None, values: dict[int, int],
                 class_values: Sequence[int] = ()) -> np.ndarray | Mismatch:
    """Map each pixel value (a class id as the dataset writes it) through ``values``;
    ``class_values`` (the values of the classes, not the ignored ones) only serve to recognise
    anti-aliased edges among unknown values."""
    if band is None:
        return Mismatch("mask is in colour, so it holds no class ids",
                        "declare the class colours, or give a single-band (grey or index) mask")
    whole = band.dtype.kind in "ui" or np.array_equal(band, np.round(band))
    # float() so that a float16 band is not compared with 65535 cast to float16 (inf, a warning)
    if not whole or float(band.min()) < 0 or float(band.max()) > _MAX_INDEX_VALUE:
        return Mismatch(f"mask values run from {band.min()} to {band.max()}, not 8- or 16-bit "
                        "class ids", "save the labels as 8- or 16-bit integers")
    table = np.full(_MAX_INDEX_VALUE + 1, -1, dtype=np.int16)
    for value, label in values.items():
        table[value] = label
    labels = table[band.astype(np.int64)]
    unknown = labels < 0
    if unknown.any():
        problem = "mask has " + listed(band[unknown], "value(s) the class map does not know", int)
        if _edge_values(band, unknown, class_values):
            return Mismatch(problem + "; they lie between the class values, as anti-aliased or "
                            "smoothly resized masks do", _ANTI_ALIASED_HINT +
                            ", or, for a binary mask, declare threshold: 128")
        return Mismatch(problem, "give each its class (value: N) or add it to the class map's ignore list")
    return labels.astype(np.uint8)


def match_threshold(band: np.ndarray | None, threshold: int) -> np.ndarray | Mismatch:
    """Binary labels from a grey mask: 1 where the value is at least ``threshold``, else 0."""
    if band is None:
        return Mismatch(f"mask is in colour, so threshold {threshold} has no grey level to cut",
                        "give a grey or single-band mask, or declare the class colours")
    return (band >= threshold).astype(np.uint8)
