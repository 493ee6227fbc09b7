"""Colour-coded label masks <-> class-index masks.

Datasets such as Dubai store labels as RGB colours. A :class:`ClassMap` names each class, fixes
its colour, and lists colours that carry no class (they become ``ignore_index`` and are left out of
every metric). An unknown colour is an error, never a silent guess: it usually means the map is
wrong or the mask was saved lossily (JPEG).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rssqa.errors import InputError

_HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")
_SHOWN_UNKNOWN = 8  # unknown colours listed in an error; the rest are counted


def _normalise_colour(colour: str) -> str:
    match = _HEX_COLOUR.match(str(colour).strip())
    if not match:
        raise InputError(None, f"colour {colour!r} is not a hex RGB colour", 'write it as "#RRGGBB"')
    return "#" + match.group(1).upper()


def _pack_hex(colour: str) -> int:
    return int(colour[1:], 16)


def _pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 -> HxW int32 0xRRGGBB, so each colour compares as one number."""
    rgb = rgb.astype(np.int32, copy=False)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


@dataclass(frozen=True)
class ClassMap:
    """Class names, their mask colours (``"#RRGGBB"``) and the colours to ignore.

    Class ``i`` is ``names[i]`` drawn in ``colours[i]``; ``ignore_colours`` map to
    ``ignore_index``, which must lie outside ``0 .. num_classes - 1``.
    """

    names: Sequence[str]
    colours: Sequence[str]
    ignore_colours: Sequence[str] = field(default_factory=tuple)
    ignore_index: int = 255

    def __post_init__(self) -> None:
        names = tuple(str(n) for n in self.names)
        colours = tuple(_normalise_colour(c) for c in self.colours)
        ignore = tuple(_normalise_colour(c) for c in self.ignore_colours)
        if not names:
            raise InputError(None, "the class map has no classes", "list at least one class")
        if len(names) != len(colours):
            raise InputError(None, f"the class map has {len(names)} names but {len(colours)} colours",
                             "give exactly one colour per class")
        for label, items in (("class name", names), ("colour", colours + ignore)):
            repeated = sorted({x for x in items if items.count(x) > 1})
            if repeated:
                raise InputError(None, f"the class map repeats the {label}(s) {', '.join(repeated)}",
                                 "each class name and colour may appear only once")
        if not 0 <= self.ignore_index <= 255 or self.ignore_index < len(names):
            raise InputError(None, f"ignore_index {self.ignore_index} collides with a class index "
                             f"or does not fit in uint8", f"use a value in {len(names)}..255")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "colours", colours)
        object.__setattr__(self, "ignore_colours", ignore)

    @classmethod
    def from_dict(cls, config: Mapping) -> ClassMap:
        """Build from a YAML-style mapping::

            classes: [{name: Building, colour: "#3C1098"}, ...]
            ignore: ["#000000"]        # optional
            ignore_index: 255          # optional
        """
        try:
            classes = config["classes"]
            names = [c["name"] for c in classes]
            colours = [c.get("colour", c.get("color")) for c in classes]
        except (KeyError, TypeError):
            raise InputError(None, "a class map needs 'classes': a list of {name, colour} entries",
                             'e.g. classes: [{name: Building, colour: "#3C1098"}]') from None
        missing = [n for n, c in zip(names, colours) if c is None]
        if missing:
            raise InputError(None, f"class(es) {', '.join(missing)} have no colour",
                             'add colour: "#RRGGBB" to each class')
        return cls(names, colours, config.get("ignore", ()), config.get("ignore_index", 255))

    def to_dict(self) -> dict:
        """The inverse of :meth:`from_dict`, for writing a run's resolved configuration."""
        return {
            "classes": [{"name": n, "colour": c} for n, c in zip(self.names, self.colours)],
            "ignore": list(self.ignore_colours),
            "ignore_index": self.ignore_index,
        }

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def encode(self, rgb: np.ndarray, path: str | Path | None = None) -> np.ndarray:
        """HxWx3 uint8 colour mask -> HxW uint8 class indices (ignore colours -> ``ignore_index``).

        ``path`` only names the file in the error raised for colours the map does not know.
        """
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 array, got {rgb.dtype} {rgb.shape}")
        codes = np.array([_pack_hex(c) for c in self.colours + self.ignore_colours], dtype=np.int32)
        labels = np.array([*range(self.num_classes)] + [self.ignore_index] * len(self.ignore_colours),
                          dtype=np.uint8)
        order = np.argsort(codes)
        codes, labels = codes[order], labels[order]

        packed = _pack_rgb(rgb)
        position = np.minimum(np.searchsorted(codes, packed), len(codes) - 1)
        known = codes[position] == packed
        if not known.all():
            self._raise_unknown(packed[~known], path)
        return labels[position]

    def _raise_unknown(self, unknown_codes: np.ndarray, path: str | Path | None) -> None:
        colours, counts = np.unique(unknown_codes, return_counts=True)
        order = np.argsort(-counts, kind="stable")
        listed = ", ".join(f"#{colours[i]:06X} ({counts[i]} px)" for i in order[:_SHOWN_UNKNOWN])
        more = f" and {len(colours) - _SHOWN_UNKNOWN} more" if len(colours) > _SHOWN_UNKNOWN else ""
        raise InputError(
            path,
            f"mask has {len(colours)} colour(s) the class map does not know: {listed}{more}",
            "add each to the class map's classes or to its ignore list "
            "(many near-identical colours mean the mask was saved lossily; re-export it as PNG)",
        )

    def decode(self, index_mask: np.ndarray) -> np.ndarray:
        """HxW class indices -> HxWx3 uint8 RGB for viewing; ignore (or any non-class) is black."""
        palette = np.zeros((256, 3), dtype=np.uint8)
        for i, colour in enumerate(self.colours):
            code = _pack_hex(colour)
            palette[i] = (code >> 16, (code >> 8) & 0xFF, code & 0xFF)
        return palette[np.asarray(index_mask, dtype=np.uint8)]


DUBAI_CLASSES = ClassMap(
    names=["Building", "Land", "Road", "Vegetation", "Water", "Unlabeled"],
    colours=["#3C1098", "#8429F6", "#6EC1E4", "#FEDD3A", "#E2A929", "#9B9B9B"],
    ignore_colours=["#000000"],
)
"""Dubai aerial imagery (Humans in the Loop / MBRSC). ``#000000`` marks 0.6 % of pixels that
belong to no class, so it is ignored rather than treated as a seventh class."""
