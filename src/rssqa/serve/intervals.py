"""Conformal intervals for the page, when the assessor directory holds a calibration.

``rssqa.assess.conformal.SplitConformal`` needs residuals of calibration tiles the assessor never
trained on; training does not write them yet, so the server looks for ``conformal.json`` beside the
assessor (written by :func:`save_conformal`) and, without it, shows point scores and says why.
The file holds per-method half-widths, not residuals: that is all an interval needs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rssqa.assess.conformal import SplitConformal
from rssqa.utils import atomic_write_text

CONFORMAL_FILE = "conformal.json"


@dataclass(frozen=True)
class Intervals:
    """Half-widths at one coverage level, one per method, and what they rest on."""

    level: float
    half_widths: dict[str, float]
    calibration_size: int

    def bounds(self, method: str, score: float) -> tuple[float, float] | None:
        """(low, high) around ``score``, clipped to [0, 1]; None if the level was unattainable."""
        half = self.half_widths.get(method, math.inf)
        if not math.isfinite(half):
            return None
        return max(0.0, score - half), min(1.0, score + half)


def save_conformal(directory: str | Path, conformal: SplitConformal, methods: list[str]) -> Path:
    """Store a calibration beside a saved assessor, in its method order."""
    path = Path(directory) / CONFORMAL_FILE
    atomic_write_text(path, json.dumps({
        "methods": list(methods), "calibration_size": conformal.calibration_size,
        "half_widths": {str(level): [float(w) for w in widths]
                        for level, widths in conformal.half_widths.items()}}, indent=2))
    return path


def load_intervals(directory: str | Path, methods: list[str],
                   level: float) -> tuple[Intervals | None, str]:
    """The calibration at ``level`` (or the nearest stored level) and a sentence for the page;
    (None, why) when the directory has none or it does not match the pool."""
    path = Path(directory) / CONFORMAL_FILE
    if not path.is_file():
        return None, (f"no conformal calibration ({CONFORMAL_FILE}) in the assessor directory: "
                      "scores are shown without intervals")
    try:
        state = json.loads(path.read_text())
        stored = {float(k): np.asarray(v, float) for k, v in state["half_widths"].items()}
        order = list(state["methods"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        return None, f"{CONFORMAL_FILE} could not be read ({error}): scores are shown without intervals"
    if sorted(order) != sorted(methods) or not stored:
        return None, (f"{CONFORMAL_FILE} was calibrated for methods {order}, not this pool's "
                      f"{methods}: scores are shown without intervals")
    chosen = min(stored, key=lambda stored_level: abs(stored_level - level))
    widths = {m: float(w) for m, w in zip(order, stored[chosen])}
    size = int(state.get("calibration_size", 0))
    return (Intervals(chosen, widths, size),
            f"{chosen:.0%} split-conformal intervals, calibrated per method on {size} held-out "
            "tiles (coverage holds over tiles, not for every single image)")
