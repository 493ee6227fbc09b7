import numpy as np
import pandas as pd

from rssqa.benchmark.config import RunSpec
from rssqa.benchmark.runner import RunResult
from rssqa.benchmark.statistics import (formatted, losses_of_reference, metric_table,
                                        paired_tests, table_metrics)
from rssqa.metrics import plcc, precision_at_1, rmse, srocc


def _result(label, test):
    return RunResult(RunSpec(label, "x"), list(range(len(test))), np.asarray(test),
                     np.asarray(test), [1.0] * len(test), [0.001] * len(test))


def _data(seed=0, n=40, m=3):
    rng = np.random.default_rng(seed)
    true = rng.uniform(0.5, 0.95, (n, m))
    good = np.stack([true + rng.normal(0, 0.02, true.shape) for _ in range(3)])
    bad = np.stack([true + rng.normal(0, 0.2, true.shape) for _ in range(3)])
    return true, good, bad


def test_table_metrics_equal_the_metrics_they_name_averaged_over_seeds_and_methods():
    true, good, _ = _data()
    table = metric_table([_result("good", good)], true, table_metrics(3), n_boot=30)
    expected_plcc = np.mean([[plcc(good[s][:, j], true[:, j]) for j in range(3)] for s in range(3)])
    expected_rmse = np.mean([[rmse(good[s][:, j], true[:, j]) for j in range(3)] for s in range(3)])
    assert np.isclose(table.loc["good", "PLCC"], expected_plcc)
    assert np.isclose(table.loc["good", "RMSE"], expected_rmse)
    per_seed_p1 = [precision_at_1(good[s], true) for s in range(3)]
    assert np.isclose(table.loc["good", "P@1 sd"], np.std(per_seed_p1))
    assert table.loc["good", "seeds"] == 3
    # Percentile intervals need not contain the estimate (resampled ties bias SROCC down).
    assert 0.9 < table.loc["good", "SROCC low"] < table.loc["good", "SROCC high"] <= 1


def test_paired_test_finds_the_better_predictor_and_losses_are_listed():
    true, good, bad = _data(1)
    metrics = {"SROCC": lambda p, t: float(np.mean([srocc(p[:, j], t[:, j]) for j in range(3)]))}
    paired = paired_tests(_result("good", good), [_result("bad", bad)], true, metrics, n_boot=100)
    row = paired.loc[("bad", "SROCC")]
    assert row["difference"] > 0 and row["low"] > 0 and row["p"] < 0.05

    table = metric_table([_result("bad", bad), _result("good", good)], true, table_metrics(3), 20)
    losses = losses_of_reference(table, "bad", ["SROCC", "RMSE"])
    assert ("SROCC", "good") in losses and ("RMSE", "good") in losses  # lower RMSE is better
    cells = formatted(table, ["SROCC"])
    assert cells.loc["good", "SROCC"].count("[") == 1 and "±" in cells.loc["good", "SROCC"]
    assert isinstance(cells, pd.DataFrame)
