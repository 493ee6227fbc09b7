"""Label masks -> class-index masks, for colour, index and thresholded masks.

A :class:`ClassMap` names each class and declares how masks encode it: by colour (Dubai, ISPRS,
UAVid), by pixel value (class ids, as LoveDA, FloodNet and OpenEarthMap ship them), or by a grey
threshold for binary masks that were saved anti-aliased. Colours or values that carry no class
become ``ignore_index`` and are left out of every metric. A mask that fits none of the declared
encodings is an error naming the file and the values seen, never a silent guess: it usually means
the map is wrong or the mask was saved lossily (JPEG).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rssqa.data.mask_encodings import (MaskPixels, Mismatch, match_colours, match_threshold,
                                       match_values, unusable)
from rssqa.errors import InputError

_HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")
ENCODINGS = ("colour", "index", "threshold")
# Display colours for classes declared without one (index and threshold maps): only for viewing.
_DISPLAY = ["#E6194B", "#3CB44B", "#FFE119", "#4363D8", "#F58231", "#911EB4", "#46F0F0", "#F032E6",
            "#BCF60C", "#FABEBE", "#008080", "#E6BEFF", "#9A6324", "#FFFAC8", "#800000", "#AAFFC3"]


def _normalise_colour(colour: str) -> str:
    match = _HEX_COLOUR.match(str(colour).strip())
    if not match:
        raise InputError(None, f"colour {colour!r} is not a hex RGB colour", 'write it as "#RRGGBB"')
    return "#" + match.group(1).upper()


def _pack_hex(colour: str) -> int:
    return int(colour[1:], 16)


def _repeated(items: Sequence) -> list[str]:
    return sorted({str(x) for x in items if items.count(x) > 1})


def _display_colours(colours: Sequence[str], count: int) -> tuple[str, ...]:
    """The given colours, or (when none are given) distinct display colours for ``count`` classes."""
    if colours:
        return tuple(_normalise_colour(c) for c in colours)
    if count <= len(_DISPLAY):
        return tuple(_DISPLAY[:count])
    # 37, 91 and 173 are odd, so i -> 37 i mod 256 is one-to-one: distinct colours up to 255 classes
    return tuple(f"#{37 * i % 256:02X}{91 * i % 256:02X}{173 * i % 256:02X}" for i in range(1, count + 1))


@dataclass(frozen=True)
class ClassMap:
    """Class names, how masks encode them, and what carries no class.

    Class ``i`` is ``names[i]``. ``encodings`` lists the encodings a mask may use, tried in order:
    ``colour`` (class ``i`` drawn in ``colours[i]``, ``"#RRGGBB"``; ``ignore_colours`` carry no
    class), ``index`` (class ``i`` written as pixel value ``values[i]``, by default ``i``;
    ``ignore_values`` and ``ignore_index`` itself carry no class) and ``threshold`` (two classes:
    a grey level at least ``threshold`` is class 1, below it class 0). Without the colour encoding,
    ``colours`` only paint predictions for viewing. ``channel_threshold`` snaps each colour
    channel to 0/255 before the lookup. ``ignore_index`` lies outside ``0 .. num_classes - 1``.
    """

    names: Sequence[str]
    colours: Sequence[str] = ()
    ignore_colours: Sequence[str] = field(default_factory=tuple)
    ignore_index: int = 255
    encodings: Sequence[str] = ("colour",)
    values: Sequence[int] = ()
    ignore_values: Sequence[int] = ()
    threshold: int | None = None
    channel_threshold: int | None = None

    def __post_init__(self) -> None:
        names = tuple(str(n) for n in self.names)
        encodings = (self.encodings,) if isinstance(self.encodings, str) else tuple(self.encodings)
        if not names:
            raise InputError(None, "the class map has no classes", "list at least one class")
        bad = [e for e in encodings if e not in ENCODINGS]
        if bad or not encodings or len(set(encodings)) != len(encodings):
            raise InputError(None, f"mask encodings {list(encodings)} are not distinct names from "
                             f"{', '.join(ENCODINGS)}", "declare colour, index and/or threshold")
        self._set(names=names, encodings=encodings,
                  colours=_display_colours(self.colours, len(names)) if "colour" not in encodings
                  else tuple(_normalise_colour(c) for c in self.colours),
                  ignore_colours=tuple(_normalise_colour(c) for c in self.ignore_colours),
                  values=self._checked_values(len(names), encodings),
                  ignore_values=tuple(int(v) for v in self.ignore_values))
        self._check_colours()
        self._check_index_and_threshold()
        if not 0 <= self.ignore_index <= 255 or self.ignore_index < len(names):
            raise InputError(None, f"ignore_index {self.ignore_index} collides with a class index "
                             f"or does not fit in uint8", f"use a value in {len(names)}..255")

    def _set(self, **values) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _checked_values(self, count: int, encodings: tuple[str, ...]) -> tuple[int, ...]:
        if "index" not in encodings:
            return ()
        values = tuple(int(v) for v in self.values) if self.values else tuple(range(count))
        if len(values) != count:
            raise InputError(None, f"the class map has {count} names but {len(values)} values",
                             "give exactly one pixel value per class")
        return values

    def _check_colours(self) -> None:
        if len(self.names) != len(self.colours):
            raise InputError(None, f"the class map has {len(self.names)} names but "
                             f"{len(self.colours)} colours", "give exactly one colour per class")
        for label, items in (("class name", self.names), ("colour", self.colours + self.ignore_colours),
                             ("pixel value", self.values + self.ignore_values)):
            if _repeated(items):
                raise InputError(None, f"the class map repeats the {label}(s) "
                                 f"{', '.join(_repeated(items))}",
                                 "each class name, colour and value may appear only once")

    def _check_index_and_threshold(self) -> None:
        if "threshold" not in self.encodings:
            if self.threshold is not None:
                raise InputError(None, f"threshold {self.threshold} is set but the threshold "
                                 "encoding is not declared", "add threshold to the encodings")
            return
        if "index" in self.encodings or len(self.names) != 2 or self.threshold is None:
            raise InputError(None, "a threshold class map needs exactly two classes (below, at "
                             "or above the threshold), a threshold value and no index encoding",
                             "e.g. {threshold: 128, classes: [background, building]}")

    @classmethod
    def from_dict(cls, config: Mapping) -> ClassMap:
        """Build from a YAML-style mapping (see :func:`rssqa.data.classmap_config.parse`)::

            classes: [{name: Building, colour: "#3C1098"}, ...]     # colour masks
            classes: [{name: building, value: 2}, ...]              # index masks (value: pixel value)
            threshold: 128, classes: [background, building]         # binary grey masks
            ignore: ["#000000", 0]     # optional: colours and pixel values that carry no class
            ignore_index: 255          # optional
        """
        from rssqa.data.classmap_config import parse

        return cls(**parse(config))

    def to_dict(self) -> dict:
        """The inverse of :meth:`from_dict`, for writing a run's resolved configuration."""
        from rssqa.data.classmap_config import unparse

        return unparse(self)

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def encode(self, mask: np.ndarray, path: str | Path | None = None) -> np.ndarray:
        """HxWx3 uint8 colour or HxW grey/index mask -> HxW uint8 class indices.

        ``path`` only names the file in the error raised for a mask that fits no declared encoding.
        """
        mask = np.asarray(mask)
        if self.encodings == ("colour",) and (mask.ndim != 3 or mask.dtype != np.uint8):
            raise InputError(path, f"mask is {mask.dtype} of shape {mask.shape}, but the class map "
                             "declares colours only", "give it height x width x 3 8-bit colours")
        return self.encode_pixels(MaskPixels.from_array(mask), path)

    def encode_pixels(self, pixels: MaskPixels, path: str | Path | None = None) -> np.ndarray:
        """Class indices from the first declared encoding the mask fits; none fits: InputError."""
        malformed = unusable(pixels)
        if malformed is not None:
            raise InputError(path, malformed.problem, malformed.hint)
        mismatches = []
        for encoding in self.encodings:
            result = self._match(encoding, pixels)
            if not isinstance(result, Mismatch):
                return result
            mismatches.append((encoding, result))
        if len(mismatches) == 1:
            raise InputError(path, mismatches[0][1].problem, mismatches[0][1].hint)
        raise InputError(path, "mask fits none of the class map's encodings: " + "; ".join(
            f"as {name}, {m.problem}" for name, m in mismatches), mismatches[0][1].hint)

    def _match(self, encoding: str, pixels: MaskPixels) -> np.ndarray | Mismatch:
        if encoding == "colour":
            codes = [_pack_hex(c) for c in self.colours + self.ignore_colours]
            labels = [*range(self.num_classes)] + [self.ignore_index] * len(self.ignore_colours)
            return match_colours(pixels.rgb, np.array(codes, np.int32), np.array(labels, np.uint8),
                                 self.channel_threshold)
        if encoding == "index":
            lookup = {self.ignore_index: self.ignore_index}
            lookup.update({v: self.ignore_index for v in self.ignore_values})
            lookup.update({v: i for i, v in enumerate(self.values)})
            return match_values(pixels.band, lookup, self.values)
        return match_threshold(pixels.grey, self.threshold)

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
