"""Checks every assessor makes on its inputs, so all of them fail the same, helpful way."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rssqa.assess.base import AssessmentInputs
from rssqa.errors import CheckpointError, InputError
from rssqa.signals import PoolSignals


def require_targets(train: AssessmentInputs) -> np.ndarray:
    """The N x M true OA of a training set, checked for shape and range."""
    if train.targets is None:
        raise InputError(None, "the training inputs carry no targets (true overall accuracy)",
                         "fit on the labelled train split of a SQED store")
    targets = np.asarray(train.targets, dtype=np.float64)
    expected = (len(train), len(train.methods))
    if targets.shape != expected:
        raise InputError(None, f"targets have shape {targets.shape}, expected {expected} "
                         "(tiles x methods)", "rebuild the inputs from the SQED store")
    if len(train) == 0:
        raise InputError(None, "the training inputs hold no tiles", "check the split you fit on")
    if not np.isfinite(targets).all():
        raise InputError(None, "targets contain NaN or infinite values",
                         "drop tiles without labels before fitting")
    return targets


def require_methods(known: Iterable[str], requested: Iterable[str],
                    source: Path | None = None) -> None:
    """Raise unless every requested method is one the assessor was fitted for."""
    known = list(known)
    if not known:
        raise InputError(source, "the assessor is not fitted",
                         "call fit() first, or load a saved one")
    missing = [m for m in requested if m not in known]
    if missing:
        raise CheckpointError(source, f"the assessor has no model for method(s) "
                              f"{', '.join(missing)}; it was fitted for {', '.join(known)}",
                              "fit an assessor on a SQED store that includes these methods")


def require_signals(inputs: AssessmentInputs, source: Path | None = None) -> PoolSignals:
    """The inputs' pool signals, in the inputs' method order."""
    signals = inputs.signals
    if signals is None:
        raise InputError(source, "these inputs carry no pool signals (agreement between methods, "
                         "confidence histograms)", "rebuild the SQED store with this rssqa version "
                         "(`rssqa build -c CONFIG` resumes and keeps the trained pool)")
    if list(signals.methods) != list(inputs.methods):
        raise InputError(source, f"the pool signals cover {', '.join(signals.methods)} but the "
                         f"inputs name {', '.join(inputs.methods)}",
                         "assess the same pool the signals were computed for")
    return signals


def require_same_methods(known: list[str], requested: list[str], source: Path | None = None) -> None:
    """Raise unless the inputs hold exactly the fitted methods, in the same order: a cross-method
    selector reads every method of a tile at once (agreement with the others, relative signals)."""
    require_methods(known, requested, source)
    if list(known) != list(requested):
        raise CheckpointError(source, f"the selector was fitted on the pool {', '.join(known)}, "
                              f"these inputs hold {', '.join(requested)}",
                              "assess the same pool, in the same order, or refit the selector")
