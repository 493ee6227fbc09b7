"""A rerun that fails keeps the records of the run that finished: `run_<stage>.json` and the
store's `sqed_report.txt` describe what is in the experiment folder, not the inputs of an attempt
that produced nothing. The failed build's own report is kept beside them, under the name its
error line gives."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml
from PIL import Image

from rssqa.errors import InputError
from tests.conftest import changed_files, folder_checksums, trained_tiny_experiment
from tests.pipeline.test_bad_inputs import invoke, one_line_error

UNKNOWN = (12, 34, 56)  # a mask colour the tiny class map does not know


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A built and trained tiny experiment: its config and output folder."""
    root = tmp_path_factory.mktemp("finished")
    config = trained_tiny_experiment(root)
    return config, root / "run"


def records(run):
    return {path: digest for path, digest in folder_checksums(run).items()
            if path.name != "sqed_report.attempt.txt"}


def unusable_copy(config, run, tmp_path):
    """The config with its data copied and every mask painted in an unknown colour: a build
    that stops at its input check, writing into the same output folder."""
    settings = yaml.safe_load(config.read_text())
    data = tmp_path / "data"
    shutil.copytree(settings["data"]["images_dir"].rsplit("/", 1)[0], data)
    for mask in (data / "masks").glob("*.png"):
        pixels = np.array(Image.open(mask).convert("RGB"))
        pixels[:] = UNKNOWN
        Image.fromarray(pixels).save(mask)
    settings["data"].update(images_dir=str(data / "images"), masks_dir=str(data / "masks"))
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def test_a_build_that_fails_its_input_check_keeps_the_finished_stores_records(finished, tmp_path):
    config, run = finished
    report = (run / "sqed_report.txt").read_text()
    before = records(run)
    broken = unusable_copy(config, run, tmp_path)
    one_line_error(invoke("build", broken, "--quiet"), 2, "has no labelled 32-px tile",
                   str(run / "sqed_report.attempt.txt"))
    assert changed_files(before, records(run)) == []
    assert (run / "sqed_report.txt").read_text() == report
    attempt = (run / "sqed_report.attempt.txt").read_text()
    assert "mask colour or value not in the class map" in attempt and str(tmp_path) in attempt


def test_the_next_build_that_finishes_replaces_the_report_and_drops_the_attempt(finished, tmp_path):
    config, run = finished
    invoke("build", unusable_copy(config, run, tmp_path), "--quiet")
    assert (run / "sqed_report.attempt.txt").exists()
    result = invoke("build", config, "--quiet")
    assert result.exit_code == 0, result.output
    assert not (run / "sqed_report.attempt.txt").exists()
    assert "32-px tiles" in (run / "sqed_report.txt").read_text()


@pytest.mark.parametrize("command, stage", [("build", "build_store"), ("train-pool", "train_pool"),
                                            ("train", "train_assessors"),
                                            ("evaluate", "evaluate_assessors")])
def test_a_stage_that_fails_leaves_the_run_record_of_the_one_that_finished(finished, monkeypatch,
                                                                           command, stage):
    config, run = finished

    def fails(*args, **kwargs):
        raise InputError(None, "the stage failed half-way")
    home = "rssqa.pool.training" if stage == "train_pool" else "rssqa.stages"
    monkeypatch.setattr(f"{home}.{stage}", fails)
    record = run / f"run_{command}.json"
    earlier = record.read_bytes() if record.exists() else None
    before = records(run)
    args = [command, config] + (["--assessors", "prior"] if command in ("train", "evaluate") else [])
    one_line_error(invoke(*args, "--quiet") if command != "evaluate" else invoke(*args), 2,
                   "the stage failed half-way")
    assert changed_files(before, records(run)) == []
    assert (record.read_bytes() if record.exists() else None) == earlier
