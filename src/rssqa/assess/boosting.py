"""LightGBM settings shared by the tree-based assessors (the black-box regressor, the pairwise
selector's judges): row and feature bagging with L2 shrinkage against the few hundred tiles a
SQED train split holds, and deterministic, single-process training so a seed fixes the model.

LightGBM is imported only when a booster is trained or loaded: it brings scikit-learn with it,
about a second of start-up that opening an experiment with another assessor should not pay."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import lightgbm


def lightgbm_params(objective: str, *, learning_rate: float, leaves: int, min_leaf: int, seed: int,
                    threads: int = 1) -> dict:
    return {"objective": objective, "learning_rate": learning_rate, "num_leaves": leaves,
            "min_data_in_leaf": min_leaf, "feature_fraction": 0.8, "bagging_fraction": 0.8,
            "bagging_freq": 1, "lambda_l2": 1.0, "seed": seed, "deterministic": True,
            "num_threads": threads, "verbose": -1}


def train_booster(params: dict, rows: np.ndarray, targets: np.ndarray, rounds: int, *,
                  weight: np.ndarray | None = None,
                  categorical: list[int] | None = None) -> lightgbm.Booster:
    import lightgbm

    data = lightgbm.Dataset(rows, targets, weight=weight,
                            categorical_feature=categorical if categorical else "auto")
    return lightgbm.train(params, data, num_boost_round=rounds)


def load_booster(path: str | Path) -> lightgbm.Booster:
    """A booster saved with ``save_model`` (text, never pickled)."""
    import lightgbm

    return lightgbm.Booster(model_file=str(path))
