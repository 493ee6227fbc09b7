"""The SQED builder: labels and features per tile x method, one encoder pass per tile, resumable."""

import numpy as np
import pytest
import yaml

from rssqa.config import load_config
from rssqa.sqed import builder as build_module
from rssqa.sqed.store import SQEDStore
from rssqa.stages import build_store
from rssqa.pool.training import train_pool


@pytest.fixture(scope="module")
def config(tiny_dataset, tmp_path_factory):
    from tests.conftest import tiny_config_dict

    path = tmp_path_factory.mktemp("cfg") / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config_dict(tiny_dataset, path.parent / "run")))
    return load_config(path)


@pytest.fixture(scope="module")
def store(config):
    return build_store(config, verbose=False)


def test_store_has_a_row_per_tile_and_method_with_valid_labels(store):
    # g3 and g4: 3 images each, four 32-px tiles per 64-px image
    assert len(store.tiles) == 24
    assert len(store.records) == 24 * len(store.methods)
    assert store.records[["oa", "miou", "f1"]].apply(lambda c: c.between(0, 1)).all().all()
    assert set(store.tiles["split"]) == {"train", "test"}
    # split by source image: no image has tiles in both splits
    assert (store.tiles.groupby("source_id")["split"].nunique() == 1).all()


def test_inputs_align_features_and_labels(store):
    test = store.inputs("test")
    assert test.targets.shape == (len(test), len(store.methods))
    assert test.semantic_tokens.shape[0] == len(test)
    for m in store.methods:
        assert test.seg_features[m].shape[0] == len(test)
        assert test.confidence[m].shape == (len(test), 2)
    oa = store.records.set_index(["tile_id", "method"])["oa"]
    assert test.targets[0, 1] == pytest.approx(oa[(test.tile_ids[0], store.methods[1])])


def test_label_matches_stored_prediction(store):
    from rssqa.metrics import segmentation_scores

    masks = store.array("masks")
    method = store.methods[0]
    pred = store.predictions(method)
    scores = segmentation_scores(pred[3], masks[3], 3)
    assert store.labels("oa")[3, 0] == pytest.approx(scores["oa"])


def test_encoder_runs_once_per_tile_whatever_the_pool_size(store):
    run = store.manifest["last_run"]
    assert run["encoder_forwards"] == len(store.tiles)


def test_rerun_of_a_complete_store_recomputes_nothing(config, store, monkeypatch):
    monkeypatch.setattr(build_module, "_build_batch", lambda *a, **k: pytest.fail("recomputed a tile"))
    again = build_store(config, verbose=False)
    assert again.manifest["fingerprint"] == store.manifest["fingerprint"]


def test_killed_build_resumes_without_recomputing_and_gives_identical_store(config, store, tmp_path,
                                                                            monkeypatch):
    from dataclasses import replace

    pool = train_pool(config, verbose=False)  # cached: no training here
    cut = replace(config, output=str(tmp_path / "cut"))
    for member in pool:  # reuse the trained pool in the new output folder
        (tmp_path / "cut" / "pool" / member.method.name).mkdir(parents=True)
        for f in (config.output_dir / "pool" / member.method.name).iterdir():
            (tmp_path / "cut" / "pool" / member.method.name / f.name).write_bytes(f.read_bytes())

    real_batch, calls = build_module._build_batch, []
    def dies_on_second_batch(batch, *args):
        calls.append(len(batch))
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if killed mid-build
        real_batch(batch, *args)
    monkeypatch.setattr(build_module, "_build_batch", dies_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        build_store(cut, verbose=False)
    assert not (tmp_path / "cut" / "sqed" / "manifest.json").exists()

    monkeypatch.setattr(build_module, "_build_batch", real_batch)
    resumed = build_store(cut, verbose=False)
    assert resumed.manifest["last_run"]["tiles_reused"] == calls[0]
    assert resumed.manifest["last_run"]["encoder_forwards"] == len(store.tiles) - calls[0]
    for name in ["semantic_tokens", "images", *[f"seg_{m}" for m in store.methods]]:
        np.testing.assert_array_equal(resumed.array(name), store.array(name))
    assert resumed.records.equals(store.records)


def test_unfinished_folder_is_not_opened_as_a_store(tmp_path):
    from rssqa.errors import InputError

    with pytest.raises(InputError, match="not a finished SQED store"):
        SQEDStore(tmp_path)


def test_store_keeps_the_pool_signals_of_every_tile(store):
    signals = store.inputs("test").signals
    test = store.inputs("test")
    assert signals.methods == store.methods
    assert signals.consensus.shape == (len(test), len(store.methods))
    assert signals.agreement.shape == (len(test), len(store.methods), len(store.methods))
    np.testing.assert_allclose(signals.confidence_histograms.sum(axis=2), 1.0, atol=1e-5)
    np.testing.assert_allclose(signals.class_shares.sum(axis=2), 1.0, atol=1e-5)
    # the stored agreement is the agreement of the stored predictions
    first, second = (np.asarray(store.predictions(m))[store.split_index("test")]
                     for m in store.methods[:2])
    np.testing.assert_allclose(signals.agreement[:, 0, 1], (first == second).mean(axis=(1, 2)),
                               atol=1e-6)


def test_overlapping_train_tiles_grow_the_train_split_only(config, store, tmp_path):
    from dataclasses import replace

    overlapping = replace(config, output=str(tmp_path / "run"),
                          sqed=replace(config.sqed, train_stride=16))
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "pool").symlink_to(config.output_dir.resolve() / "pool")
    grown = build_store(overlapping, verbose=False)
    # 64-px images, 32-px tiles: 4 tiles at stride 32, 9 at stride 16
    per_split = grown.tiles.groupby("split").size()
    assert per_split["train"] == store.tiles.groupby("split").size()["train"] // 4 * 9
    assert per_split["test"] == store.tiles.groupby("split").size()["test"]


def test_the_target_accuracy_is_configurable(store, tmp_path):
    from rssqa.errors import InputError

    miou = store.inputs("test", label="miou")
    expected = store.records.set_index(["tile_id", "method"])["miou"]
    assert miou.targets[0, 0] == pytest.approx(expected[(miou.tile_ids[0], store.methods[0])])
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"target": "kappa"}))
    with pytest.raises(InputError, match="target 'kappa'"):
        load_config(bad)
