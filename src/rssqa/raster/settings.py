"""Which bands of a raster the models see, and how their values become 8-bit.

The pool and the semantic encoder take 8-bit RGB. A 4-band 16-bit scene has to be cut down to
three bands and stretched; that is a decision about the data, made once per experiment and
stored with the trained pool (``raster.json``), so training and inference see the same pixels.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from rssqa.errors import InputError
from rssqa.files import atomic_write_text

RASTER_FILE = "raster.json"  # in the pool folder: the settings the pool was trained with
_KEYS = ("bands", "scale", "nodata")
_EXAMPLE = "e.g. raster: {bands: [3, 2, 1], scale: {percentiles: [2, 98]}, nodata: 0}"


@dataclass(frozen=True)
class Scale:
    """How raw values map onto 0..255: ``percentiles`` (low, high) of each band's valid pixels
    in the scene, or fixed ``low`` / ``high`` values (one for all bands, or one per band)."""

    percentiles: tuple[float, float] | None = None
    low: tuple[float, ...] | None = None
    high: tuple[float, ...] | None = None

    @classmethod
    def from_dict(cls, values: dict) -> Scale:
        _check_keys(values, ("percentiles", "min", "max"), "raster.scale")
        if "percentiles" in values:
            if "min" in values or "max" in values:
                raise InputError(None, "raster.scale gives both percentiles and min/max",
                                 "give one: {percentiles: [2, 98]} or {min: 0, max: 3000}")
            low, high = _numbers(values["percentiles"], "raster.scale.percentiles", length=2)
            if not 0 <= low < high <= 100:
                raise InputError(None, f"raster.scale.percentiles [{low}, {high}] is not an "
                                 "increasing pair within 0..100", "e.g. percentiles: [2, 98]")
            return cls(percentiles=(low, high))
        if "min" not in values or "max" not in values:
            raise InputError(None, "raster.scale needs percentiles, or both min and max",
                             "e.g. {percentiles: [2, 98]} or {min: 0, max: 3000}")
        low, high = _numbers(values["min"], "raster.scale.min"), _numbers(values["max"], "raster.scale.max")
        if len(low) != len(high) or any(lo >= hi for lo, hi in zip(low, high)):
            raise InputError(None, f"raster.scale min {list(low)} and max {list(high)} must pair up "
                             "with min < max", "give one number each, or one per band")
        return cls(low=low, high=high)

    def to_dict(self) -> dict:
        if self.percentiles is not None:
            return {"percentiles": list(self.percentiles)}
        return {"min": list(self.low), "max": list(self.high)}


@dataclass(frozen=True)
class RasterSettings:
    """``bands``: 1-based band numbers shown to the models as R, G, B (one band is repeated
    thrice; None: bands 1, 2, 3, or band 1 of a single-band raster). ``scale``: the stretch to
    8 bits (None: the data must already be 8-bit). ``nodata``: the value that marks missing
    pixels, overriding the file's own (None: the file's nodata or mask)."""

    bands: tuple[int, ...] | None = None
    scale: Scale | None = None
    nodata: float | None = None

    @classmethod
    def from_dict(cls, values: dict | None) -> RasterSettings:
        values = dict(values or {})
        _check_keys(values, _KEYS, "raster")
        bands = values.get("bands")
        if bands is not None:
            bands = tuple(int(b) for b in _numbers(bands, "raster.bands"))
            if len(bands) not in (1, 3) or min(bands) < 1:
                raise InputError(None, f"raster.bands {list(bands)} must name 1 or 3 bands, "
                                 "numbered from 1", "e.g. bands: [3, 2, 1] for R, G, B of a BGR+NIR scene")
        scale = values.get("scale")
        if scale is not None and not isinstance(scale, dict):
            raise InputError(None, f"raster.scale must be a mapping, got {scale!r}", _EXAMPLE)
        nodata = values.get("nodata")
        return cls(bands, None if scale is None else Scale.from_dict(scale),
                   None if nodata is None else float(_numbers(nodata, "raster.nodata", length=1)[0]))

    def to_dict(self) -> dict:
        return {"bands": None if self.bands is None else list(self.bands),
                "scale": None if self.scale is None else self.scale.to_dict(), "nodata": self.nodata}

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / RASTER_FILE
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2))
        return path

    @classmethod
    def load(cls, directory: str | Path) -> RasterSettings:
        """The settings saved in ``directory`` (a pool folder); the defaults when there are none."""
        path = Path(directory) / RASTER_FILE
        if not path.is_file():
            return cls()
        return cls.from_dict(json.loads(path.read_text()))

    def band_indexes(self, count: int, path: Path | None = None) -> list[int]:
        """The three band numbers to read from a raster of ``count`` bands."""
        bands = self.bands or ((1, 2, 3) if count >= 3 else (1,))
        if count == 2 and self.bands is None:
            raise InputError(path, "has 2 bands, and which to show as RGB is not obvious",
                             f"set the experiment's raster.bands, {_EXAMPLE}")
        missing = [b for b in bands if b > count]
        if missing:
            raise InputError(path, f"has {count} band(s), so bands {missing} of raster.bands "
                             f"{list(bands)} do not exist", "choose bands between 1 and "
                             f"{count} in the experiment's raster.bands")
        return list(bands) * 3 if len(bands) == 1 else list(bands)


def _check_keys(values: dict, known: tuple[str, ...], where: str) -> None:
    if not isinstance(values, dict):
        raise InputError(None, f"{where} must be a mapping, got {values!r}", _EXAMPLE)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InputError(None, f"{where} has unknown key(s) {unknown}",
                         f"use only {', '.join(known)}; {_EXAMPLE}")


def _numbers(value, where: str, length: int | None = None) -> tuple[float, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    try:
        numbers = tuple(float(v) for v in items)
    except (TypeError, ValueError):
        raise InputError(None, f"{where} must hold numbers, got {value!r}", _EXAMPLE) from None
    wrong_count = length is not None and len(numbers) != length
    if not numbers or wrong_count or not all(math.isfinite(n) for n in numbers):
        count = f"{length} " if length else ""
        raise InputError(None, f"{where} must be {count}finite number(s), got {value!r}", _EXAMPLE)
    return numbers
