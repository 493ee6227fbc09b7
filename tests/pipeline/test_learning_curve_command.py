"""`rssqa learning-curve`: on a trained experiment it writes the curve's table, draws and figure
to the reports folder and says whether more labelled images are likely to help; bad options are
one line before anything is read; `rssqa train` says when the labelled images are few."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import experiment_copy, torch_threads, trained_tiny_experiment
from tests.pipeline.test_bad_inputs import invoke, one_line_error


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return trained_tiny_experiment(tmp_path_factory.mktemp("learning_curve"))


@pytest.fixture
def experiment(trained, tmp_path):
    return experiment_copy(trained, tmp_path)


def test_the_curve_is_written_to_the_reports_with_its_trend(experiment):
    config, run = experiment
    with torch_threads(1):
        result = invoke("learning-curve", "-c", config, "--assessors", "confidence-maxprob,prior",
                        "--sizes", "1,all", "--draws", "2", "--quiet")
    assert result.exit_code == 0, result.output
    reports = run / "reports"
    draws = pd.read_csv(reports / "learning_curve.csv")
    images = draws["images"].max()
    assert sorted(set(draws["images"])) == [1, images] and images > 1
    assert len(draws) == 2 * 2 * 2  # two sizes, two draws each, two assessors
    assert (draws.loc[draws["images"] == images, "tiles"] > draws.loc[draws["images"] == 1, "tiles"].max()).all()
    assert (reports / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (reports / "learning_curve.md").read_text()
    assert "confidence-maxprob, from 1 to" in table and "confidence-maxprob, from 1 to" in result.output
    assert not (reports / ".rssqa-parts").exists()  # the draws' records go once the tables are written
    assert (run / "run_learning-curve.json").is_file()


@pytest.mark.parametrize("option, value, needle", [("--sizes", "0,4", "--sizes '0,4'"),
                                                   ("--sizes", "four", "whole number"),
                                                   ("--draws", "0", "--draws must be at least 1")])
def test_bad_options_are_one_line_before_anything_is_written(experiment, option, value, needle):
    config, run = experiment
    one_line_error(invoke("learning-curve", "-c", config, option, value), 2, needle)
    assert not (run / "reports").exists()


def test_train_says_when_the_labelled_images_are_few(experiment):
    config, _ = experiment
    with torch_threads(1):
        result = invoke("train", "-c", config, "--assessors", "prior")
    assert result.exit_code == 0, result.output
    assert "labelled source image(s)" in result.output and "rssqa learning-curve" in result.output


def test_draws_too_small_to_fit_are_said_and_the_others_still_reported(experiment):
    config, run = experiment
    with torch_threads(1):  # the safe selector cross-fits over images: one image cannot be split
        result = invoke("learning-curve", "-c", config, "--assessors", "safe,prior",
                        "--sizes", "1,all", "--draws", "1", "--quiet")
    assert result.exit_code == 0, result.output
    assert "could not be fitted, e.g. safe on 1 image(s)" in result.output
    draws = pd.read_csv(run / "reports" / "learning_curve.csv")
    assert draws.loc[draws["images"] == 1, "error"].notna().sum() == 1  # safe's; prior fitted


def test_a_curve_no_draw_of_which_can_be_fitted_is_one_line_and_writes_nothing(experiment):
    config, run = experiment
    with torch_threads(1):
        result = invoke("learning-curve", "-c", config, "--assessors", "safe", "--sizes", "1",
                        "--draws", "2")
    one_line_error(result, 2, "none of the 2 draws could be fitted", "one source image")
    assert not (run / "reports").exists()
