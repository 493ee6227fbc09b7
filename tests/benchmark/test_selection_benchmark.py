"""The benchmark's selection measures: computed on the assessor's selection scores, per tile and
per source image, in the report, and never served from a cache that lacks them."""

import numpy as np
import pandas as pd
import pytest
import yaml

from rssqa.benchmark.command import run_benchmark
from rssqa.benchmark.config import BenchmarkConfig, RunSpec
from rssqa.benchmark.runner import RunResult, run_spec
from rssqa.benchmark.statistics import (metric_table, paired_tests, per_image_results,
                                        selection_table, table_metrics)
from rssqa.metrics import one_hot, precision_at_1


def _result(label, test, selection=None):
    test = np.asarray(test)
    return RunResult(RunSpec(label, "x"), list(range(len(test))), test, test, [1.0] * len(test),
                     [0.001] * len(test), None if selection is None else np.asarray(selection))


def _true(n=60, m=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 0.95, (n, m))


def test_oracle_closes_the_gap_and_always_sbs_closes_nothing():
    true = _true()
    sbs = 1
    noise = np.random.default_rng(1).normal(0, 0.5, (2, *true.shape))
    oracle = _result("oracle", true[None] + noise, selection=np.stack([true, true]))
    always = _result("always SBS", true[None] + noise[:1],
                     selection=one_hot(len(true), 3, sbs)[None])
    table = selection_table([oracle, always], true, sbs, n_boot=50)
    assert table.loc["oracle", "regret"] == 0 and table.loc["oracle", "regret sd"] == 0
    assert table.loc["oracle", "gap closed"] == pytest.approx(1)
    assert table.loc["oracle", "p vs SBS"] < 0.05 and table.loc["oracle", "OA(picks) - OA(SBS)"] > 0
    assert table.loc["always SBS", "gap closed"] == 0 and table.loc["always SBS", "p vs SBS"] == 1
    assert table.loc["always SBS", "OA of picks"] == pytest.approx(true[:, sbs].mean())
    for name in ("OA of picks", "gap closed vs hindsight SBS"):
        assert (table[f"{name} low"] <= table[f"{name} high"]).all()


def test_p_at_1_scores_the_selection_scores_not_the_predictions():
    true = _true(seed=2)
    wrong = -true[None]  # predictions that rank every tile backwards
    run = _result("selector", wrong, selection=true[None])
    table = metric_table([run], true, table_metrics(3), n_boot=20)
    assert table.loc["selector", "P@1"] == 1
    assert table.loc["selector", "SROCC"] < 0  # the correlations still read the predictions
    plain = _result("plain", wrong)  # without selection scores the predictions are the picks
    assert metric_table([plain], true, {"P@1": precision_at_1}, n_boot=5).loc["plain", "P@1"] == 0
    paired = paired_tests(run, [plain], true, {"P@1": precision_at_1}, n_boot=20)
    assert paired.loc[("plain", "P@1"), "difference"] == 1


def test_per_image_results_average_each_source_images_tiles():
    true = np.array([[0.9, 0.5], [0.5, 0.7], [0.6, 0.6], [0.8, 0.4]])
    picks = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    runs, image_true = per_image_results([_result("r", picks[None], picks[None])], true,
                                         ["a", "b", "a", "b"])
    np.testing.assert_allclose(image_true, [[0.75, 0.55], [0.65, 0.55]])
    np.testing.assert_allclose(runs[0].selection[0], [[0.5, 0.5], [0.0, 1.0]])
    table = selection_table(runs, image_true, sbs=0, n_boot=10)
    # Image a ties -> column 0 (0.75); image b picks column 1 (0.55): 0.65. Column 0 is best on
    # both images, so the SBS is the oracle (0.70) and no gap is left to close.
    assert table.loc["r", "OA of picks"] == pytest.approx(0.65)
    assert table.loc["r", "regret"] == pytest.approx(0.05)
    assert np.isnan(table.loc["r", "gap closed"])


def test_old_prediction_cache_without_selection_scores_is_recomputed(tmp_path, benchmark_data):
    spec = RunSpec("Prior", "prior")
    first = run_spec(spec, benchmark_data, [0], tmp_path, verbose=False)
    assert first.selection.shape == first.test.shape
    path = next(tmp_path.glob("prior-seed0.npz"))
    with np.load(path) as saved:
        old = {key: saved[key] for key in saved.files
               if key not in ("selection", "calibration_selection")}
    np.savez(path, **old)  # as an earlier version wrote it
    before = path.stat().st_mtime_ns
    again = run_spec(spec, benchmark_data, [0], tmp_path, verbose=False)
    assert path.stat().st_mtime_ns != before
    with np.load(path) as saved:
        assert {"selection", "calibration_selection"} <= set(saved.files)
    np.testing.assert_allclose(again.selection, first.selection)
    stamp = path.stat().st_mtime_ns
    run_spec(spec, benchmark_data, [0], tmp_path, verbose=False)  # complete now: served from cache
    assert path.stat().st_mtime_ns == stamp


def test_report_holds_the_selection_tables_and_references(tmp_path, benchmark_data, one_thread):
    values = {"store": str(tmp_path / "unused"), "output": str(tmp_path / "bench"), "seeds": [0],
              "n_boot": 20, "reference": "Prior", "verbose": False,
              "assessors": [{"label": "Prior", "name": "prior"},
                            {"label": "Confidence", "name": "confidence-maxprob"}],
              "cost": {"encoder": {"name": "efficientnet-lite0", "kwargs": {"input_size": 32}}}}
    path = tmp_path / "benchmark.yaml"
    path.write_text(yaml.safe_dump(values))
    config = BenchmarkConfig.from_yaml(path)
    page = run_benchmark(config, benchmark_data).read_text()
    markdown = (config.output / "report.md").read_text()
    for text in (page, markdown):
        assert "Following the recommendations" in text and "gap closed vs hindsight SBS" in text
        assert "Per whole source image" in text and "VBS (per-tile oracle)" in text
    assert page.index("Table 4") < page.index("Following the recommendations") < page.index("Paired")

    fit_and_calibration = np.concatenate([benchmark_data.fit.targets,
                                          benchmark_data.calibration.targets])
    sbs = benchmark_data.test.methods[int(np.argmax(fit_and_calibration.mean(axis=0)))]
    assert f"SBS = {sbs}" in page
    tiles = pd.read_csv(config.output / "tables" / "selection.csv", index_col="assessor")
    images = pd.read_csv(config.output / "tables" / "selection_images.csv", index_col="assessor")
    # The prior predicts the fit tiles' means: it always picks the method best on the fit tiles.
    prior_pick = int(np.argmax(benchmark_data.fit.targets.mean(axis=0)))
    test_true = benchmark_data.test.targets
    assert tiles.loc["Prior", "OA of picks"] == pytest.approx(test_true[:, prior_pick].mean())
    assert tiles.loc["Prior", "regret"] == pytest.approx(
        test_true.max(axis=1).mean() - test_true[:, prior_pick].mean())
    assert (tiles["regret"] >= 0).all() and (images["regret"] >= 0).all()
    assert len(images) == 2 and set(images.index) == {"Prior", "Confidence"}


def test_selector_with_an_infinite_default_score_gets_p_at_k_and_selection_rows():
    true = _true(seed=4)
    safe = true[None].copy()
    safe[..., 0] = np.inf  # always the default, column 0
    run = _result("safe", true[None], selection=safe)
    table = metric_table([run], true, table_metrics(3), n_boot=10)
    assert table.loc["safe", "P@1"] == pytest.approx(np.mean(true[:, 0] >= true.max(axis=1)))
    selection = selection_table([run], true, sbs=0, n_boot=10)
    assert selection.loc["safe", "gap closed"] == 0 and selection.loc["safe", "p vs SBS"] == 1
    images, image_true = per_image_results([run], true, [f"i{k // 5}" for k in range(len(true))])
    assert selection_table(images, image_true, sbs=0, n_boot=10).loc["safe", "regret"] >= 0
