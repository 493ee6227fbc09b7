"""`rssqa train` that fails while saving leaves the assessor it was replacing whole: a trained
selector is several files (its base's weights, intervals, the table it chose from, its
manifest), and a mix of the old and the new ones would load as neither."""

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
