"""``{name: text2seg, kwargs: ...}`` in a pool config: built by the pipeline like any member that
rssqa does not train, recorded in the pool folder, and loaded back by ``load_pool``."""

from __future__ import annotations

import numpy as np
import yaml

from rssqa.config import load_config
from rssqa.pipeline import Layout, build_store, load_pool
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
    reloaded = load_pool(Layout(experiment.output_dir).pool)[0]
    tiles = np.asarray(store.array("images")[:2])
    np.testing.assert_array_equal(reloaded.segment(tiles).masks, np.asarray(store.predictions("zero_shot")[:2]))
