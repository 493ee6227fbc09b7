"""Checks every assessor makes on its inputs, so all of them fail the same, helpful way."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rssqa.assess.base import AssessmentInputs
from rssqa.errors import CheckpointError, InputError


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
