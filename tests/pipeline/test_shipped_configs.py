"""Every YAML the project ships (README commands point at them) parses into its config type."""

from pathlib import Path

import pytest

from rssqa.benchmark.config import BenchmarkConfig
from rssqa.cliprs.pipeline import load_config as load_cliprs_config
from rssqa.config import load_config

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS = ["configs/dubai.yaml", "configs/dubai_paper8.yaml", "src/rssqa/configs/demo.yaml"]
BENCHMARKS = ["configs/benchmark_dubai.yaml"]


@pytest.mark.parametrize("path", EXPERIMENTS)
def test_experiment_configs_load(path):
    config = load_config(REPO / path)
    assert config.pool.methods


def test_paper8_pool_has_the_papers_eight_methods_and_the_same_protocol_as_dubai():
    paper8, dubai = load_config(REPO / "configs/dubai_paper8.yaml"), load_config(REPO / "configs/dubai.yaml")
    assert [m.name for m in paper8.pool.methods] == ["banet", "abcnet", "manet", "a2fpn", "upernet",
                                                     "unetformer", "dcswin", "aerialformer"]
    assert (paper8.pool.groups, paper8.sqed.groups) == (dubai.pool.groups, dubai.sqed.groups)


@pytest.mark.parametrize("path", BENCHMARKS)
def test_benchmark_configs_load(path):
    config = BenchmarkConfig.from_yaml(REPO / path)
    assert config.reference == "RS-SQA" and len(config.seeds) >= 3


def test_cliprs_config_loads():
    assert load_cliprs_config(REPO / "configs/cliprs_dubai.yaml")
