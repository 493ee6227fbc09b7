"""Configs that would make rssqa do unbounded work, or that it would half-read: each ends in one
`error:` line naming the file (and the line or the setting at fault) within seconds, before any
data is read, and leaves whatever was in the output folder as it was."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import yaml

from rssqa.config import load_config
from tests.conftest import folder_checksums, tiny_config_dict
from tests.pipeline.test_bad_inputs import invoke, keepsake, one_line_error

# Nine levels of nine aliases each: a 0.6 KB file that expands to 9**9 (387 million) strings.
BILLION_LAUGHS = """\
pool:
  methods:
    - name: fpn
      kwargs:
        a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
        g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
        h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
        i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.fixture
def experiment(tmp_path):
    """A valid tiny config's text (its output under tmp_path/run, holding an earlier file) and
    ``write(text)``, which saves a config and returns its path."""
    run = tmp_path / "run"
    kept = keepsake(run)

    def write(text: str, name: str = "hostile.yaml"):
        (tmp_path / name).write_text(text)
        return tmp_path / name
    valid = yaml.safe_dump(tiny_config_dict(tmp_path / "data", run), sort_keys=False)
    return SimpleNamespace(run=run, kept=kept, write=write, valid=valid)


def refused_quickly(*args, needles=(), seconds=20):
    began = time.perf_counter()
    result = invoke(*args)
    assert time.perf_counter() - began < seconds, "the config was worked on, not refused"
    return one_line_error(result, 2, *needles)


# -- unbounded work from a small file -------------------------------------------------------------

def test_a_billion_laughs_is_refused_at_the_alias_that_expands_too_far(experiment):
    path = experiment.write(BILLION_LAUGHS + f"output: {experiment.run}\n")
    before = folder_checksums(experiment.run)
    line = refused_quickly("build", path, "--quiet", needles=(
        str(path), "line 10:", "expands to more than 100,000 values", "MAX_YAML_VALUES"))
    assert "lol" not in line
    assert folder_checksums(experiment.run) == before


@pytest.mark.parametrize("command", [("build",), ("train",), ("recommend", "x.png", "--config")])
def test_every_command_refuses_it_before_reading_anything(experiment, command):
    path = experiment.write(BILLION_LAUGHS)
    refused_quickly(*command, path, needles=(str(path), "MAX_YAML_VALUES"))
    assert experiment.kept.read_text() == "keep me"


def test_the_benchmark_config_goes_through_the_same_loader(experiment):
    path = experiment.write(BILLION_LAUGHS)
    refused_quickly("benchmark", path, needles=(str(path), "line 10:", "MAX_YAML_VALUES"))


def test_the_clip_training_config_goes_through_the_same_loader(experiment, capsys):
    from rssqa.cliprs.train import main

    path = experiment.write(BILLION_LAUGHS)
    began = time.perf_counter()
    assert main(["--config", str(path)]) == 2
    assert time.perf_counter() - began < 20
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {path}: line 10:") and "MAX_YAML_VALUES" in error
    assert "\n" not in error


def test_an_alias_inside_the_value_it_names_is_refused(experiment):
    path = experiment.write("name: loop\ndata: &data {kind: demo, again: *data}\n")
    refused_quickly("build", path, needles=(str(path), "line 2:", "alias *data lies inside"))


def test_values_nested_past_the_depth_limit_are_refused(experiment):
    path = experiment.write("assessor:\n  kwargs:\n    x: " + "[" * 500 + "]" * 500 + "\n")
    refused_quickly("build", path, needles=(str(path), "line 3:", "nested more than 64 deep",
                                            "MAX_YAML_DEPTH"))


def test_a_file_past_the_size_limit_is_refused_without_reading_it_whole(experiment):
    path = experiment.write("name: big\n" + "# padding\n" * 150_000)
    refused_quickly("build", path, needles=(str(path), "larger than 1,000,000 bytes",
                                            "MAX_YAML_BYTES"))


def test_aliases_and_merge_keys_within_the_limits_still_load(tmp_path):
    path = tmp_path / "shared.yaml"
    path.write_text("""\
pool:
  methods:
    - {name: fpn, kwargs: &shared {variant: cpu}}
    - {name: unet, kwargs: *shared}
  train:
    <<: {epochs: 3, batch_size: 4}
    epochs: 2
""")
    config = load_config(path)
    assert [m.kwargs for m in config.pool.methods] == [{"variant": "cpu"}] * 2
    assert (config.pool.train.epochs, config.pool.train.batch_size) == (2, 4)  # its own key wins


# -- a key given twice ----------------------------------------------------------------------------

def test_a_key_given_twice_is_named_with_both_lines(experiment):
    text = experiment.valid.replace("  train:\n", "  train:\n    epochs: 5\n", 1)
    path = experiment.write(text)
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line == "    epochs: 5")
    second = next(i for i, line in enumerate(text.splitlines(), 1)
                  if line.strip() == "epochs: 1")
    refused_quickly("build", path, needles=(str(path), f"line {max(first, second)}:",
                                            "key 'epochs' is given twice",
                                            f"first at line {min(first, second)}"))
    assert experiment.kept.read_text() == "keep me"


# -- names and settings checked by every command, before anything runs ---------------------------

def changed(experiment, **changes):
    config = yaml.safe_load(experiment.valid)
    config.update(changes)
    return experiment.write(yaml.safe_dump(config), "changed.yaml")


def recommend(config, tmp_path):
    out = tmp_path / "recommended"
    return invoke("recommend", tmp_path / "any.png", "--config", config, "--out", out, "--quiet")


def test_recommend_refuses_an_unknown_pool_method_as_build_does(experiment, tmp_path):
    pool = {"methods": [{"name": "fpn"}, {"name": "deeplabv3plu"}]}
    path = changed(experiment, pool=pool)
    for result in (recommend(path, tmp_path), invoke("build", path, "--quiet")):
        one_line_error(result, 2, str(path), "pool.methods[1]: unknown segmentation method "
                       "'deeplabv3plu'", "use one of: deeplabv3plus, ")
    assert experiment.kept.read_text() == "keep me" and not (tmp_path / "recommended").exists()


@pytest.mark.parametrize("kwargs, needles", [
    ({"confg": {"epochs": 2}}, ("assessor 'rssqa': unknown setting(s) confg", "it takes: config, ")),
    ({"config": {"hiden": 32}}, ("assessor.kwargs: RS-SQA config: unknown key(s) hiden",
                                 "known keys: ")),
    ({"base": "listwise", "base_kwargs": {"config": {"epoch": 3}}},  # the selector's own settings
     ("assessor.kwargs: listwise config: unknown key(s) epoch", "known keys: ")),
    ({"base": "pairwse"}, ("unknown assessor 'pairwse'", "pairwise")),
])
def test_recommend_refuses_assessor_kwargs_the_assessor_would_refuse(experiment, tmp_path, kwargs,
                                                                      needles):
    name = "safe" if "base" in kwargs else "rssqa"
    path = changed(experiment, assessor={"name": name, "kwargs": kwargs})
    one_line_error(recommend(path, tmp_path), 2, str(path), *needles)
    assert experiment.kept.read_text() == "keep me"


def test_an_empty_config_is_named_as_empty_not_run_as_the_demo(experiment, tmp_path):
    path = experiment.write("# nothing here yet\n", "empty.yaml")
    for result in (recommend(path, tmp_path), invoke("build", path, "--quiet")):
        one_line_error(result, 2, str(path), "experiment config is empty")
    assert not (tmp_path / "runs").exists() and not (tmp_path / "recommended").exists()


def test_a_misspelt_predictions_setting_is_named_with_the_right_one_first(experiment, tmp_path):
    members = [{"name": "predictions", "kwargs": {"labl": "p_index", "dir": str(tmp_path),
                                                   "format": "index"}},
               {"name": "predictions", "kwargs": {"label": "p_colour", "dir": str(tmp_path),
                                                   "format": "colour"}}]
    path = changed(experiment, pool={"methods": members})
    line = one_line_error(invoke("build", path, "--quiet"), 2, str(path),
                          "pool.methods[0]: pool member {name: predictions}: unknown setting(s) "
                          "labl", "it takes: label, ")
    assert "None" not in line
    assert experiment.kept.read_text() == "keep me"


def test_a_misspelt_method_without_pool_groups_is_named_before_any_data_is_read(experiment,
                                                                               monkeypatch):
    monkeypatch.setattr("rssqa.stages.load_source", lambda *a: pytest.fail("data was read"))
    config = yaml.safe_load(experiment.valid)
    config["pool"] = {"methods": [{"name": "fnp"}]}
    config["tile_size"] = 128
    path = experiment.write(yaml.safe_dump(config), "fnp.yaml")
    line = one_line_error(invoke("build", path, "--quiet"), 2, str(path),
                          "unknown segmentation method 'fnp'", "use one of: fpn, ")
    assert "tile" not in line
    assert sorted(p.name for p in experiment.run.iterdir()) == ["earlier.txt"]


def test_two_members_with_one_label_are_named_by_position(experiment, tmp_path):
    member = {"name": "predictions", "kwargs": {"label": "fpn", "dir": str(tmp_path),
                                                 "format": "index"}}
    path = changed(experiment, pool={"methods": [{"name": "fpn"}, member]})
    one_line_error(invoke("train-pool", path, "--quiet"), 2, str(path),
                   "pool.methods[1] is named 'fpn', as pool.methods[0] is")


def test_a_misspelt_predictions_format_is_answered_with_the_right_one_first(tiny_dataset,
                                                                           tmp_path):
    config = tiny_config_dict(tiny_dataset, tmp_path / "run")
    config["pool"] = {"methods": [{"name": "predictions", "kwargs": {
        "label": "theirs", "dir": str(tmp_path), "format": "color"}}]}
    path = tmp_path / "color.yaml"
    path.write_text(yaml.safe_dump(config))
    one_line_error(invoke("build", path, "--quiet"), 2, "pool member 'theirs': unknown "
                   "predictions format 'color'", "use one of colour, index, probabilities")
    assert not (tmp_path / "run" / "sqed").exists()
