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
