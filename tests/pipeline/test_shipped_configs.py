"""Every YAML the project ships (README commands point at them) parses into its config type."""

from pathlib import Path

import pytest

from rssqa.benchmark.config import BenchmarkConfig
from rssqa.cliprs.pipeline import load_config as load_cliprs_config
from rssqa.config import load_config
from rssqa.data.assignment import SplitRule
from rssqa.data.sources import create_source
from tests.data import published_fakes

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = ["vaihingen", "potsdam", "loveda", "uavid", "floodnet", "deepglobe", "openearthmap"]
EXPERIMENTS = ["configs/dubai.yaml", "configs/dubai_paper8.yaml", "src/rssqa/configs/demo.yaml",
               *(f"configs/{name}.yaml" for name in PUBLISHED)]
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


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_dataset_configs_follow_the_rs_sqed_protocol_and_read_their_layout(name, tmp_path):
    """1024-px tiles, the pool on half the source images, the SQED split 8:2 by source image; the
    data settings read a fake copy of the dataset in its published layout."""
    config = load_config(REPO / f"configs/{name}.yaml")
    # OpenEarthMap's tiles are 1000 px: the largest multiple of 32 that fits stands in for 1024
    assert config.tile_size == (992 if name == "openearthmap" else 1024)
    assert config.pool.fraction == 0.5 and not config.pool.groups
    rule = SplitRule(config.seed, (), config.pool.fraction, tuple(config.sqed.groups),
                     config.sqed.test_per_group, config.sqed.test_fraction)
    assert rule.test_rule == ("test_fraction", 0.2)
    getattr(published_fakes, f"make_{name}")(tmp_path)
    options = {**config.data, "root": str(tmp_path)}
    assert create_source(options.pop("kind"), **options).samples()
