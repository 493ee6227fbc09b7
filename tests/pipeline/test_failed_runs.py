"""A run that fails leaves what an earlier run wrote as it was: `rssqa train` failing while it
saves leaves the assessor it was replacing whole (a trained selector is several files: its base's
weights, intervals, the table it chose from, its manifest; a mix of old and new would load as
neither), and `rssqa evaluate` failing on one assessor writes none of its reports."""

from __future__ import annotations

import yaml

from tests.conftest import changed_files, folder_checksums, torch_threads, trained_tiny_experiment
from tests.pipeline.test_bad_inputs import invoke
from tests.pipeline.test_damaged_experiment import SAFE


def train_safe(config, seed: int):
    settings = yaml.safe_load(config.read_text())
    settings["assessor"] = {**SAFE, "kwargs": {**SAFE["kwargs"], "seed": seed}}
    config.write_text(yaml.safe_dump(settings))
    with torch_threads(1):
        return invoke("train", config, "--assessors", "safe", "--quiet")


def test_a_save_that_fails_halfway_leaves_the_earlier_assessor_as_it_was(tmp_path, monkeypatch):
    config = trained_tiny_experiment(tmp_path)
    assert train_safe(config, seed=0).exit_code == 0
    folder = tmp_path / "run" / "assessors"
    before = folder_checksums(folder)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    # by then the base's weights are written, the intervals and the manifest not yet
    monkeypatch.setattr("rssqa.assess.selectors.safe.save_conformal", disk_full)
    failed = train_safe(config, seed=1)
    assert failed.exit_code != 0 and "Traceback" not in failed.output
    assert changed_files(before, folder_checksums(folder)) == []
    monkeypatch.undo()
    assert train_safe(config, seed=1).exit_code == 0
    assert changed_files(before, folder_checksums(folder)) != []
    assert sorted(p.name for p in folder.iterdir()) == ["prior", "safe"]  # nothing left beside them


def test_an_evaluation_that_fails_on_a_damaged_assessor_writes_no_report(tmp_path):
    """The reports are written once every assessor is evaluated, never half of a run."""
    config = trained_tiny_experiment(tmp_path)
    assert train_safe(config, seed=0).exit_code == 0
    assert invoke("evaluate", config, "--assessors", "safe", "--n-boot", "10").exit_code == 0
    reports = tmp_path / "run" / "reports"
    before = folder_checksums(reports)
    (tmp_path / "run" / "assessors" / "safe" / "base" / "assessor.json").write_text("{")
    failed = invoke("evaluate", config, "--assessors", "prior,safe", "--n-boot", "10")
    assert failed.exit_code == 2 and "Traceback" not in failed.output
    assert changed_files(before, folder_checksums(reports)) == []
    assert not (reports / "scatter_prior.png").exists()  # prior was evaluated, then safe failed
