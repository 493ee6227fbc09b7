import re

import numpy as np
import pandas as pd
import pytest
import yaml

from rssqa.benchmark.command import run_benchmark
from rssqa.benchmark.config import BenchmarkConfig
from rssqa.benchmark.runner import calibration_split, run_all, run_spec
from rssqa.errors import InputError

SMALL_RSSQA = {"hidden": 16, "heads": 2, "depth": 1, "epochs": 6, "batch_size": 16, "lr": 3e-3,
               "warmup_epochs": 1, "lr_step": 4}


def _config(tmp_path, **extra) -> BenchmarkConfig:
    values = {
        "store": str(tmp_path / "unused-store"), "output": str(tmp_path / "bench"),
        "seeds": [0, 1], "n_boot": 10, "reference": "RS-SQA", "verbose": False,
        "assessors": [
            {"label": "RS-SQA", "name": "rssqa", "kwargs": {"config": SMALL_RSSQA}},
            {"label": "BLIINDS-II", "name": "bliinds"},
            {"label": "Prior", "name": "prior"},
        ],
        "ablations": [
            {"label": "semantic only", "table": "components", "overrides": {"branches": "semantic"}},
            {"label": "MSE only", "table": "loss", "overrides": {"loss": "mse"}},
            {"label": "Lite0 at 32 px", "table": "encoder",
             "encoder": {"name": "efficientnet-lite0", "kwargs": {"input_size": 32}}},
        ],
        "cost": {"encoder": {"name": "efficientnet-lite0", "kwargs": {"input_size": 32}}},
        **extra,
    }
    path = tmp_path / "benchmark.yaml"
    path.write_text(yaml.safe_dump(values))
    return BenchmarkConfig.from_yaml(path)


def test_benchmark_writes_the_report_and_resumes_from_cache(tmp_path, benchmark_data, one_thread):
    config = _config(tmp_path)
    report = run_benchmark(config, benchmark_data)
    page = report.read_text()
    for heading in ("Table 3", "Table 4", "Table 5", "Table 6", "Table 7", "Paired bootstrap",
                    "split-conformal", "Fig. 5", "Fig. 6", "Where the reference loses", "Costs"):
        assert heading in page
    assert len(re.findall(r"data:image/png;base64", page)) == 4  # 3 scatter plots + t-SNE
    markdown = (config.output / "report.md").read_text()
    assert all(f"## Table {n}" in markdown for n in range(3, 8)) and markdown.count("](figures/") == 4

    main = pd.read_csv(config.output / "tables" / "main.csv", index_col="assessor")
    assert list(main.index) == ["RS-SQA", "BLIINDS-II", "Prior"]
    assert main.loc["RS-SQA", "seeds"] == 2 and main.loc["BLIINDS-II", "seeds"] == 1
    assert main.loc["Prior", "seeds"] == 1
    for metric in ("PLCC", "SROCC", "P@1", "P@3"):
        defined = main.dropna(subset=[metric])  # the prior's constant scores have no correlation
        assert (defined[f"{metric} low"] <= defined[f"{metric} high"]).all()
    assert np.isnan(main.loc["Prior", "SROCC"]) and main.loc["Prior", "P@1"] > 0
    assert main.loc["RS-SQA", "SROCC"] > 0.5  # the tokens carry the noise that drives OA

    paired = pd.read_csv(config.output / "tables" / "paired_tests.csv")
    assert set(paired["metric"]) == {"SROCC", "P@1"}
    assert len(paired) == 2 * 5  # every other run: two baselines and three ablations
    coverage = pd.read_csv(config.output / "tables" / "conformal_coverage.csv", index_col=0)
    assert {"coverage@0.8", "coverage@0.9", "coverage@0.95"} <= set(coverage.columns)
    assert (coverage["width@0.8"] <= coverage["width@0.95"]).all()
    costs = pd.read_csv(config.output / "tables" / "costs.csv", index_col=0)
    assert "semantic only" in costs.index

    cached = sorted(p.name for p in (config.output / "predictions").iterdir())
    stamps = {name: (config.output / "predictions" / name).stat().st_mtime_ns for name in cached}
    run_all(config, benchmark_data)  # resumes: nothing is refitted
    assert {name: (config.output / "predictions" / name).stat().st_mtime_ns
            for name in cached} == stamps


def test_changed_spec_is_refitted_not_served_from_cache(tmp_path, benchmark_data):
    config = _config(tmp_path)
    spec = config.assessors[1]  # BLIINDS-II, deterministic: one run for all seeds
    first = run_spec(spec, benchmark_data, [0, 1], tmp_path / "cache", verbose=False)
    assert first.seeds == [0] and first.test.shape == (1, 30, 3)
    changed = type(spec)(spec.label, spec.assessor, {"c_grid": [1.0]}, None, spec.table)
    second = run_spec(changed, benchmark_data, [0], tmp_path / "cache", verbose=False)
    assert not np.allclose(first.test, second.test)


def test_calibration_split_holds_out_whole_source_images(benchmark_data):
    train = benchmark_data.fit
    sources = train.groups
    fit, calibration = calibration_split(train, sources, 0.25, seed=0)
    assert len(fit) + len(calibration) == len(train)
    assert not set(fit.groups) & set(calibration.groups)


def test_config_errors_name_the_problem(tmp_path):
    with pytest.raises(InputError, match="reference 'Ours'"):
        _config(tmp_path, reference="Ours")
    with pytest.raises(InputError, match="unknown key.*sedes"):
        _config(tmp_path, sedes=[0])
    with pytest.raises(InputError, match="changes nothing"):
        _config(tmp_path, ablations=[{"label": "x", "table": "loss"}])
    with pytest.raises(InputError, match="used twice"):
        _config(tmp_path, ablations=[{"label": "Prior", "table": "loss", "overrides": {"loss": "kl"}}])
    config = _config(tmp_path)
    assert config.ablations[0].kwargs["config"]["branches"] == "semantic"
    assert config.ablations[0].kwargs["config"]["hidden"] == 16  # the reference's settings kept


def test_cli_store_option_replaces_the_configs_store(tmp_path):
    from typer.testing import CliRunner

    from rssqa.cli import app

    _config(tmp_path)  # writes benchmark.yaml naming unused-store
    other = tmp_path / "eight-method-store"
    result = CliRunner().invoke(app, ["--debug", "benchmark", str(tmp_path / "benchmark.yaml"),
                                      "--store", str(other), "--quiet"])
    assert isinstance(result.exception, InputError)
    assert str(other) in str(result.exception) and "unused-store" not in str(result.exception)
