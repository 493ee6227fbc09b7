"""Cross-fitting over source images: every training tile predicted by a model that never saw its
image, the only honest way to choose settings, weights or a margin on the training split alone.
Tiles of one source image share ground and light, so they are held out together."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.errors import InputError

Folds = list[tuple[np.ndarray, np.ndarray]]


def source_units(train: AssessmentInputs) -> list[str]:
    """What is held out together: the source image, else the group, else the tile."""
    return list(train.sources or train.groups or train.tile_ids)


def source_folds(train: AssessmentInputs, folds: int) -> Folds:
    """(fit, held-out) tile indices of up to ``folds`` folds of whole source images."""
    units = source_units(train)
    if len(set(units)) < 2:
        raise InputError(None, "the training split comes from one source image, so nothing can be "
                         "chosen on held-out images", "build the SQED from more images")
    from sklearn.model_selection import GroupKFold  # here: scikit-learn is slow to import

    splitter = GroupKFold(n_splits=min(folds, len(set(units))))
    return list(splitter.split(np.zeros(len(units)), groups=units))


def held_out_predictions(new_assessor: Callable[[], Assessor], train: AssessmentInputs,
                         folds: Folds) -> np.ndarray:
    """N x M predictions, each fold's by a fresh assessor fitted on the other folds."""
    held_out = np.zeros((len(train), len(train.methods)))
    for fit_index, predict_index in folds:
        assessor = new_assessor().fit(train.subset(fit_index))
        held_out[predict_index] = assessor.predict(train.subset(predict_index))
    return held_out
