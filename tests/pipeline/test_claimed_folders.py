"""An experiment's `output:` folder (or a benchmark's) holding somebody's files under the names it writes
(`reports/`, `splits.json`, ...) is refused before anything is written; other files beside an
experiment are never touched; an experiment folder made before the marker is still rssqa's."""

from __future__ import annotations

import shutil

import pytest
import yaml

from rssqa.claimed_folders import EXPERIMENT

MARKER = EXPERIMENT.marker
from tests.conftest import (changed_files, folder_checksums, make_labelled_folder, tiny_config_dict,
                            torch_threads, trained_tiny_experiment)
from tests.pipeline.test_bad_inputs import invoke, one_line_error


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_labelled_folder(tmp_path_factory.mktemp("experiment_folder") / "data")


def config_for(data, output, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config_dict(data, output)))
    return path


@pytest.mark.parametrize("command", ["build", "train-pool", "train", "evaluate"])
def test_a_folder_holding_somebodys_reports_and_splits_is_refused_untouched(data, tmp_path, command):
    folder = tmp_path / "project"
    (folder / "reports").mkdir(parents=True)
    (folder / "reports" / "summary.csv").write_text("my own table\n")
    (folder / "splits.json").write_text('{"my": "splits"}')
    before = folder_checksums(folder)
    line = one_line_error(invoke(command, config_for(data, folder, tmp_path)), 2, str(folder),
                          "reports, splits.json", "not written by rssqa", "set `output:`")
    assert "new or empty folder" in line
    assert changed_files(before, folder_checksums(folder)) == []
    assert sorted(p.name for p in folder.iterdir()) == ["reports", "splits.json"]


def test_the_demo_refuses_such_a_folder_too(tmp_path):
    (tmp_path / "sqed").mkdir()
    (tmp_path / "sqed" / "notes.txt").write_text("mine")
    one_line_error(invoke("demo", "--out", tmp_path, "--quiet"), 2, str(tmp_path), "sqed")
    assert (tmp_path / "sqed" / "notes.txt").read_text() == "mine" and not (tmp_path / MARKER).exists()


def test_other_files_beside_an_experiment_are_left_alone(data, tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "photo.jpg").write_bytes(b"\xff\xd8 not rssqa's")
    with torch_threads(1):
        result = invoke("build", config_for(data, folder, tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert (folder / "photo.jpg").read_bytes() == b"\xff\xd8 not rssqa's"
    assert (folder / MARKER).is_file() and (folder / "sqed" / "manifest.json").is_file()


def test_an_experiment_made_before_the_marker_is_still_rssqas(tmp_path):
    config = trained_tiny_experiment(tmp_path)
    run = tmp_path / "run"
    (run / MARKER).unlink()  # as an experiment built by an rssqa without it
    legacy = tmp_path / "legacy"
    shutil.copytree(run, legacy)
    settings = yaml.safe_load(config.read_text()) | {"output": str(legacy)}
    config.write_text(yaml.safe_dump(settings))
    with torch_threads(1):
        result = invoke("train", config, "--assessors", "prior", "--quiet")
    assert result.exit_code == 0, result.output
    assert (legacy / MARKER).is_file()


def test_a_benchmark_output_holding_somebodys_report_is_refused_untouched(tmp_path):
    (tmp_path / "report.html").write_text("<p>my report</p>")
    one_line_error(invoke("benchmark", "-c", "configs/benchmark_dubai.yaml", "--output", tmp_path,
                          "--quiet"), 2, str(tmp_path), "report.html", "--output")
    assert (tmp_path / "report.html").read_text() == "<p>my report</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


@pytest.mark.parametrize("command", ["build", "train-pool", "train", "evaluate"])
def test_a_command_on_an_experiment_another_command_is_running_on_is_refused(data, tmp_path, command):
    """`rssqa build` in one terminal, the edited config's `rssqa build` in another: two runs
    writing one pool and store would mix them."""
    from rssqa.owned_outputs import one_run_at_a_time

    folder = tmp_path / "project"
    folder.mkdir()
    with one_run_at_a_time(folder, "wait"):  # the first command, still running
        line = one_line_error(invoke(command, config_for(data, folder, tmp_path)), 2, str(folder),
                              "another rssqa run is writing into it", "wait for it to finish")
    assert "`output:`" in line
    assert sorted(p.name for p in folder.iterdir()) in ([], [MARKER])


def test_a_demo_into_a_folder_another_demo_is_running_in_is_refused(tmp_path):
    from rssqa.owned_outputs import one_run_at_a_time

    with one_run_at_a_time(tmp_path, "wait"):
        one_line_error(invoke("demo", "--out", tmp_path, "--quiet"), 2, str(tmp_path),
                       "another rssqa run is writing into it", "another --out")
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], [MARKER])
