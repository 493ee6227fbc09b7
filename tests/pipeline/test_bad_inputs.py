"""Bad inputs a user can give the CLI: each ends in one clear line and an exit code, loses nothing
that was there before, and shows a traceback only under ``--debug``."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from rssqa.cli import app
from rssqa.data.classmap import ClassMap
from rssqa.errors import InputError
from tests.conftest import CLASSMAP, tiny_config_dict

runner = CliRunner()
METHODS = ["fpn", "deeplabv3plus"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, code: int, *needles: str) -> str:
    """The run exited with ``code``, printed no traceback and exactly one ``error:`` line holding
    every needle; returns that line."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def write_config(tmp_path, **changes):
    data = tiny_config_dict(tmp_path / "data", tmp_path / "run")
    data.update(changes)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def keepsake(folder, name="earlier.txt", text="keep me"):
    """A file from an earlier run that a failing command must leave as it was (in a stage's
    folder, the experiment folder above it is marked, as an earlier run leaves it)."""
    from rssqa.claimed_folders import EXPERIMENT

    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    if folder.name in EXPERIMENT.names:
        (folder.parent / EXPERIMENT.marker).touch()
    return folder / name


# -- unknown names --------------------------------------------------------------------------------

def test_unknown_method_in_config_is_one_line_listing_the_known(tmp_dataset_config):
    config, run = tmp_dataset_config(pool_methods=["fpn", "no-such-net"])
    kept = keepsake(run / "pool")
    line = one_line_error(invoke("train-pool", config, "--quiet"), 2,
                          "unknown segmentation method 'no-such-net'", "fpn", "unet")
    assert "KeyError" not in line
    assert kept.read_text() == "keep me"
    assert not (run / "pool" / "fpn").exists()  # it failed before training anything


def test_unknown_method_is_still_a_key_error_for_library_callers():
    from rssqa.segzoo import get_method

    with pytest.raises(KeyError):
        get_method("no-such-net")
    with pytest.raises(InputError, match="use one of"):
        get_method("no-such-net")


def test_unknown_assessor_for_train_is_one_line(tmp_dataset_config):
    config, run = tmp_dataset_config()
    kept = keepsake(run / "assessors")
    one_line_error(invoke("train", config, "--assessors", "rssqa,nope", "--quiet"), 2,
                   "unknown assessor 'nope'", "rssqa", "agreement")
    assert kept.read_text() == "keep me"
    assert not (run / "run_train.json").exists()  # nothing recorded for a run that never started


def test_unknown_assessor_for_recommend_names_the_trained_ones(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    one_line_error(invoke("recommend", images, "-c", config, "--assessor", "nope", "--quiet"), 2,
                   "no trained assessor 'nope'", "rssqa")
    assert not (run / "recommend").exists()


# -- config values --------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [-64, 0])
def test_tile_size_must_be_positive(tmp_path, size):
    config = write_config(tmp_path, tile_size=size)
    kept = keepsake(tmp_path / "run")
    one_line_error(invoke("build", config, "--quiet"), 2, "bad.yaml", "tile_size", str(size))
    assert kept.read_text() == "keep me"
    assert not (tmp_path / "run" / "run_build.json").exists()


@pytest.mark.parametrize("train,needle", [({"epochs": 0}, "epochs must be at least 1, got 0"),
                                           ({"batch_size": 0}, "batch_size must be at least 1"),
                                           ({"lr": -0.001}, "lr must be positive, got -0.001")])
def test_pool_training_values_out_of_range_are_one_line_before_anything_trains(tmp_path, train,
                                                                              needle):
    data = tiny_config_dict(tmp_path / "data", tmp_path / "run")
    data["pool"]["train"].update(train)
    config = write_config(tmp_path, pool=data["pool"])
    kept = keepsake(tmp_path / "run")
    one_line_error(invoke("build", config, "--quiet"), 2, "bad.yaml", needle, "pool.train")
    assert kept.read_text() == "keep me" and not (tmp_path / "run" / "pool").exists()


def test_a_group_in_both_the_pool_and_the_sqed_is_refused(tmp_path):
    data = tiny_config_dict(tmp_path / "data", tmp_path / "run")
    config = write_config(tmp_path, sqed={**data["sqed"], "groups": ["g2", "g3"]})
    kept = keepsake(tmp_path / "run")
    one_line_error(invoke("build", config, "--quiet"), 2, "g2", "both pool.groups and sqed.groups")
    assert kept.read_text() == "keep me" and not (tmp_path / "run" / "pool").exists()


def test_an_images_dir_that_is_a_file_is_named_as_such(tmp_path):
    data = tiny_config_dict(tmp_path / "data", tmp_path / "run")
    (tmp_path / "scene.png").write_bytes(b"not a folder")
    config = write_config(tmp_path, data={**data["data"], "images_dir": str(tmp_path / "scene.png")})
    one_line_error(invoke("build", config, "--quiet"), 2, "scene.png", "image is a file, not a folder")


def test_an_encoder_input_size_of_zero_is_one_line_before_the_pool_trains(tmp_path, tiny_dataset):
    config = write_config(tmp_path, data={**tiny_config_dict(tiny_dataset, tmp_path)["data"]}, encoder={"name": "efficientnet-lite0",
                                             "kwargs": {"input_size": 0, "pretrained": False}})
    one_line_error(invoke("build", config, "--quiet"), 2, "encoder input_size", "got 0")
    assert not (tmp_path / "run" / "pool").exists()


def test_tile_size_is_checked_by_load_config(tmp_path):
    from rssqa.config import load_config

    with pytest.raises(InputError, match="tile_size must be a positive"):
        load_config(write_config(tmp_path, tile_size=-64))


# -- output folders -------------------------------------------------------------------------------

def test_out_under_a_regular_file_fails_before_any_model_loads(fake_experiment, tmp_path, monkeypatch):
    config, run, images = fake_experiment
    _forbid_model_loading(monkeypatch)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    one_line_error(invoke("recommend", images, "-c", config, "--out", blocker / "sub", "--quiet"), 2,
                   "regular file", "blocker")
    assert blocker.read_text() == "a file, not a folder"
    one_line_error(invoke("recommend", images, "-c", config, "--out", blocker, "--quiet"), 2,
                   "is a regular file")
    assert blocker.read_text() == "a file, not a folder"


def test_out_that_cannot_be_written_fails_before_any_model_loads(fake_experiment, tmp_path, monkeypatch):
    import os

    config, run, images = fake_experiment
    _forbid_model_loading(monkeypatch)
    locked = tmp_path / "locked"
    kept = keepsake(locked)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p) == str(locked)
                        else real_access(p, mode, **kw))  # root ignores chmod, so pretend
    one_line_error(invoke("recommend", images, "-c", config, "--out", locked / "new", "--quiet"), 2,
                   "cannot be written", "locked")
    assert kept.read_text() == "keep me"
    assert not (locked / "new").exists()


# -- --debug --------------------------------------------------------------------------------------

def test_debug_shows_the_traceback(tmp_path):
    result = runner.invoke(app, ["--debug", "build", str(tmp_path / "nope.yaml")])
    assert isinstance(result.exception, InputError)
    assert "config file not found" in str(result.exception)
    plain = invoke("build", tmp_path / "nope.yaml")
    one_line_error(plain, 2, "nope.yaml", "config file not found")


# -- per-image isolation and batch exit codes ------------------------------------------------------

def ztxt_bomb(path, megabytes=4):
    """A valid small PNG whose compressed zTXt chunk inflates past Pillow's text limit: Pillow
    raises ValueError (not OSError) when it reads the file, which rssqa reports as unreadable."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("comment", "x" * (megabytes << 20), zip=True)
    Image.fromarray(np.full((40, 48, 3), 90, np.uint8)).save(path, pnginfo=info)
    return path


def test_the_ztxt_bomb_is_an_unreadable_image(tmp_path):
    from rssqa.data.io import read_image

    with pytest.raises(InputError, match="cannot be read as an image .ValueError"):
        read_image(ztxt_bomb(tmp_path / "bomb.png"))


def test_a_bad_image_is_skipped_and_the_batch_goes_on(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    ztxt_bomb(images / "a2_bomb.png")  # sorts between a.png and b.png
    Image.fromarray(np.full((40, 48, 3), 255, np.uint8)).save(images / "a3_poison.png")
    out = tmp_path / "out"
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "recommended a method for 2 of 4 image(s); skipped 2" in result.output
    assert "a2_bomb.png" in result.output and "a3_poison.png" in result.output
    picks = read_json(out / "recommendations.json")
    assert set(picks["recommended"]) == {"a", "b"}  # the image after the bad ones still ran
    skipped = {entry["image"].rsplit("/", 1)[-1]: entry["error"] for entry in picks["skipped"]}
    assert set(skipped) == {"a2_bomb.png", "a3_poison.png"}
    assert "ValueError" in skipped["a2_bomb.png"] and "RuntimeError" in skipped["a3_poison.png"]
    assert (out / "b_segmentation.png").exists() and not (out / "a2_bomb_segmentation.png").exists()
    import pandas as pd

    assert sorted(pd.read_csv(out / "scores.csv")["image"].unique()) == ["a", "b"]


def test_a_good_batch_exits_0_with_a_summary_under_quiet(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    result = invoke("recommend", images, "-c", config, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.output
    assert "recommended a method for 2 of 2 image(s)" in result.output


def test_no_usable_image_exits_2_and_keeps_the_earlier_tables(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assert invoke("recommend", images, "-c", config, "--out", out, "--quiet").exit_code == 0
    before = {name: (out / name).read_bytes() for name in ("scores.csv", "recommendations.json")}
    bad = tmp_path / "bad"
    bad.mkdir()
    ztxt_bomb(bad / "bomb.png")
    (bad / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = invoke("recommend", bad, "-c", config, "--out", out, "--overwrite", "--quiet")
    one_line_error(result, 2, "none of the 2 image(s) could be processed")
    assert "bomb.png" in result.output and "broken.jpg" in result.output  # reasons, even under -q
    assert {name: (out / name).read_bytes() for name in before} == before  # no 1-byte scores.csv


# -- output names ---------------------------------------------------------------------------------

def test_repeated_stems_keep_their_suffix(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    Image.fromarray(np.full((40, 48, 3), 70, np.uint8)).save(images / "dup.jpg")
    Image.fromarray(np.full((40, 48, 3), 80, np.uint8)).save(images / "dup.png")
    out = tmp_path / "out"
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    for stem in ("a", "b", "dup_jpg", "dup_png"):  # unique stems keep their plain names
        assert (out / f"{stem}_segmentation.png").exists() and (out / f"{stem}_labels.png").exists()
    assert not (out / "dup_segmentation.png").exists()
    import pandas as pd

    scores = pd.read_csv(out / "scores.csv")
    assert sorted(scores["image"].unique()) == ["a", "b", "dup.jpg", "dup.png"]
    assert scores.groupby("image")["recommended"].sum().tolist() == [1, 1, 1, 1]
    assert set(read_json(out / "recommendations.json")["recommended"]) == {"a", "b", "dup.jpg", "dup.png"}


def test_output_names_never_collide():
    from pathlib import Path

    from rssqa.recommend import output_names

    paths = [Path(p) for p in ("x/dup.jpg", "x/DUP.png", "x/dup_jpg.tif", "x/solo.png")]
    names = output_names(paths)
    assert names[3] == ("solo", "solo")
    assert names[0] == ("dup.jpg", "dup_jpg") and names[1] == ("DUP.png", "DUP_png")
    assert len({key.lower() for _, key in names}) == 4
    assert len({label.lower() for label, _ in names}) == 4


# -- fixtures -------------------------------------------------------------------------------------

@pytest.fixture
def tmp_dataset_config(tiny_dataset, tmp_path):
    def make(pool_methods=METHODS):
        data = tiny_config_dict(tiny_dataset, tmp_path / "run", methods=tuple(pool_methods))
        path = tmp_path / "tiny.yaml"
        path.write_text(yaml.safe_dump(data))
        return path, tmp_path / "run"
    return make


class _FakeAssessor:
    default_method = None


def _fake_assess(self, image, name="image", all_masks=False):
    from rssqa.recommend import ImageAssessment

    if image.mean() > 250:  # the tests' "poison" image: a failure that is not an InputError
        raise RuntimeError("the assessor fell over")
    scores = np.array([0.9, 0.8])
    return ImageAssessment(name, list(self.methods), scores[None], scores, self.methods[0],
                           np.zeros(image.shape[:2], np.uint8))


def _forbid_model_loading(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a model was loaded before the output folder was checked")
    monkeypatch.setattr("rssqa.experiment.load_pool", forbidden)
    monkeypatch.setattr("rssqa.experiment.build_encoder", forbidden)


@pytest.fixture
def fake_experiment(tmp_path, monkeypatch):
    """A config whose 'trained' experiment is stood in for by fakes, so the CLI's recommend runs
    in milliseconds; returns (config, run folder, a folder of two good images)."""
    from rssqa.sqed.store import SQEDStore
    from rssqa.recommend import Recommender

    run = tmp_path / "run"
    (run / "assessors" / "rssqa").mkdir(parents=True)
    (run / "sqed").mkdir()
    (run / "sqed" / "manifest.json").write_text("{}")  # "built": SQEDStore.open is faked below
    config = tmp_path / "exp.yaml"
    config.write_text(yaml.safe_dump(tiny_config_dict(tmp_path / "data", run)))
    store = SimpleNamespace(methods=METHODS, manifest={"classmap": CLASSMAP},
                            classmap=ClassMap.from_dict(CLASSMAP))
    monkeypatch.setattr(SQEDStore, "open", classmethod(lambda cls, root: store))
    monkeypatch.setattr("rssqa.experiment.load_pool",
                        lambda folder, methods=None: [SimpleNamespace(name=m, meta={}) for m in METHODS])
    monkeypatch.setattr("rssqa.experiment.build_encoder", lambda cfg: None)
    monkeypatch.setattr("rssqa.experiment.load_assessor", lambda folder: _FakeAssessor())
    monkeypatch.setattr(Recommender, "assess", _fake_assess)
    # the fake store records no trained settings to hold against
    monkeypatch.setattr("rssqa.experiment.check_trained_settings", lambda *args: None)
    images = tmp_path / "images"
    images.mkdir()
    for i, name in enumerate(["a.png", "b.png"]):
        Image.fromarray(np.full((40, 48, 3), 40 * (i + 1), np.uint8)).save(images / name)
    return config, run, images


def read_json(path):
    return json.loads(path.read_text())


def test_a_second_run_into_the_same_folder_needs_overwrite(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assert invoke("recommend", images, "-c", config, "--out", out, "--quiet").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
    one_line_error(result, 2, "of an earlier `rssqa recommend`")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_overwrite_removes_the_stale_results_it_owns_and_nothing_else(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assert invoke("recommend", images, "-c", config, "--out", out, "--quiet").exit_code == 0
    keepsake(out)
    first, *rest = sorted(p for p in images.iterdir())
    single = tmp_path / "single"
    single.mkdir()
    (single / first.name).write_bytes(first.read_bytes())
    assert invoke("recommend", single, "-c", config, "--out", out, "--overwrite",
                  "--quiet").exit_code == 0
    segmentations = sorted(p.name for p in out.glob("*_segmentation.png"))
    assert segmentations == [f"{first.stem}_segmentation.png"]  # the others' were stale
    assert (out / "earlier.txt").read_text() == "keep me"  # not ours: untouched


# -- files the fuzzing found, and folders named like images ----------------------------------------

def test_a_folder_named_like_an_image_is_reported_as_a_folder(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    (images / "x.png").mkdir()
    result = invoke("recommend", images, "-c", config, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 1, result.output
    assert "x.png: is a folder, not an image" in result.output
    assert "does not exist" not in result.output
    assert "recommended a method for 2 of 3 image(s); skipped 1" in result.output


def test_a_damaged_header_found_by_fuzzing_is_skipped_by_name(fake_experiment, tmp_path):
    from tests.data.test_fuzz_image_io import truncated_ihdr_png

    config, run, images = fake_experiment
    name = "ihdr.png"  # Pillow raises ValueError for it, not OSError
    (images / name).write_bytes(truncated_ihdr_png())
    out = tmp_path / "out"
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{name}: cannot be read as an image (ValueError" in result.output
    assert set(read_json(out / "recommendations.json")["recommended"]) == {"a", "b"}
