"""Conformal intervals on predicted accuracy, for any assessor: per method, or per tile.

Calibrate on tiles the assessor never trained on (held-out source images of the train split): the
absolute residuals |accuracy - predicted| there give, per method, the half-width that covers at
least a ``level`` share of exchangeable new tiles (Vovk et al. 2005; Lei et al. 2018).

With a :class:`TileDifficulty`, the intervals are normalised (Papadopoulos et al. 2008): the
residuals are divided by each tile's difficulty before the quantile is taken, and a new tile's
half-width is that quantile times its own difficulty, so a tile that looks like those the assessor
got wrong gets a wider interval and a tile like the easy ones a narrower one, at the same
coverage over tiles. The guarantee stays marginal over tiles, not per tile.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from rssqa.assess.checkpoint import retrain_hint
from rssqa.errors import InputError
from rssqa.files import atomic_write_text

CONFORMAL_FILE = "conformal.json"  # beside a saved assessor: its calibration
LEVELS = (0.8, 0.9, 0.95)
# Neighbours a tile's difficulty is averaged over. On the Dubai-8 store, cross-fitted over its
# 28 training source images, 10 kept 80/90/95 % coverage within half a point of nominal;
# 25 and 50 over-covered (92-94 % at 90 %), their difficulty smoothed towards the mean.
DIFFICULTY_NEIGHBOURS = 10
# Added to every tile's scaled difficulty (crepes' ``beta``) so that no interval collapses. With
# crepes' default 0.01, calibration tiles of tiny difficulty and ordinary residual set the upper
# quantiles: cross-fitted over Dubai-8's 28 training images, 0.1 kept 80/90/95 % coverage within
# 1 point of nominal for the listwise, soft and compact bases (0.01: up to 2.7 points over at
# 90 %), with intervals 14-23 % narrower at 90 % that still vary 3.4-3.8-fold between tiles.
DIFFICULTY_FLOOR = 0.1
# What calibrations saved before the floor was saved with them were made with.
_EARLIER_FLOOR = 0.01
# With fewer calibration tiles than this per neighbour, a neighbourhood is mostly noise:
# intervals stay per method.
MIN_TILES_PER_NEIGHBOUR = 4


class TileDifficulty:
    """How hard a tile is to assess, per method: the mean absolute residual of that method on the
    ``k`` calibration tiles whose predicted accuracies (every method's, min-max scaled) are
    nearest, min-max scaled over the calibration tiles' own difficulties (each left out of its
    neighbours) to [0, 1], plus ``floor`` so that no interval collapses.

    This is crepes' k-nearest-neighbour ``DifficultyEstimator`` (residuals, ``scaler=True``),
    computed with scipy's KD-tree because crepes imports scikit-learn, about a second of
    ``rssqa recommend``'s start-up; ``tests/benchmark/test_conformal.py`` checks that the two agree.
    Kept as the calibration rows it was fitted on, so that a saved calibration is plain numbers,
    refitted on load."""

    def __init__(self, features: np.ndarray, residuals: np.ndarray, k: int = DIFFICULTY_NEIGHBOURS,
                 floor: float = DIFFICULTY_FLOOR):
        from scipy.spatial import cKDTree

        self.floor = float(floor)
        self.features = np.asarray(features, np.float64)
        self.residuals = np.abs(np.asarray(residuals, np.float64))
        self.k = int(min(k, len(self.features) - 1))
        self._low, self._span = _min_and_span(self.features)
        self._tree = cKDTree(self._scaled(self.features))
        self._sigma_low, self._sigma_span = _min_and_span(self._calibration_sigmas())

    def __call__(self, pred: np.ndarray) -> np.ndarray:
        """N x M difficulties of tiles with N x M predicted accuracies."""
        pred = np.atleast_2d(np.asarray(pred, np.float64))
        _, neighbours = self._tree.query(self._scaled(pred), k=self.k)
        return self._rescaled(self.residuals[neighbours.reshape(len(pred), self.k)].mean(axis=1))

    def _calibration_sigmas(self) -> np.ndarray:
        """Each calibration tile's mean residual over its k nearest others (as scikit-learn's
        ``kneighbors()`` leaves a tile out: itself if found, else the first neighbour)."""
        n = len(self.features)
        _, neighbours = self._tree.query(self._tree.data, k=self.k + 1)  # the scaled features
        neighbours = neighbours.reshape(n, self.k + 1)
        keep = neighbours != np.arange(n)[:, None]
        keep[keep.all(axis=1), 0] = False
        return self.residuals[neighbours[keep].reshape(n, self.k)].mean(axis=1)

    def _scaled(self, features: np.ndarray) -> np.ndarray:
        return np.clip((features - self._low) / self._span, 0.0, 1.0)

    def _rescaled(self, sigmas: np.ndarray) -> np.ndarray:
        return np.clip((sigmas - self._sigma_low) / self._sigma_span, 0.0, 1.0) + self.floor

    def to_dict(self) -> dict:
        return {"k": self.k, "floor": self.floor, "features": self.features.round(6).tolist(),
                "residuals": self.residuals.round(6).tolist()}

    @classmethod
    def from_dict(cls, state: dict) -> TileDifficulty:
        return cls(np.asarray(state["features"], float), np.asarray(state["residuals"], float),
                   int(state["k"]), float(state.get("floor", _EARLIER_FLOOR)))


def _min_and_span(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the minimum and the range (1 where constant), as min-max scaling needs."""
    low = columns.min(axis=0)
    span = columns.max(axis=0) - low
    return low, np.where(span > 0, span, 1.0)


@dataclass(frozen=True)
class SplitConformal:
    """Quantiles of the (normalised) residuals per coverage level, one per method (column);
    ``inf`` where the calibration set is too small for that level. Without ``difficulty`` they
    are the half-widths themselves, the same on every tile."""

    half_widths: dict[float, np.ndarray]
    calibration_size: int
    difficulty: TileDifficulty | None = None

    @classmethod
    def calibrate(cls, pred: np.ndarray, true: np.ndarray, levels: Sequence[float] = LEVELS,
                  groups: Sequence | None = None, neighbours: int = DIFFICULTY_NEIGHBOURS,
                  floor: float = DIFFICULTY_FLOOR) -> SplitConformal:
        """Fit from N x M predictions and true accuracies of calibration tiles. With ``groups``
        (each tile's source image), per tile: each tile's difficulty (``TileDifficulty`` with
        ``neighbours`` and ``floor``) comes from the other images' tiles only, as a new image's
        will, so the quantile is not flattered by neighbours from the tile's own image."""
        pred, true = _tables(pred, true)
        residuals = np.abs(true - pred)
        difficulty, scores = None, residuals
        if (groups is not None and len(pred) >= MIN_TILES_PER_NEIGHBOUR * neighbours
                and len(set(groups)) >= 2):
            new = partial(TileDifficulty, k=neighbours, floor=floor)
            scores = residuals / _held_out_difficulty(pred, residuals, np.asarray(groups), new)
            difficulty = new(pred, residuals)
        return cls(_quantiles(np.sort(scores, axis=0), levels), len(pred), difficulty)

    @property
    def levels(self) -> list[float]:
        return sorted(self.half_widths)

    @property
    def per_tile(self) -> bool:
        return self.difficulty is not None

    def widths(self, pred: np.ndarray, level: float) -> np.ndarray:
        """N x M half-widths around ``pred`` (N x M) at a calibrated ``level``."""
        if level not in self.half_widths:
            raise InputError(None, f"level {level} was not calibrated",
                             f"calibrate with it; calibrated: {self.levels}")
        pred = np.atleast_2d(np.asarray(pred, dtype=np.float64))
        scale = 1.0 if self.difficulty is None else self.difficulty(pred)
        with np.errstate(invalid="ignore"):  # inf x 0 never happens: difficulties are >= floor
            return np.broadcast_to(self.half_widths[level] * scale, pred.shape)

    def interval(self, pred: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) N x M bounds around ``pred`` at a calibrated ``level``."""
        half = self.widths(pred, level)
        pred = np.atleast_2d(np.asarray(pred, dtype=np.float64))
        return pred - half, pred + half

    def coverage(self, pred: np.ndarray, true: np.ndarray) -> dict[float, float]:
        """Share of (tile, method) pairs whose true accuracy falls in the interval, per level."""
        pred, true = _tables(pred, true)
        covered = {}
        for level in self.levels:
            low, high = self.interval(pred, level)
            covered[level] = float(np.mean((true >= low) & (true <= high)))
        return covered

    def mean_width(self, pred: np.ndarray | None = None) -> dict[float, float]:
        """Interval width averaged over methods (and over the tiles ``pred``, which per-tile
        intervals need), per level: what the coverage costs."""
        if self.difficulty is not None and pred is None:
            raise InputError(None, "per-tile intervals have a width per tile",
                             "pass the tiles' predictions")
        if pred is None:
            return {level: float(2 * np.mean(self.half_widths[level])) for level in self.levels}
        return {level: float(2 * np.mean(self.widths(pred, level))) for level in self.levels}


def _quantiles(sorted_scores: np.ndarray, levels: Sequence[float]) -> dict[float, np.ndarray]:
    n = len(sorted_scores)
    quantiles = {}
    for level in levels:
        if not 0 < level < 1:
            raise InputError(None, f"coverage level {level} is not in (0, 1)",
                             "give levels such as 0.8, 0.9, 0.95")
        rank = math.ceil((n + 1) * level)  # the finite-sample conformal quantile
        quantiles[float(level)] = (sorted_scores[rank - 1] if rank <= n
                                   else np.full(sorted_scores.shape[1], np.inf))
    return quantiles


def _held_out_difficulty(pred: np.ndarray, residuals: np.ndarray, groups: np.ndarray,
                         new_difficulty) -> np.ndarray:
    """Each calibration tile's difficulty from the tiles of the other source images (5 folds);
    ``new_difficulty(features, residuals)`` builds the estimator."""
    from sklearn.model_selection import GroupKFold

    difficulty = np.ones_like(pred)
    for fit, held in GroupKFold(n_splits=min(5, len(set(groups)))).split(pred, groups=groups):
        difficulty[held] = new_difficulty(pred[fit], residuals[fit])(pred[held])
    return difficulty


def _tables(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, true = np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64)
    if pred.ndim == 1 and true.ndim == 1:  # one method
        pred, true = pred[:, None], true[:, None]
    if pred.shape != true.shape or pred.ndim != 2 or len(pred) == 0:
        raise InputError(None, f"predicted {pred.shape} and true {true.shape} accuracies must be "
                         "matching non-empty N x M tables", "pass one row per tile, one column "
                         "per method")
    if not (np.isfinite(pred).all() and np.isfinite(true).all()):
        raise InputError(None, "predicted or true accuracies contain NaN or infinity",
                         "drop tiles without labels before calibrating")
    return pred, true


def save_conformal(directory: str | Path, conformal: SplitConformal, methods: list[str]) -> Path:
    """Store a calibration beside a saved assessor, in its method order: the quantiles and, for
    per-tile intervals, the calibration rows their difficulty is refitted from."""
    path = Path(directory) / CONFORMAL_FILE
    state = {"methods": list(methods), "calibration_size": conformal.calibration_size,
             "half_widths": {str(level): [float(w) for w in widths]
                             for level, widths in conformal.half_widths.items()}}
    if conformal.difficulty is not None:
        state["difficulty"] = conformal.difficulty.to_dict()
    atomic_write_text(path, json.dumps(state))
    return path


def load_conformal(directory: str | Path) -> tuple[SplitConformal, list[str]]:
    """The calibration saved beside an assessor and its method order (OSError, ValueError,
    KeyError or TypeError when it is missing or damaged)."""
    state = json.loads((Path(directory) / CONFORMAL_FILE).read_text())
    stored = {float(k): np.asarray(v, float) for k, v in state["half_widths"].items()}
    difficulty = (TileDifficulty.from_dict(state["difficulty"]) if "difficulty" in state else None)
    order = [str(m) for m in state["methods"]]
    if not stored or any(len(v) != len(order) for v in stored.values()):
        raise ValueError("half-widths do not match the methods")
    return SplitConformal(stored, int(state.get("calibration_size", 0)), difficulty), order


def no_clear_winner(scores: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Per row of K x M predicted accuracies and their intervals' lower bounds: whether the
    runner-up's predicted accuracy lies inside the best method's interval, so that the data do
    not tell the two apart (False where the best one's bound is NaN)."""
    scores, low = np.atleast_2d(scores), np.atleast_2d(low)
    order = np.argsort(-scores, axis=1, kind="stable")
    rows = np.arange(len(scores))
    return scores[rows, order[:, 1]] >= low[rows, order[:, 0]]


# -- reading the calibration back: where the page, the scenes and the command line get intervals --

@dataclass(frozen=True)
class Intervals:
    """A calibration at one coverage level, for the pool's methods in their order."""

    level: float
    methods: list[str]
    calibration: SplitConformal

    @property
    def calibration_size(self) -> int:
        return self.calibration.calibration_size

    @property
    def per_tile(self) -> bool:
        return self.calibration.per_tile

    def half_widths(self, scores: np.ndarray) -> np.ndarray:
        """N x M half-widths of tiles with N x M predicted accuracies (inf: the level was
        unattainable with so few calibration tiles)."""
        return self.calibration.widths(scores, self.level)

    def bounds(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) N x M around ``scores``, clipped to [0, 1]; NaN where unattainable."""
        scores = np.atleast_2d(np.asarray(scores, np.float64))
        half = self.half_widths(scores)
        low, high = np.maximum(0.0, scores - half), np.minimum(1.0, scores + half)
        unknown = ~np.isfinite(half)
        return np.where(unknown, np.nan, low), np.where(unknown, np.nan, high)

    def row_bounds(self, scores: np.ndarray) -> dict[str, tuple[float, float] | None]:
        """method -> (low, high) for one row of M predicted accuracies (None: unattainable)."""
        low, high = self.bounds(scores)
        return {m: None if np.isnan(lo) else (float(lo), float(hi))
                for m, lo, hi in zip(self.methods, low[0], high[0])}


def load_intervals(directory: str | Path, methods: list[str],
                   level: float) -> tuple[Intervals | None, str]:
    """The calibration at ``level`` (or the nearest stored level) and a sentence for the page;
    (None, why) when the directory has none or it does not match the pool."""
    path = Path(directory) / CONFORMAL_FILE
    if not path.is_file():
        return None, (f"no conformal calibration ({CONFORMAL_FILE}) in the assessor directory: "
                      "scores are shown without intervals")
    try:
        calibration, order = load_conformal(directory)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return None, (f"{path} could not be read ({type(error).__name__}): scores are shown "
                      f"without intervals; {retrain_hint(directory)} to restore them")
    if sorted(order) != sorted(methods):
        return None, (f"{CONFORMAL_FILE} was calibrated for methods {order}, not this pool's "
                      f"{methods}: scores are shown without intervals")
    if order != list(methods):  # the pool's order is the one every score row comes in
        calibration = _reordered(calibration, [order.index(m) for m in methods])
    chosen = min(calibration.levels, key=lambda stored_level: abs(stored_level - level))
    size = calibration.calibration_size
    kind = ("per tile (wider where tiles like it were assessed worse)" if calibration.per_tile
            else "per method")
    return (Intervals(chosen, list(methods), calibration),
            f"{chosen:.0%} conformal intervals {kind}, calibrated on {size} tiles of held-out "
            "source images (coverage holds over tiles, not for every single image)")


def _reordered(calibration: SplitConformal, columns: list[int]) -> SplitConformal:
    difficulty = calibration.difficulty
    if difficulty is not None:
        difficulty = TileDifficulty(difficulty.features[:, columns], difficulty.residuals[:, columns],
                                    difficulty.k)
    return SplitConformal({level: widths[columns] for level, widths in calibration.half_widths.items()},
                          calibration.calibration_size, difficulty)
