"""CLIP-RS never deletes or writes over what it did not write: a stage folder without its record, a model
folder that is not a saved CLIP, stops the run with one line instead."""

from __future__ import annotations

import pytest

from rssqa.cliprs.command import _discard_stage
from rssqa.errors import InputError


def test_no_resume_discards_only_stage_folders_it_wrote(tmp_path):
    ours = tmp_path / "captions"
    ours.mkdir()
    (ours / "stage.json").write_text('{"fingerprint": "abc", "done": true}')
    _discard_stage(ours)
    assert not ours.exists()
    theirs = tmp_path / "crops"
    theirs.mkdir()
    (theirs / "field_photo.jpg").write_bytes(b"precious")
    with pytest.raises(InputError, match="no stage.json"):
        _discard_stage(theirs)
    assert (theirs / "field_photo.jpg").read_bytes() == b"precious"


def test_saving_a_clip_model_over_a_users_folder_is_refused(tmp_path):
    from rssqa.encoders.openclip import save_open_clip

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a CLIP folder rssqa saved"):
        save_open_clip(clip=None, model_cfg={}, directory=folder)
    assert (folder / "notes.txt").read_text() == "mine"


def test_a_training_output_holding_somebodys_log_is_refused_untouched(tmp_path):
    from rssqa.cliprs.train import ClipTrainConfig, train_clip

    (tmp_path / "train_log.jsonl").write_text("my own log\n")
    config = ClipTrainConfig(model="local-dir:nowhere", train_data="nowhere.tsv",
                             output_dir=str(tmp_path))
    with pytest.raises(InputError, match="train_log.jsonl, not written by rssqa"):
        train_clip(config, verbose=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train_log.jsonl"]


def test_a_pipeline_run_dir_holding_somebodys_crops_is_refused_untouched(tmp_path):
    from rssqa.cliprs.pipeline import PipelineConfig, run_pipeline

    (tmp_path / "crops").mkdir()
    (tmp_path / "crops" / "field_photo.jpg").write_bytes(b"precious")
    with pytest.raises(InputError, match="crops, not written by rssqa"):
        run_pipeline(PipelineConfig(run_dir=str(tmp_path), data={"kind": "demo"}, pretrain_groups=["tile1"],
                                    eval_groups=["tile2"]), verbose=False)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["crops", "field_photo.jpg"]
