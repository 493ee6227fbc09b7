"""One command-line style: the config is `--config/-c CONFIG` everywhere (the old positional form
still works, with a `deprecated:` line), `-q/--quiet` wherever there is progress, plain help, and
tables that keep one row per line when piped (CliRunner's stdout is not a terminal)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from rssqa.cli import app
from tests.conftest import torch_threads, trained_tiny_experiment

runner = CliRunner()
CONFIG_COMMANDS = ["build", "train-pool", "train", "evaluate", "benchmark", "pretrain-clip", "train-clip"]
QUIET_COMMANDS = ["build", "train-pool", "train", "evaluate", "recommend", "demo", "benchmark",
                  "serve", "pretrain-clip", "train-clip"]


def every_command() -> list[str]:
    return sorted(typer.main.get_command(app).commands)


@pytest.mark.parametrize("command", [None, *every_command()])
def test_help_is_plain_text_without_type_tags_or_markup(command):
    result = runner.invoke(app, [command, "--help"] if command else ["--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "``" not in result.output
    assert "{" not in result.output.splitlines()[0]  # the usage line: TARGET, not {target}


@pytest.mark.parametrize("command", [*CONFIG_COMMANDS, "recommend", "serve"])
def test_every_command_that_reads_a_config_takes_it_as_dash_c(command):
    output = runner.invoke(app, [command, "--help"], terminal_width=100).output
    assert "-c, --config CONFIG" in output
    assert "Usage: root " + command + " [OPTIONS]" in output.replace("rssqa", "root")


@pytest.mark.parametrize("command", QUIET_COMMANDS)
def test_every_command_with_progress_or_tables_takes_dash_q(command):
    assert "-q, --quiet" in runner.invoke(app, [command, "--help"], terminal_width=100).output


@pytest.mark.parametrize("command", CONFIG_COMMANDS)
def test_the_positional_config_still_works_with_one_deprecated_line(command, tmp_path):
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(app, [command, str(missing)])
    assert result.exit_code == 2
    deprecated = [line for line in result.stderr.splitlines() if line.startswith("deprecated:")]
    assert deprecated == [f"deprecated: the config as an argument will stop working; write "
                          f"rssqa {command} --config {missing}"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(missing) in errors[0]  # read as the config it was meant as


@pytest.mark.parametrize("command", CONFIG_COMMANDS)
def test_the_config_as_dash_c_is_read_without_a_deprecation(command, tmp_path):
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(app, [command, "-c", str(missing)])
    assert result.exit_code == 2
    assert "deprecated" not in result.output
    assert result.stderr.startswith("error: ") and str(missing) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_config_given_both_ways_differently_is_one_error_line(tmp_path):
    result = runner.invoke(app, ["build", "--config", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: the config is given twice, as --config {tmp_path / 'a.yaml'} and as the argument "
        f"{tmp_path / 'b.yaml'}. give it once: rssqa build --config CONFIG"]


def test_a_missing_config_is_one_error_line_naming_the_option():
    result = runner.invoke(app, ["evaluate"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: missing option --config/-c CONFIG. e.g. rssqa evaluate --config configs/dubai.yaml"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return trained_tiny_experiment(tmp_path_factory.mktemp("experiment"))


def test_evaluate_tables_keep_one_row_per_line_when_piped(trained):
    from rssqa.config import load_config

    with torch_threads(1):
        result = runner.invoke(app, ["evaluate", "-c", str(trained), "--assessors", "prior",
                                     "--n-boot", "20", "-q"], terminal_width=80)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    reports = load_config(trained).layout.reports
    widths = []
    for name in ("per_method.csv", "summary.csv"):
        written = pd.read_csv(reports / name, keep_default_na=False)
        first, last = written.columns[0], written.columns[-1]
        header = next(i for i, line in enumerate(lines)
                      if line.split()[:1] == [first] and line.rstrip().endswith(last))
        widths.append(len(lines[header]))
        for offset, (_, row) in enumerate(written.iterrows(), start=1):  # whole rows, in order
            assert lines[header + offset].split()[0] == str(row.iloc[0])
            assert lines[header + offset].rstrip().endswith(str(row.iloc[-1]))
    assert max(widths) > 80  # wider than the 80 columns a piped table used to wrap at


def test_recommend_prints_each_picks_interval_and_whether_there_is_a_clear_winner(trained, tmp_path):
    from rssqa.assess.conformal import SplitConformal, save_conformal

    rng = np.random.default_rng(0)
    predicted = rng.uniform(0.3, 0.9, (40, 2))
    truth = np.clip(predicted + rng.normal(0, 0.05, predicted.shape), 0, 1)
    calibration = SplitConformal.calibrate(predicted, truth)
    assessor = trained.parent / "run" / "assessors" / "prior"
    save_conformal(assessor, calibration, ["fpn", "deeplabv3plus"])
    try:
        images = trained.parent / "data" / "images"
        out = tmp_path / "out"
        with torch_threads(1):
            result = runner.invoke(app, ["recommend", str(images), "-c", str(trained), "--assessor",
                                         "prior", "--out", str(out), "-q"], terminal_width=60)
    finally:
        (assessor / "conformal.json").unlink()
    assert result.exit_code == 0, result.output
    decisions = json.loads((out / "recommendations.json").read_text())["decisions"]
    scores = pd.read_csv(out / "scores.csv")
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.split()[:2] == ["image", "method"])
    assert "predicted OA" in header and "90% interval" in header and "winner" in header
    for image, decision in decisions.items():
        pick = scores[(scores["image"] == image) & scores["recommended"]].iloc[0]
        row = next(line for line in lines if line.split()[:1] == [image])
        assert f"{pick['predicted_oa']:.3f}" in row
        assert f"[{pick['interval_low']:.3f}, {pick['interval_high']:.3f}]" in row
        assert ("no clear winner" in row) == decision["no_clear_winner"]


def test_the_picks_say_what_the_safe_default_kept_and_the_margin_it_used(capsys):
    from rssqa.cli import _print_picks

    table = pd.DataFrame({"image": ["a", "a", "b", "b"], "method": ["fpn", "unet", "unet", "fpn"],
                          "predicted_oa": [0.81, 0.80, 0.90, 0.70], "interval_low": [0.75, 0.74, 0.85, 0.6],
                          "interval_high": [0.87, 0.86, 0.95, 0.8], "recommended": [True, False, True, False]})
    decision = {"default": "fpn", "margin": 0.05, "never_leaves_default": False, "interval_level": 0.9}
    decisions = {"a": {**decision, "kept_default": True, "predicted_gain": 0.0, "no_clear_winner": True},
                 "b": {**decision, "kept_default": False, "predicted_gain": 0.2, "no_clear_winner": False}}
    _print_picks(table, decisions, "oa")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["image", "method", "predicted", "OA", "90%", "interval", "winner",
                                "kept", "default", "predicted", "gain"]
    assert lines[1].split() == ["a", "fpn", "0.810", "[0.750,", "0.870]", "no", "clear", "winner",
                                "True", "0.000"]
    assert lines[2].split() == ["b", "unet", "0.900", "[0.850,", "0.950]", "clear", "False", "0.200"]
    assert lines[3] == ("safe default fpn: another method is picked only when predicted to beat it "
                        "by more than 0.050")
