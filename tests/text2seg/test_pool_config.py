"""``{name: text2seg, kwargs: ...}`` in a pool config: built by the pipeline like any member that
rssqa does not train, recorded in the pool folder, and loaded back by ``load_pool``."""

from __future__ import annotations

import numpy as np
import yaml

from rssqa.config import load_config
from rssqa.stages import build_store
from rssqa.pool.training import load_pool
from tests.conftest import make_labelled_folder, tiny_config_dict

PROMPTS = {"building": "buildings", "land": "bare land", "water": "water"}


def test_pipeline_builds_a_store_with_a_text2seg_member(tmp_path, tiny_models):
    data = make_labelled_folder(tmp_path / "data")
    config = tiny_config_dict(data, tmp_path / "run")
    config["pool"] = {"methods": [{"name": "text2seg", "kwargs": {
        "label": "zero_shot", "route": "offline", "clip": str(tiny_models["lit"]),
        "prompts": PROMPTS, "background": "land", "options": {"n_segments": 8}}}]}
    config["sqed"] = {"test_fraction": 0.25, "batch_size": 8}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    experiment = load_config(path)
    store = build_store(experiment, verbose=False)
    assert store.methods == ["zero_shot"]
    assert store.array("seg_zero_shot").shape == (len(store.tiles), 3)  # pooled class scores
    oa = store.labels("oa")[:, 0]
    assert np.isfinite(oa).all() and ((0 <= oa) & (oa <= 1)).all()
    reloaded = load_pool(experiment.layout.pool)[0]
    tiles = np.asarray(store.array("images")[:2])
    np.testing.assert_array_equal(reloaded.segment(tiles).masks, np.asarray(store.predictions("zero_shot")[:2]))


def test_model_folders_are_recorded_as_absolute_paths(tmp_path, tiny_models, monkeypatch):
    """A pool folder is reloaded from anywhere (rssqa recommend, rssqa serve): relative model
    folders in the config are recorded resolved."""
    import json
    import shutil

    from rssqa.data.classmap import DUBAI_CLASSES
    from rssqa.pool.records import MEMBER_FILE, save_member

    shutil.copytree(tiny_models["lit"], tmp_path / "models" / "lit")
    monkeypatch.chdir(tmp_path)
    save_member(tmp_path / "pool" / "zero_shot", "text2seg",
                {"label": "zero_shot", "clip": "models/lit", "prompts": PROMPTS}, DUBAI_CLASSES)
    recorded = json.loads((tmp_path / "pool" / "zero_shot" / MEMBER_FILE).read_text())["kwargs"]
    assert recorded["clip"] == str((tmp_path / "models" / "lit").resolve())
    assert recorded["prompts"] == PROMPTS
