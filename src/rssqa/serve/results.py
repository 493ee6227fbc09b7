"""One upload's answer as JSON: the scores a script needs, and (optionally) the pictures the page
shows. The same dictionary backs ``POST /api/assess``, the page and the page's JSON download."""

from __future__ import annotations

import numpy as np

from rssqa.recommend import ImageAssessment
from rssqa.serve.engine import Experiment
from rssqa.serve.rendering import heatmap, mask_uri, photo_uri


def assessment_payload(experiment: Experiment, result: ImageAssessment, pixels: np.ndarray,
                       seconds: float, images: bool = True) -> dict:
    height, width = pixels.shape[:2]
    payload = {
        "image": result.name, "width": int(width), "height": int(height),
        "tiles": int(len(result.tile_scores)), "tile_size": experiment.tile_size,
        "assessor": experiment.assessor_name, "methods": _method_rows(experiment, result),
        "recommended": result.recommended, "default": result.default,
        "kept_default": result.kept_default, "predicted_gain": result.predicted_gain,
        "interval_level": experiment.intervals.level if experiment.intervals else None,
        "interval_note": experiment.interval_note, "seconds": round(seconds, 3),
        "classes": [{"name": n, "colour": c} for n, c in
                    zip(experiment.classmap.names, experiment.classmap.colours)],
    }
    if images:
        payload["images"] = _pictures(experiment, result, pixels)
    return payload


def _method_rows(experiment: Experiment, result: ImageAssessment) -> list[dict]:
    """Methods best first, each with its predicted accuracy, rank and interval (or null)."""
    rows = []
    for rank, index in enumerate(np.argsort(-result.scores, kind="stable"), start=1):
        method, score = result.methods[index], float(result.scores[index])
        bounds = experiment.intervals.bounds(method, score) if experiment.intervals else None
        rows.append({"method": method, "predicted_oa": score, "rank": rank,
                     "interval": list(bounds) if bounds else None,
                     "recommended": method == result.recommended,
                     "default": method == result.default})
    return rows


def _pictures(experiment: Experiment, result: ImageAssessment, pixels: np.ndarray) -> dict:
    classmap = experiment.classmap
    masks = result.method_labels or {result.recommended: result.labels}
    pictures = {"photo": photo_uri(pixels),
                "masks": {method: mask_uri(labels, classmap) for method, labels in masks.items()},
                "heatmap": None}
    if len(result.tile_scores) > 1:
        column = result.methods.index(result.recommended)
        uri, legend = heatmap(result.tile_scores[:, column], pixels.shape[:2], experiment.tile_size)
        pictures["heatmap"] = {"uri": uri, "method": result.recommended, **legend}
    return pictures
