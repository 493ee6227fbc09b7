"""LightGBM settings shared by the tree-based assessors (the black-box regressor, the pairwise
selector's judges): row and feature bagging with L2 shrinkage against the few hundred tiles a
SQED train split holds, and deterministic, single-process training so a seed fixes the model."""

from __future__ import annotations


def lightgbm_params(objective: str, *, learning_rate: float, leaves: int, min_leaf: int, seed: int,
                    threads: int = 1) -> dict:
    return {"objective": objective, "learning_rate": learning_rate, "num_leaves": leaves,
            "min_data_in_leaf": min_leaf, "feature_fraction": 0.8, "bagging_fraction": 0.8,
            "bagging_freq": 1, "lambda_l2": 1.0, "seed": seed, "deterministic": True,
            "num_threads": threads, "verbose": -1}
