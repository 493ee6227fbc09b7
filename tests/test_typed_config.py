"""Every config rssqa reads goes through one loader: unknown keys listed, wrong types located, and
nothing but rssqa's own InputError for any file a user could write (fuzzed with hypothesis)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rssqa.assess.config import RSSQAConfig
from rssqa.benchmark.config import BenchmarkConfig
from rssqa.cliprs.pipeline import load_config as load_pipeline_config
from rssqa.cliprs.train import ClipTrainConfig
from rssqa.config import ExperimentConfig, load_config
from rssqa.errors import InputError
from rssqa.typed_config import from_dict

KEYS = ["name", "seed", "tile_size", "output", "data", "pool", "sqed", "encoder", "assessor",
        "target", "methods", "groups", "fraction", "kwargs", "train", "epochs", "store",
        "assessors", "seeds", "label", "ablations", "overrides", "table", "run_dir", "model"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(string.ascii_letters, max_size=6)),
                    inner, max_size=5)), max_leaves=20)
top_level = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)
LOADERS = {
    "experiment": load_config,
    "benchmark": BenchmarkConfig.from_yaml,
    "cliprs pipeline": load_pipeline_config,
}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("kind", sorted(LOADERS))
@FUZZ
@given(document=st.one_of(top_level, values))
def test_any_yaml_document_loads_or_raises_an_input_error(kind, document, tmp_path):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(document))
    try:
        LOADERS[kind](path)
    except InputError as error:
        assert str(error).startswith(str(path)) and "\n" not in str(error)


@pytest.mark.parametrize("kind", sorted(LOADERS))
@FUZZ
@given(content=st.binary(max_size=200))
def test_any_bytes_load_or_raise_an_input_error(kind, content, tmp_path):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(content)
    try:
        LOADERS[kind](path)
    except InputError:
        pass


@FUZZ
@given(mapping=st.dictionaries(st.sampled_from(["hidden", "heads", "epochs", "lr", "loss",
                                                "adapters", "dropout", "seed", "hiden"]), values))
def test_rssqa_and_training_options_raise_only_input_errors(mapping):
    for build in (RSSQAConfig.from_dict, ClipTrainConfig.from_mapping):
        try:
            build(mapping)
        except InputError:
            pass


def test_a_wrong_type_says_where_it_sits(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({"pool": {"methods": [{"name": "unet"}, {"name": "fpn", "kwargs": [1]}]}}))
    with pytest.raises(InputError, match=r"exp.yaml: pool.methods\[1\].kwargs must be a mapping, got list"):
        load_config(path)
    path.write_text(yaml.safe_dump({"pool": {"train": {"epochs": "four"}}}))
    with pytest.raises(InputError, match="pool.train.epochs must be an integer, got str 'four'"):
        load_config(path)


def test_unknown_keys_are_listed_with_the_known_ones_at_their_level():
    with pytest.raises(InputError, match="sqed: unknown key.*test_per_grop.*known keys:.*test_per_group"):
        from_dict(ExperimentConfig, {"sqed": {"test_per_grop": 2}})


def test_missing_required_keys_are_named(tmp_path):
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump({"store": "s"}))
    with pytest.raises(InputError, match="missing required key.*output.*assessors"):
        BenchmarkConfig.from_yaml(path)


def test_numbers_widen_to_float_but_never_to_int_or_bool():
    config = from_dict(ExperimentConfig, {"pool": {"fraction": 1, "train": {"lr": 1}}})
    assert isinstance(config.pool.fraction, float) and isinstance(config.pool.train.lr, float)
    with pytest.raises(InputError, match="tile_size must be an integer"):
        from_dict(ExperimentConfig, {"tile_size": 256.0})
    with pytest.raises(InputError, match="adapters must be true or false"):
        RSSQAConfig.from_dict({"adapters": 1})


def test_a_folder_or_a_list_is_not_a_config(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        load_config(tmp_path)
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="must be a mapping of settings, got list"):
        load_config(path)


def test_shipped_configs_still_load():
    root = Path(__file__).resolve().parents[1] / "configs"
    for path in sorted(root.glob("*.yaml")):
        if path.name.startswith("benchmark"):
            BenchmarkConfig.from_yaml(path)
        elif path.name.startswith("cliprs_dubai"):
            load_pipeline_config(path)
        elif not path.name.startswith("cliprs"):
            load_config(path)
