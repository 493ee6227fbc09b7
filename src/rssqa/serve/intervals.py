"""Conformal intervals for the page, when the assessor directory holds a calibration.

``rssqa.assess.conformal.SplitConformal`` needs residuals of calibration tiles the assessor never
trained on. The safe selector (the configs' recommender) writes them as ``conformal.json`` beside
itself, from its cross-fitted held-out predictions; for an assessor without the file the server
shows point scores and says why.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rssqa.assess.checkpoint import retrain_hint
from rssqa.assess.conformal import CONFORMAL_FILE


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
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return None, (f"{path} could not be read ({type(error).__name__}): scores are shown "
                      f"without intervals; {retrain_hint(directory)} to restore them")
    if sorted(order) != sorted(methods) or not stored:
        return None, (f"{CONFORMAL_FILE} was calibrated for methods {order}, not this pool's "
                      f"{methods}: scores are shown without intervals")
    chosen = min(stored, key=lambda stored_level: abs(stored_level - level))
    widths = {m: float(w) for m, w in zip(order, stored[chosen])}
    size = int(state.get("calibration_size", 0))
    return (Intervals(chosen, widths, size),
            f"{chosen:.0%} split-conformal intervals, calibrated per method on {size} held-out "
            "tiles (coverage holds over tiles, not for every single image)")
