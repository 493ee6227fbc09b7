"""A config that contradicts what its trained experiment was built with (tile size, class map,
encoder, raster settings, the pool's methods and training settings, a pool retrained since the
store was built, the accuracy an assessor learnt) is refused by every command that opens the
experiment, in one line naming both values, and the experiment is left as it was."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from tests.conftest import changed_files, folder_checksums, torch_threads, trained_tiny_experiment
from tests.pipeline.test_bad_inputs import invoke, one_line_error


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`rssqa build` + `rssqa train --assessors prior` on 32-px tiles, once for the module."""
    return trained_tiny_experiment(tmp_path_factory.mktemp("trained_settings"))


@pytest.fixture
def experiment(trained, tmp_path, monkeypatch):
    """A copy of the trained experiment and a function writing its config with ``changes``."""
    shutil.copytree(trained.parent / "run", tmp_path / "run")
    base = yaml.safe_load(trained.read_text()) | {"output": str(tmp_path / "run")}
    monkeypatch.setattr("uvicorn.run", lambda app, **where: None)  # serve: start-up loading only

    def config(**changes):
        path = tmp_path / "changed.yaml"
        path.write_text(yaml.safe_dump(base | changes))
        return path

    return config, tmp_path / "run", trained.parent / "data" / "images" / "g3_img1.png"


def run_command(command: str, config, image, out):
    args = {"train": ("train", config, "--assessors", "prior", "--quiet"),
            "evaluate": ("evaluate", config, "--assessors", "prior", "--n-boot", "10"),
            "serve": ("serve", "--config", config, "--assessor", "prior"),
            "recommend": ("recommend", image, "--config", config, "--assessor", "prior",
                          "--out", out, "--quiet")}[command]
    with torch_threads(1):
        return invoke(*args)


def refused(experiment, changes: dict, command: str, *needles: str) -> str:
    """Run ``command`` with the changed config: one error line holding ``needles``, nothing of the
    experiment changed; returns the line."""
    config, run, image = experiment
    before = folder_checksums(run / "pool", run / "sqed", run / "assessors")
    line = one_line_error(run_command(command, config(**changes), image, run.parent / "rec"), 2,
                          *needles, "rssqa build -c CONFIG")
    assert changed_files(before, folder_checksums(run / "pool", run / "sqed", run / "assessors")) == []
    assert not (run / "reports").exists() and not (run.parent / "rec").exists()
    return line


@pytest.mark.parametrize("command", ["train", "evaluate", "serve", "recommend"])
def test_a_tile_size_other_than_the_trained_one_is_refused(experiment, command, one_thread):
    refused(experiment, {"tile_size": 64}, command, "tile_size is 64 in the config but 32 in the trained experiment")


def test_a_changed_class_map_is_refused_naming_both(experiment, one_thread):
    config, *_ = experiment
    data = yaml.safe_load(config().read_text())["data"]
    data["classmap"]["classes"][2]["name"] = "sea"
    refused(experiment, {"data": data}, "evaluate", "class map is (building, land, sea) in the config but "
            "(building, land, water) in the trained experiment")


def test_another_encoder_input_size_is_refused(experiment, one_thread):
    config, *_ = experiment
    encoder = yaml.safe_load(config().read_text())["encoder"]
    encoder["kwargs"]["input_size"] = 96
    refused(experiment, {"encoder": encoder}, "serve", "encoder.kwargs is {", "'input_size': 96",
            "'input_size': 64")


def test_raster_settings_the_pool_was_not_trained_with_are_refused(experiment, one_thread):
    line = refused(experiment, {"raster": {"nodata": 0}}, "evaluate", "raster is {", "'nodata': 0.0}", "'nodata': None}")
    assert "pool/raster.json" in line


def test_a_pool_without_one_of_its_trained_methods_is_refused(experiment, one_thread):
    config, *_ = experiment
    pool = yaml.safe_load(config().read_text())["pool"]
    pool["methods"] = [{"name": "fpn"}]
    refused(experiment, {"pool": pool}, "train", "pool.methods is (fpn) in the config but (fpn, deeplabv3plus)")


def test_a_pool_retrained_after_the_store_was_built_is_refused(experiment, one_thread):
    config, run, image = experiment
    pool = yaml.safe_load(config().read_text())["pool"]
    pool["train"]["epochs"] = 2
    changed = config(pool=pool)
    with torch_threads(1):  # `rssqa train-pool` alone: the store still holds the old models' scores
        assert invoke("train-pool", changed, "--quiet").exit_code == 0
    for command in ("evaluate", "serve"):
        one_line_error(run_command(command, changed, image, run.parent / "rec"), 2,
                       str(run / "pool"), "trained again after the SQED store was built",
                       "rssqa build -c CONFIG")


def test_an_assessor_trained_on_the_store_before_it_was_rebuilt_is_refused_until_retrained(
        experiment, one_thread):
    """`rssqa build` after a pool change rebuilds the store from the new models; an assessor
    fitted to the old models' features would score the new ones without a word."""
    config, run, image = experiment
    pool = yaml.safe_load(config().read_text())["pool"]
    pool["train"]["epochs"] = 2
    changed = config(pool=pool)
    with torch_threads(1):
        assert invoke("build", changed, "--quiet").exit_code == 0
    for command in ("evaluate", "serve", "recommend"):
        before = folder_checksums(run / "assessors")
        one_line_error(run_command(command, changed, image, run.parent / "rec"), 2,
                       str(run / "assessors" / "prior" / "trained_for.json"),
                       "trained on an earlier build of the SQED store",
                       "rssqa train -c CONFIG --assessors prior")
        assert changed_files(before, folder_checksums(run / "assessors")) == []
    assert not (run.parent / "rec").exists()
    assert run_command("train", changed, image, None).exit_code == 0  # as the line says
    result = run_command("recommend", changed, image, run.parent / "rec")
    assert result.exit_code == 0, result.output


def test_an_unchanged_config_opens_the_experiment(experiment, one_thread):
    config, run, image = experiment
    for command in ("evaluate", "serve", "recommend"):
        result = run_command(command, config(), image, run.parent / "rec")
        assert result.exit_code == 0, (command, result.output)


def test_the_store_records_what_is_checked(trained):
    manifest = json.loads((trained.parent / "run" / "sqed" / "manifest.json").read_text())
    assert {"tile_size", "classmap", "encoder", "methods", "pool"} <= set(manifest)
    assert (trained.parent / "run" / "pool" / "raster.json").is_file()



def test_other_pool_training_settings_are_refused_but_not_another_thread_count(experiment, one_thread):
    config, *_ = experiment
    pool = yaml.safe_load(config().read_text())["pool"]
    longer = {**pool, "train": {**pool["train"], "epochs": 3}}
    refused(experiment, {"pool": longer}, "recommend",
            "pool.train is {'epochs': 3} in the config but {'epochs': 1} in the trained experiment")
    threads = {**pool, "train": {**pool["train"], "threads": 2}}
    _, run, image = experiment
    result = run_command("recommend", config(pool=threads), image, run.parent / "rec")
    assert result.exit_code == 0, result.output

@pytest.mark.parametrize("command", ["evaluate", "serve", "recommend"])
def test_a_target_other_than_the_one_the_assessor_learnt_is_refused_until_retrained(
        experiment, command, one_thread):
    """An assessor trained to predict OA would be read, ranked and evaluated as mIoU."""
    config, run, image = experiment
    changed = config(target="miou")
    before = folder_checksums(run / "pool", run / "sqed", run / "assessors")
    line = one_line_error(run_command(command, changed, image, run.parent / "rec"), 2,
                          str(run / "assessors" / "prior" / "trained_for.json"),
                          "target is miou in the config but oa in the trained experiment",
                          "rssqa train -c CONFIG --assessors prior")
    assert changed_files(before, folder_checksums(run / "pool", run / "sqed", run / "assessors")) == []
    assert not (run / "reports").exists() and not (run.parent / "rec").exists()
    assert "restore `target: oa`" in line
    assert run_command("train", changed, image, None).exit_code == 0  # as the line says
    result = run_command(command, changed, image, run.parent / "rec")
    assert result.exit_code == 0, result.output
    if command == "recommend":  # and its scores say which accuracy they are
        assert "predicted mIoU" in result.output
        assert json.loads((run.parent / "rec" / "recommendations.json").read_text())["accuracy"] == "miou"
