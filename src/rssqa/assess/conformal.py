"""Split-conformal intervals on predicted overall accuracy, for any assessor.

Calibrate on tiles the assessor never trained on (a held-out part of the train split): the
absolute residuals |OA - predicted OA| there give, per method, the half-width that covers at least
a ``level`` share of exchangeable new tiles (Vovk et al. 2005; Lei et al. 2018). Calibration is per
method because methods differ in how predictable they are; the guarantee is marginal over tiles,
not per tile.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rssqa.assess.checkpoint import retrain_hint
from rssqa.errors import InputError
from rssqa.files import atomic_write_text

CONFORMAL_FILE = "conformal.json"  # beside a saved assessor: per-method half-widths per level


@dataclass(frozen=True)
class SplitConformal:
    """Half-widths per coverage level: ``half_widths[level]`` holds one value per method (column);
    ``inf`` where the calibration set is too small for that level."""

    half_widths: dict[float, np.ndarray]
    calibration_size: int

    @classmethod
    def calibrate(cls, pred: np.ndarray, true: np.ndarray,
                  levels: Sequence[float] = (0.8, 0.9, 0.95)) -> SplitConformal:
        """Fit from N x M predictions and true OA of calibration tiles."""
        pred, true = _tables(pred, true)
        residuals = np.sort(np.abs(true - pred), axis=0)
        n = len(residuals)
        half_widths = {}
        for level in levels:
            if not 0 < level < 1:
                raise InputError(None, f"coverage level {level} is not in (0, 1)",
                                 "give levels such as 0.8, 0.9, 0.95")
            rank = math.ceil((n + 1) * level)  # the finite-sample conformal quantile
            half_widths[float(level)] = (residuals[rank - 1] if rank <= n
                                         else np.full(residuals.shape[1], np.inf))
        return cls(half_widths, n)

    @property
    def levels(self) -> list[float]:
        return sorted(self.half_widths)

    def interval(self, pred: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) N x M bounds around ``pred`` at a calibrated ``level``."""
        if level not in self.half_widths:
            raise InputError(None, f"level {level} was not calibrated",
                             f"calibrate with it; calibrated: {self.levels}")
        pred = np.asarray(pred, dtype=np.float64)
        return pred - self.half_widths[level], pred + self.half_widths[level]

    def coverage(self, pred: np.ndarray, true: np.ndarray) -> dict[float, float]:
        """Share of (tile, method) pairs whose true OA falls in the interval, per level."""
        pred, true = _tables(pred, true)
        covered = {}
        for level in self.levels:
            low, high = self.interval(pred, level)
            covered[level] = float(np.mean((true >= low) & (true <= high)))
        return covered

    def mean_width(self) -> dict[float, float]:
        """Interval width averaged over methods, per level: what the coverage costs."""
        return {level: float(2 * np.mean(self.half_widths[level])) for level in self.levels}


def _tables(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, true = np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64)
    if pred.ndim == 1 and true.ndim == 1:  # one method
        pred, true = pred[:, None], true[:, None]
    if pred.shape != true.shape or pred.ndim != 2 or len(pred) == 0:
        raise InputError(None, f"predicted {pred.shape} and true {true.shape} OA must be "
                         "matching non-empty N x M tables", "pass one row per tile, one column "
                         "per method")
    if not (np.isfinite(pred).all() and np.isfinite(true).all()):
        raise InputError(None, "predicted or true OA contain NaN or infinity",
                         "drop tiles without labels before calibrating")
    return pred, true


def save_conformal(directory: str | Path, conformal: SplitConformal, methods: list[str]) -> Path:
    """Store a calibration beside a saved assessor, in its method order (half-widths, not
    residuals: that is all an interval needs)."""
    path = Path(directory) / CONFORMAL_FILE
    atomic_write_text(path, json.dumps({
        "methods": list(methods), "calibration_size": conformal.calibration_size,
        "half_widths": {str(level): [float(w) for w in widths]
                        for level, widths in conformal.half_widths.items()}}, indent=2))
    return path


# -- reading the calibration back: where the page, the scenes and the command line get intervals --

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
