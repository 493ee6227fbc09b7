"""Would more labelled images help? A learning curve on an experiment's own SQED store.

For each size n, a few random draws of n source images from the train split (whole images, as a
user labels them) each train an assessor as ``rssqa train`` does, on those images alone; its picks
on the untouched test split are scored against the single best method *of those n images* (the
SBS the user could know) and the per-tile oracle: gap closed, regret, accuracy gained over that
SBS, the mean per-method SROCC and, for assessors with conformal intervals, their 90 % coverage and
mean width. At the full split the draws differ by the assessor's seed only. The spread over draws
is the point: with few images it is the risk a user runs. Nothing here chooses a setting: the test
split is only scored.

Each finished draw is recorded (``<work>/<label>-<size>-<draw>.json``, keyed by the store build,
the target, the assessor and its settings, and the images drawn) until the tables are written, so
an interrupted curve resumes where it stopped. A file there that is not such a record (damaged,
or somebody else's) is never replaced or removed: that draw is simply trained again.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rssqa.assess.base import AssessmentInputs
from rssqa.assess.registry import create_assessor, seeded_kwargs
from rssqa.assess.selectors.safe import TIE, mean_srocc
from rssqa.cache import KEY, fingerprint, own_record, write_record
from rssqa.metrics import gap_closed, single_best
from rssqa.metrics.selection import column_oa, picks_oa, regret
from rssqa.report.interval_coverage import interval_coverage

if TYPE_CHECKING:
    import pandas as pd

LEVEL = 0.9  # the coverage level reported
MEASURES = ("gap closed", "regret", "gain over SBS", "SROCC", "coverage 90%", "width 90%")
# On the Dubai eight-method store the default learnt picks of its own from about 16 labelled
# SQED images (README, BENCHMARKS "How many labelled images?"); below it, it mostly kept the SBS.
ENOUGH_IMAGES = 16
RECORD_KIND = "rssqa: a finished draw of an unfinished learning curve"


@dataclass(frozen=True)
class Draw:
    """One point of the curve: ``size`` source images drawn with seed ``index`` (also the
    assessor's seed)."""

    size: int
    index: int
    sources: tuple[str, ...]


def plan_draws(sources: Iterable[str], sizes: Iterable[int], draws: int,
               draws_at_full: int | None = None) -> list[Draw]:
    """``draws`` draws of each size (sizes above the number of images mean all of them); at the
    full split ``draws_at_full`` (default ``draws``), which differ by the seed alone."""
    unique = sorted(set(sources))
    sizes = sorted({min(int(size), len(unique)) for size in sizes})
    plan = []
    for size in sizes:
        full = size == len(unique)
        count = draws_at_full if full and draws_at_full is not None else draws
        for index in range(count):
            chosen = unique if full else sorted(
                np.random.default_rng(index).choice(unique, size=size, replace=False))
            plan.append(Draw(size, index, tuple(str(s) for s in chosen)))
    return plan


def score_draw(name: str, kwargs: dict[str, Any], train: AssessmentInputs,
               test: AssessmentInputs, draw: Draw) -> dict[str, Any]:
    """Train assessor ``name`` on the draw's images and score it on the test split."""
    rows = np.flatnonzero(np.isin(train.sources, draw.sources))
    labelled = train.subset(rows)
    began = time.perf_counter()
    assessor = create_assessor(name, **seeded_kwargs(name, kwargs, draw.index)).fit(labelled)
    predictions = assessor.predict(test)
    scores = np.asarray(assessor.selection_scores(predictions), dtype=np.float64)
    sbs = single_best(labelled.targets)
    conformal = getattr(assessor, "conformal", None)
    row = {"images": draw.size, "draw": draw.index, "tiles": len(rows), "sbs": test.methods[sbs],
           "base": getattr(assessor, "chosen", name),
           "gap closed": gap_closed(scores, test.targets, sbs),
           "regret": regret(scores, test.targets),
           "gain over SBS": picks_oa(scores, test.targets) - column_oa(test.targets, sbs),
           "SROCC": mean_srocc(predictions, test.targets),
           "coverage 90%": np.nan, "width 90%": np.nan}
    if conformal is not None:
        at = interval_coverage(conformal, predictions, test.targets, test.sources).set_index(
            "level").loc[LEVEL]
        row["coverage 90%"], row["width 90%"] = float(at["coverage"]), float(at["mean_width"])
    return {**row, "seconds": time.perf_counter() - began}


def learning_curve(train: AssessmentInputs, test: AssessmentInputs,
                   assessors: dict[str, tuple[str, dict[str, Any]]], plan: list[Draw],
                   work: Path | None = None, context: dict[str, Any] | None = None,
                   on_draw: Callable[[dict[str, Any]], None] | None = None) -> pd.DataFrame:
    """One row per assessor (``label -> (name, kwargs)``) and draw of ``plan``. With ``work``, a
    draw recorded there under the same key (``context``: what else the results depend on, such
    as the store build and the target) is taken from its record, and each new one that fitted
    is recorded as it finishes. A draw an assessor cannot be fitted on (too few images) is a row
    with its error, not recorded. ``on_draw`` is called with each row."""
    import pandas as pd  # here: the experiment's other commands never need it at start-up

    rows, resumed = [], 0
    for draw in plan:
        for label, (name, kwargs) in assessors.items():
            key = fingerprint({**(context or {}), "assessor": name, "kwargs": kwargs,
                               "sources": draw.sources, "seed": draw.index})
            path = None if work is None else record_path(work, label, draw)
            record = None if path is None else own_record(path, RECORD_KIND)
            row = _row_for(record, key)
            resumed += row is not None
            if row is None:
                try:
                    row = score_draw(name, kwargs, train, test, draw)
                except Exception as error:  # noqa: BLE001 - a size too small to fit is a result
                    row = {"images": draw.size, "draw": draw.index,  # tried again on a rerun
                           "error": f"{type(error).__name__}: {error}"}
                else:
                    if path is not None and (record is not None or not path.exists()):
                        write_record(path, key, kind=RECORD_KIND, row=row)
            rows.append({"assessor": label, **row})
            if on_draw is not None:
                on_draw(rows[-1])
    frame = pd.DataFrame(rows)
    frame.attrs["resumed"] = resumed
    return frame


def record_path(work: Path, label: str, draw: Draw) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    return Path(work) / f"{slug}-{draw.size}-{draw.index}.json"


def _row_for(record: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """The draw's row from its record, if that was written for ``key`` and is whole."""
    if record is None or record.get(KEY) != key:
        return None
    row = record.get("row")
    return row if isinstance(row, dict) and "images" in row else None


def remove_records(work: Path) -> None:
    """The draws' records (the curve's tables are written), and ``work`` if that empties it."""
    for path in Path(work).glob("*.json"):
        if own_record(path, RECORD_KIND) is not None:
            path.unlink()
    with contextlib.suppress(OSError):
        Path(work).rmdir()


def fitted_draws(draws: pd.DataFrame) -> pd.DataFrame:
    """The draws that fitted (gap closed is NaN, not an error, where a store has no gap)."""
    return draws[draws["error"].isna()] if "error" in draws else draws


def failed_draws(draws: pd.DataFrame) -> pd.DataFrame:
    """The draws an assessor could not be fitted on, with their errors."""
    return draws[draws["error"].notna()] if "error" in draws else draws[:0]


def summary_table(draws: pd.DataFrame) -> pd.DataFrame:
    """Per assessor and size: each measure as mean ± sd (min) over draws, the draws, how many
    lost accuracy to their SBS, the mean tiles, and the bases a safe selector chose."""
    import pandas as pd

    grouped = fitted_draws(draws).groupby(["assessor", "images"], sort=False)
    table = grouped[list(MEASURES)].agg(["mean", "std", "min"])
    cells = pd.DataFrame(index=table.index)
    for measure in MEASURES:
        mean, sd, low = (table[(measure, s)] for s in ("mean", "std", "min"))
        cells[measure] = ["–" if np.isnan(m) else f"{m:.3f} ± {0 if np.isnan(s) else s:.3f} (min {lo:.3f})"
                          for m, s, lo in zip(mean, sd, low)]
    cells["draws"] = grouped.size()
    cells["lost to SBS"] = grouped["gain over SBS"].apply(lambda g: int((g < 0).sum()))
    cells["tiles (mean)"] = grouped["tiles"].mean().round().astype(int)
    cells["bases chosen"] = grouped["base"].apply(lambda b: ", ".join(
        f"{name} {count}" for name, count in b.value_counts().items()))
    return cells.reset_index()


def verdict(draws: pd.DataFrame, label: str) -> str:
    """Whether ``label``'s curve still rises at its last step, in one sentence.

    Each of the mean gap closed and the mean SROCC over draws is rising (or falling) from the
    next smaller size to the largest when it moves by more than the larger of 0.02 (the
    selector's tie) and its spread (sd) over the smaller size's draws. The curve is still rising
    when either is: more labelled images are likely to help; flat otherwise.
    """
    fitted = fitted_draws(draws)
    fitted = fitted[fitted["assessor"] == label]
    sizes = sorted(fitted["images"].unique())
    if len(sizes) < 2:
        return f"{label}: fewer than two sizes fitted, so no trend to read"
    small, large = (fitted[fitted["images"] == size] for size in sizes[-2:])
    steps, rising = [], False
    for measure in ("gap closed", "SROCC"):
        before, after = small[measure].mean(), large[measure].mean()
        if np.isnan(before) or np.isnan(after):
            continue
        spread = small[measure].std()
        threshold = max(TIE, 0.0 if np.isnan(spread) else spread)
        rising |= after - before > threshold
        trend = ("rising" if after - before > threshold else
                 "falling" if before - after > threshold else "flat")
        steps.append(f"{measure} {before:.2f} -> {after:.2f} ({trend})")
    if not steps:
        return f"{label}: no measure could be read at both of the largest sizes"
    trend = ("still rising: more labelled images are likely to help" if rising else
             "flat within the spread over draws: more images like these are unlikely to help much")
    return f"{label}, from {sizes[-2]} to {sizes[-1]} labelled images: {', '.join(steps)}; {trend}"
