"""One upload's answer as JSON: the scores a script needs, and (optionally) the pictures the page
shows. The same dictionary backs ``POST /api/assess`` (typed by ``rssqa.serve.schema``), the page
and the page's JSON download; the sentences in it are the page's, so a script shows the same."""

from __future__ import annotations

import numpy as np

from rssqa.raster.grid import TileGrid
from rssqa.recommend import ImageAssessment
from rssqa.serve.engine import Experiment
from rssqa.serve.rendering import heatmap, mask_uri, photo_uri

# What the bars' whiskers are, beyond the calibration's own note.
INTERVAL_MEANING = ("per tile: a tile's true accuracy lies inside its method's interval at the "
                    "stated rate; an image's interval is as wide as its tiles' are on average")


def assessment_payload(experiment: Experiment, result: ImageAssessment, pixels: np.ndarray,
                       seconds: float, images: bool = True, downloads: list[dict] | None = None
                       ) -> dict:
    """``downloads``: the georeferenced files written for a GeoTIFF upload (None for others)."""
    height, width = pixels.shape[:2]
    summary = result.summary()
    payload = {
        "image": result.name, "width": int(width), "height": int(height),
        "tiles": len(result.tile_scores), "tile_size": experiment.tile_size,
        "assessor": experiment.assessor_name, "accuracy": experiment.recommender.target,
        "methods": _method_rows(result),
        "recommended": result.recommended, "default": result.default,
        "kept_default": result.kept_default, "predicted_gain": result.predicted_gain,
        "margin": summary["margin"], "never_leaves_default": summary["never_leaves_default"],
        "no_clear_winner": summary["no_clear_winner"], "decision": decision_words(result),
        "interval_level": result.interval_level,
        "interval_note": (f"{experiment.interval_note}; {INTERVAL_MEANING}" if result.intervals
                          else experiment.interval_note),
        "tile_scores": _tile_rows(result, pixels.shape[:2]),
        "seconds": round(seconds, 3),
        "classes": [{"name": n, "colour": c} for n, c in
                    zip(experiment.classmap.names, experiment.classmap.colours)],
        "downloads": downloads,
    }
    if images:
        payload["images"] = _pictures(experiment, result, pixels)
    return payload


def _bounds(result: ImageAssessment, method: str) -> tuple[float, float] | None:
    return (result.intervals or {}).get(method)


def _method_rows(result: ImageAssessment) -> list[dict]:
    """Methods best first, each with its predicted accuracy, rank and interval (or null)."""
    rows = []
    for rank, index in enumerate(np.argsort(-result.scores, kind="stable"), start=1):
        method, bounds = result.methods[index], _bounds(result, result.methods[index])
        rows.append({"method": method, "predicted_oa": float(result.scores[index]), "rank": rank,
                     "interval": [float(b) for b in bounds] if bounds else None,
                     "recommended": method == result.recommended,
                     "default": method == result.default})
    return rows


def assessed_grid(result: ImageAssessment) -> TileGrid:
    """The grid the recommender assessed the image on: where its tiles and cells lie."""
    if result.grid is None or len(result.grid) != len(result.tile_scores):
        raise ValueError(f"the assessment of {result.name} does not say which grid its "
                         f"{len(result.tile_scores)} tiles lie on")
    return result.grid


def _tile_rows(result: ImageAssessment, shape: tuple[int, int]) -> list[dict]:
    """Per tile, in the recommender's order: where the tile lies, the cell its score stands for
    (cut at the image's edge) and every method's score."""
    grid, (height, width) = assessed_grid(result), shape
    rows = []
    for index, ((y, x), scores) in enumerate(zip(grid.tile_origins(), result.tile_scores)):
        row, col = grid.position(index)
        left, top, right, bottom = grid.cell_bounds(row, col)
        rows.append({"x": int(x), "y": int(y), "row": row, "col": col,
                     "cell": [min(left, width), min(top, height), min(right, width),
                              min(bottom, height)],
                     "predicted_oa": {m: float(s) for m, s in zip(result.methods, scores)}})
    return rows


def points(value: float) -> str:
    return f"{100 * value:.1f}"


def decision_words(result: ImageAssessment) -> str:
    """Why this method: the safe default's rule with its margin, then whether the top two can be
    told apart at all."""
    return _default_words(result) + _winner_words(result)


def _default_words(result: ImageAssessment) -> str:
    picked, default = result.recommended, result.default
    if default is None:
        return f"{picked} has the highest predicted accuracy"
    gain = f"{'+' if result.predicted_gain >= 0 else ''}{points(result.predicted_gain)} points"
    summary = result.summary()
    if summary["never_leaves_default"]:
        return (f"safe default {default} kept: this selector never replaces it (in cross-fitting "
                f"no margin made switching pay off); the best predicted gain is {gain}")
    margin = f"{points(summary['margin'])} points" if summary["margin"] is not None else "none"
    if result.kept_default:
        return (f"safe default {default} kept: the best predicted gain, {gain}, is below the "
                f"margin of {margin} another method must clear to replace it")
    return (f"{picked} replaces the safe default {default}: its predicted gain, {gain}, clears "
            f"the margin of {margin}")


def _winner_words(result: ImageAssessment) -> str:
    if not result.no_clear_winner:
        return ""
    best, second = (result.methods[i] for i in np.argsort(-result.scores, kind="stable")[:2])
    low, high = _bounds(result, best)
    score = float(result.scores[result.methods.index(second)])
    level = f"{result.interval_level:.0%} " if result.interval_level else ""
    return (f". No clear winner: {second}'s {points(score)}% lies inside {best}'s {level}"
            f"interval ({points(low)}–{points(high)}%), so the data do not tell the two apart")


def _pictures(experiment: Experiment, result: ImageAssessment, pixels: np.ndarray) -> dict:
    classmap = experiment.classmap
    masks = result.method_labels or {result.recommended: result.labels}
    pictures = {"photo": photo_uri(pixels),
                "masks": {method: mask_uri(labels, classmap) for method, labels in masks.items()},
                "heatmap": None}
    if len(result.tile_scores) > 1:
        column = result.methods.index(result.recommended)
        maps = heatmap(result.tile_scores[:, column], assessed_grid(result), pixels.shape[:2])
        pictures["heatmap"] = {"method": result.recommended, **maps}
    return pictures
