"""How well an assessor's conformal intervals keep their promise on the test split: the share of
(tile, method) pairs whose true accuracy falls inside, per level, with a bootstrap interval over
source images (tiles of one image are not independent), and what that costs: the mean width and
the spread of widths between tiles (the 10th to 90th percentile; zero for per-method intervals)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rssqa.assess.base import AssessmentInputs
from rssqa.assess.conformal import CONFORMAL_FILE, SplitConformal, load_conformal

RESAMPLES = 1000


def interval_coverage(calibration: SplitConformal, pred: np.ndarray, true: np.ndarray,
                      sources: Sequence[str], assessor: str = "", seed: int = 0) -> pd.DataFrame:
    """One row per calibrated level: coverage, its 95 % interval over source images, and the
    widths (clipped to [0, 1], as every output shows them)."""
    pred, true = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    images = pd.factorize(np.asarray(sources))[0]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, images.max() + 1, size=(RESAMPLES, images.max() + 1))
    rows = []
    for level in calibration.levels:
        low, high = calibration.interval(pred, level)
        inside = ((low <= true) & (true <= high)).mean(axis=1)  # per tile, over methods
        width = np.minimum(1.0, high) - np.maximum(0.0, low)
        per_image = np.bincount(images, weights=inside), np.bincount(images).astype(float)
        resampled = per_image[0][draws].sum(axis=1) / per_image[1][draws].sum(axis=1)
        rows.append({"assessor": assessor, "level": level, "coverage": float(inside.mean()),
                     "coverage_low": float(np.percentile(resampled, 2.5)),
                     "coverage_high": float(np.percentile(resampled, 97.5)),
                     "mean_width": float(width.mean()),
                     "width_p10": float(np.percentile(width, 10)),
                     "width_p90": float(np.percentile(width, 90)),
                     "per_tile": calibration.per_tile, "tiles": len(pred),
                     "images": int(images.max() + 1)})
    return pd.DataFrame(rows)


def saved_interval_coverage(directory: Path, pred: np.ndarray, test: AssessmentInputs,
                            assessor: str, seed: int = 0) -> pd.DataFrame | None:
    """:func:`interval_coverage` of the calibration saved beside an assessor; None when it has
    none, or one that does not read back or was made for other methods (the assessor's own
    loading and the page say so; the evaluation goes on without it)."""
    if not (Path(directory) / CONFORMAL_FILE).is_file():
        return None
    try:
        calibration, order = load_conformal(directory)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if order != list(test.methods):
        return None
    return interval_coverage(calibration, pred, test.targets, test.sources, assessor, seed)


def coverage_sentence(coverage: pd.DataFrame) -> str:
    """One line per calibrated assessor: its intervals' coverage on the test split, per level."""
    lines = []
    for name, rows in coverage.groupby("assessor", sort=False):
        kind = "per-tile" if rows["per_tile"].iloc[0] else "per-method"
        levels = "; ".join(f"{r.level:.0%}: {r.coverage:.3f} [{r.coverage_low:.3f}, {r.coverage_high:.3f}], "
                           f"width {r.mean_width:.3f} ({r.width_p10:.3f}-{r.width_p90:.3f})"
                           for r in rows.itertuples())
        lines.append(f"{name} {kind} conformal intervals on {rows['tiles'].iloc[0]} test tiles of "
                     f"{rows['images'].iloc[0]} images, coverage [95% over images], mean width "
                     f"(10th-90th percentile): {levels}")
    return "\n".join(lines)
