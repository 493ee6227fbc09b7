"""Refusals: a missing, foreign or mismatched checkpoint folder is an error naming the folder."""

from __future__ import annotations

import json
import shutil

import pytest

from rssqa.errors import CheckpointError, InputError
from rssqa.text2seg import Text2SegMember
from tests.text2seg.conftest import CLASSMAP, PROMPTS


def member(route="sam-clip", **models):
    return Text2SegMember(classmap=CLASSMAP, prompts=PROMPTS, route=route, **models)


def test_missing_folder_is_named(tmp_path, tiny_models):
    missing = tmp_path / "no_such_sam"
    with pytest.raises(InputError, match="no_such_sam.*SAM model folder does not exist.*never downloads"):
        member(sam=str(missing), clip=str(tiny_models["clip"]))


def test_route_without_its_model_says_which_kwarg(tiny_models):
    with pytest.raises(InputError, match="local SAM model folder.*sam: <folder>"):
        member(clip=str(tiny_models["clip"]))
    with pytest.raises(InputError, match="local CLIP model folder.*clip: <folder>.*pretrain-clip"):
        member(route="offline")


def test_folder_of_another_model_is_refused(tiny_models):
    with pytest.raises(CheckpointError, match=r"grounding_dino: holds a 'grounding-dino' model, not SAM"):
        member(sam=str(tiny_models["grounding_dino"]), clip=str(tiny_models["clip"]))


def test_folder_without_config_is_refused(tmp_path, tiny_models):
    (tmp_path / "weights_only").mkdir()
    with pytest.raises(InputError, match="weights_only: has no config.json"):
        member(sam=str(tmp_path / "weights_only"), clip=str(tiny_models["clip"]))


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path, tiny_models):
    folder = tmp_path / "sam_mismatched"
    shutil.copytree(tiny_models["sam"], folder)
    config = json.loads((folder / "config.json").read_text())
    config["vision_config"]["hidden_size"] = 32  # the saved weights are 16 wide
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="sam_mismatched.*SAM"):
        member(sam=str(folder), clip=str(tiny_models["clip"]))


def test_open_clip_folder_with_missing_weights_is_refused(tmp_path, tiny_models):
    folder = tmp_path / "lit_no_weights"
    shutil.copytree(tiny_models["lit"], folder)
    (folder / "open_clip_model.safetensors").unlink()
    with pytest.raises(InputError, match="lit_no_weights.*no weights"):
        member(route="offline", clip=str(folder))


def test_unknown_route_option_and_class_are_refused(tiny_models):
    lit = str(tiny_models["lit"])
    with pytest.raises(InputError, match="unknown Text2Seg route 'sam2'.*grounded-sam"):
        member(route="sam2", clip=lit)
    with pytest.raises(InputError, match=r"unknown setting\(s\) points_per_side.*n_segments"):
        Text2SegMember(classmap=CLASSMAP, prompts=PROMPTS, route="offline", clip=lit,
                       options={"points_per_side": 8})
    with pytest.raises(InputError, match=r"classes \['Building'\].*building, land"):
        Text2SegMember(classmap=CLASSMAP, prompts={"Building": "x"}, route="offline", clip=lit)
