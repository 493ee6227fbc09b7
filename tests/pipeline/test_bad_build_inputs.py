"""Bad inputs to `rssqa build` and the commands around it: each is reported by file and reason
(in sqed_report.txt beside the store and on the console), a build goes on past one bad image, a
split left without a labelled tile stops the build with one line before anything trains, and
nothing an earlier run wrote is lost. The pool is a folder of saved predictions, so no case trains."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from rssqa.config import load_config
from rssqa.data.assignment import sqed_samples, sqed_split
from rssqa.data.labelled import load_source
from tests.conftest import make_labelled_folder, tiny_config_dict
from tests.pipeline.test_bad_inputs import invoke, keepsake, one_line_error, ztxt_bomb
from tests.pipeline.test_byo_members import true_classes

UNKNOWN = (12, 34, 56)  # a colour the tiny class map does not know


def byo_config(root, data, **changes) -> dict:
    """Four groups of two 64-px images, 32-px tiles, one predictions member (the true classes),
    SQED on every group, one test image per group."""
    config = tiny_config_dict(data, root / "run")
    config["pool"] = {"methods": [{"name": "predictions", "kwargs": {
        "label": "truth", "dir": str(root / "preds"), "format": "index"}}]}
    config["sqed"] = {"groups": ["g1", "g2", "g3", "g4"], "test_per_group": 1, "batch_size": 8}
    config.update(changes)
    return config


@pytest.fixture(scope="module")
def clean_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    data = make_labelled_folder(root / "data", groups=4, per_group=2)
    (root / "preds").mkdir()
    for image in sorted((data / "images").glob("*.png")):
        Image.fromarray(true_classes(data, image.stem)).save(root / "preds" / image.name)
    return root


@pytest.fixture
def experiment(clean_data, tmp_path, monkeypatch):
    """A fresh copy of the data and its config; returns a namespace with the paths, the splits
    and ``write(**changes)`` to rewrite the config."""
    shutil.copytree(clean_data / "data", tmp_path / "data")
    shutil.copytree(clean_data / "preds", tmp_path / "preds")
    path = tmp_path / "byo.yaml"

    def write(**changes):
        path.write_text(yaml.safe_dump(byo_config(tmp_path, tmp_path / "data", **changes)))
        return path
    write()
    config = load_config(path)
    samples, _ = load_source(config)
    split_of = sqed_split(sqed_samples(samples, config.split_rule), config.split_rule)
    train = sorted(s for s, split in split_of.items() if split == "train")
    test = sorted(s for s, split in split_of.items() if split == "test")
    _forbid_training(monkeypatch)
    return SimpleNamespace(root=tmp_path, config=path, run=tmp_path / "run", data=tmp_path / "data",
                           masks=tmp_path / "data" / "masks", images=tmp_path / "data" / "images",
                           train=train, test=test, write=write)


def _forbid_training(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a method was trained")
    monkeypatch.setattr("rssqa.pool.training.train_method", forbidden)


def paint_unknown(mask_path, pixels=6):
    mask = np.array(Image.open(mask_path).convert("RGB"))
    mask[10:10 + pixels // 2, 20:22] = UNKNOWN
    Image.fromarray(mask).save(mask_path)


def report(exp) -> str:
    return (exp.run / "sqed_report.txt").read_text()


def built(exp) -> dict:
    return json.loads((exp.run / "sqed" / "manifest.json").read_text())


# -- one bad image: reported by name and reason, the build goes on ----------------------------------

def test_unknown_mask_colour_is_reported_with_pixel_counts_and_the_build_goes_on(experiment):
    bad = experiment.train[0]
    paint_unknown(experiment.masks / f"{bad}.png")
    result = invoke("build", experiment.config, "--quiet")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert f"{bad}.png: mask has 1 colour(s) the class map does not know: #0C2238 (6 px)" in result.output
    assert "sqed_report.txt" in result.output
    text = report(experiment)
    assert f"[train] {bad}: mask colour or value not in the class map" in text and "#0C2238 (6 px)" in text
    assert "train: 3 usable image(s)" in text
    manifest = built(experiment)
    assert [entry["source_id"] for entry in manifest["skipped"]] == [bad]
    assert manifest["tiles"] == 7 * 4  # every other image's tiles were built


def test_mask_of_another_size_is_reported_with_both_sizes(experiment):
    bad = experiment.test[0]
    mask = Image.open(experiment.masks / f"{bad}.png")
    mask.crop((0, 0, 64, 48)).save(experiment.masks / f"{bad}.png")
    result = invoke("build", experiment.config, "--quiet")
    assert result.exit_code == 0, result.output
    assert f"{bad}.png: mask is 48x64 (height x width) but its image is 64x64" in result.output
    assert "mask of another size than its image" in report(experiment)
    assert built(experiment)["tiles"] == 7 * 4


def test_anti_aliased_mask_edges_are_named_as_such(experiment):
    bad = experiment.train[1]
    path = experiment.masks / f"{bad}.png"
    smooth = Image.open(path).convert("RGB").resize((32, 32), Image.BILINEAR).resize((64, 64), Image.BILINEAR)
    smooth.save(path)
    result = invoke("build", experiment.config, "--quiet")
    assert result.exit_code == 0, result.output
    assert "anti-aliased" in result.output and "nearest-neighbour" in report(experiment)
    assert f"[train] {bad}: anti-aliased mask edges" in report(experiment)


def test_an_image_with_truncated_pixels_is_skipped_while_building(experiment):
    bad = experiment.test[1]
    truncate_pixels(experiment, [bad])
    result = invoke("build", experiment.config, "--quiet")
    assert result.exit_code == 0, result.output
    assert f"[test] {bad}: unreadable file" in report(experiment)
    assert [entry["source_id"] for entry in built(experiment)["skipped"]] == [bad]


def test_a_ztxt_bomb_among_the_images_is_skipped(experiment):
    bad = experiment.train[2]
    path = experiment.images / f"{bad}.png"
    ztxt_bomb(path)  # a 40x48 image: also too small for its mask, whichever is found first
    result = invoke("build", experiment.config, "--quiet")
    assert result.exit_code == 0, result.output
    assert bad in report(experiment) and "Traceback" not in result.output


def test_a_16_bit_image_is_found_from_its_header_before_the_build(experiment, monkeypatch):
    from rssqa.data import io

    bad = experiment.test[0]
    path = experiment.images / f"{bad}.png"
    Image.fromarray(np.full((64, 64), 4000, np.uint16)).save(path)
    decoded = []
    real_decode = io._decode_rgb
    monkeypatch.setattr(io, "_decode_rgb", lambda img, p, what: decoded.append(Path(p).stem)
                        or real_decode(img, p, what))
    result = invoke("build", experiment.config, "--quiet")
    assert result.exit_code == 0, result.output
    assert f"{bad}.png: image has 1 band(s) in Pillow mode 'I;16', not 8-bit RGB" in result.output
    assert f"[test] {bad}: not 8-bit RGB" in report(experiment)
    assert bad not in decoded  # refused by the check, never read by the build loop


def test_a_member_failing_on_one_image_skips_only_that_image(experiment, monkeypatch):
    from rssqa.pool.predictions import PredictionsMember

    bad = experiment.train[0]
    segment = PredictionsMember.segment

    def fragile(self, images, refs=None):
        if any(ref.key == bad for ref in refs or []):
            raise RuntimeError("the member fell over")
        return segment(self, images, refs)
    monkeypatch.setattr(PredictionsMember, "segment", fragile)
    result = invoke("build", experiment.config, "--quiet")
    assert result.exit_code == 0, result.output
    assert f"[train] {bad}: unexpected error" in report(experiment)
    assert "RuntimeError: the member fell over" in report(experiment)
    manifest = built(experiment)
    assert [entry["source_id"] for entry in manifest["skipped"]] == [bad]
    assert manifest["tiles"] == 7 * 4  # the batch's other images were retried and kept


# -- a split without a labelled tile: one line, before anything trains ----------------------------

def test_no_train_tile_left_stops_before_training_and_keeps_the_earlier_store(experiment):
    kept = keepsake(experiment.run / "sqed")
    for stem in experiment.train:
        paint_unknown(experiment.masks / f"{stem}.png")
    result = invoke("build", experiment.config, "--quiet")
    one_line_error(result, 2, "SQED train split has no labelled 32-px tile",
                   "4 source image(s) planned, none usable", "mask colour or value not in the class map: 4",
                   "before training the pool", "sqed_report.txt")
    assert kept.read_text() == "keep me"
    assert not (experiment.run / "pool").exists()
    assert report(experiment).count("[train]") == 4


def test_no_usable_tile_at_all_names_the_tile_size(experiment):
    experiment.write(tile_size=128)
    result = invoke("build", experiment.config, "--quiet")
    one_line_error(result, 2, "no labelled 128-px tile", "no labelled tile: ")
    assert "smaller than one tile" in report(experiment)


def test_every_pixel_ignored_is_no_labelled_tile(experiment):
    black = np.zeros((64, 64, 3), np.uint8)  # the class map's ignore colour
    for stem in experiment.test:
        Image.fromarray(black).save(experiment.masks / f"{stem}.png")
    result = invoke("build", experiment.config, "--quiet")
    one_line_error(result, 2, "SQED test split has no labelled 32-px tile")
    assert "every pixel ignored" in report(experiment)


def test_pool_training_data_without_a_tile_stops_before_training(experiment, tiny_dataset):
    data = tiny_config_dict(experiment.data, experiment.run)  # trained pool on g1, g2
    data["sqed"] = {"groups": ["g3", "g4"], "test_per_group": 1, "batch_size": 8}
    experiment.config.write_text(yaml.safe_dump(data))
    for stem in ("g1_img1", "g1_img2", "g2_img1", "g2_img2"):
        paint_unknown(experiment.masks / f"{stem}.png")
    result = invoke("build", experiment.config, "--quiet")
    one_line_error(result, 2, "the pool training data has no labelled 32-px tile")
    assert report(experiment).count("[pool]") == 4


def truncate_pixels(exp, stems) -> dict:
    """Cut the end off each image: its header still reads, so only the build loop finds it."""
    originals = {}
    for stem in stems:
        path = exp.images / f"{stem}.png"
        originals[stem] = path.read_bytes()
        path.write_bytes(originals[stem][:-200])
    return originals


def test_train_pool_without_a_labelled_tile_is_one_line(experiment):
    data = tiny_config_dict(experiment.data, experiment.run)
    experiment.config.write_text(yaml.safe_dump(data))
    for stem in ("g1_img1", "g1_img2", "g2_img1", "g2_img2"):
        paint_unknown(experiment.masks / f"{stem}.png")
    result = invoke("train-pool", experiment.config, "--quiet")
    one_line_error(result, 2, "no labelled 32-px tile in the 4 source image(s) of the pool's "
                   "training data (4 skipped; first:", "#0C2238")
    assert not (experiment.run / "pool" / "fpn").exists()


def test_a_split_emptied_while_building_stops_and_keeps_the_finished_tiles(experiment):
    truncate_pixels(experiment, experiment.test)
    result = invoke("build", experiment.config, "--quiet")
    one_line_error(result, 2, "SQED test split has no labelled 32-px tile", "while building the SQED")
    shards = list((experiment.run / "sqed" / "shards").rglob("*.npz"))
    assert len(shards) == 4 * 4  # the train images' tiles are kept for the next run
    assert not (experiment.run / "sqed" / "manifest.json").exists()


def test_a_fixed_input_resumes_from_the_kept_tiles(experiment):
    originals = truncate_pixels(experiment, experiment.test)
    assert invoke("build", experiment.config, "--quiet").exit_code == 2
    for stem, data in originals.items():
        (experiment.images / f"{stem}.png").write_bytes(data)
    result = invoke("build", experiment.config, "--quiet")
    assert result.exit_code == 0, result.output
    assert built(experiment)["last_run"]["tiles_reused"] == 4 * 4
    assert built(experiment)["skipped"] == []


# -- source folders -------------------------------------------------------------------------------

def test_a_missing_masks_folder_is_one_line(experiment):
    shutil.rmtree(experiment.masks)
    one_line_error(invoke("build", experiment.config, "--quiet"), 2, "mask folder does not exist")


def test_a_file_named_nothing_like_the_group_pattern_is_one_line(experiment):
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(experiment.images / "stray.png")
    shutil.copy(experiment.masks / "g1_img1.png", experiment.masks / "stray.png")
    one_line_error(invoke("build", experiment.config, "--quiet"), 2, "stray.png",
                   "does not match group_pattern")


# -- output folders -------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["build", "train-pool", "train", "evaluate"])
def test_output_under_a_regular_file_fails_first(experiment, command):
    blocker = experiment.root / "blocker"
    blocker.write_text("a file, not a folder")
    experiment.write(output=str(blocker / "run"))
    one_line_error(invoke(command, experiment.config, "--quiet" if command != "evaluate" else "--n-boot=10"),
                   2, "lies under the regular file", "set `output:` in")
    assert blocker.read_text() == "a file, not a folder"


def test_unwritable_output_fails_before_any_image_is_read(experiment, monkeypatch):
    import os

    monkeypatch.setattr("rssqa.stages.load_source", lambda *a: pytest.fail("data was read"))
    locked = experiment.root / "locked"
    kept = keepsake(locked)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p) == str(locked)
                        else real_access(p, mode, **kw))
    experiment.write(output=str(locked / "run"))
    one_line_error(invoke("build", experiment.config, "--quiet"), 2, "cannot be written")
    assert kept.read_text() == "keep me" and not (locked / "run").exists()


def test_demo_out_under_a_regular_file_fails_first(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("keep")
    one_line_error(invoke("demo", "--out", blocker / "demo", "--quiet"), 2, "regular file")
    assert blocker.read_text() == "keep"


# -- stores missing a split -----------------------------------------------------------------------

@pytest.mark.parametrize("command, held, missing", [("train", ["test"], "train"),
                                                    ("evaluate", ["train"], "test")])
def test_a_store_without_a_split_is_one_line(experiment, monkeypatch, command, held, missing):
    from rssqa.sqed.store import SQEDStore

    store = SimpleNamespace(root=experiment.run / "sqed", tiles=pd.DataFrame({"split": held}))
    monkeypatch.setattr(SQEDStore, "open", classmethod(lambda cls, root: store))
    one_line_error(invoke(command, experiment.config), 2, f"has no {missing} split",
                   "rssqa build", "sqed_report.txt")
    assert not (experiment.run / f"run_{command}.json").exists()


def test_train_without_a_store_is_one_line(experiment):
    one_line_error(invoke("train", experiment.config, "--quiet"), 2, "is not a finished SQED store")
