"""The pool trainer: trains, caches, resumes, and refuses a checkpoint of another architecture."""

import json

import numpy as np
import pytest
import torch

from rssqa.errors import CheckpointError
from rssqa.segzoo import get_method
from rssqa.config import PoolTrainConfig
from rssqa.pool.train import META_FILE, RESUME_FILE, load_trained, train_method


@pytest.fixture
def tiles():
    rng = np.random.default_rng(0)
    masks = rng.integers(0, 3, (6, 32, 32)).astype(np.uint8)
    images = (masks[..., None] * 80 + rng.integers(0, 40, (6, 32, 32, 3))).astype(np.uint8)
    return images, masks


CONFIG = PoolTrainConfig(epochs=2, batch_size=4, pretrained=False)


def test_trains_saves_and_reloads_identically(tiles, tmp_path):
    trained = train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path, config=CONFIG,
                           verbose=False)
    assert len(trained.meta["epoch_losses"]) == 2
    reloaded = load_trained(tmp_path)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(trained.model.eval()(x), reloaded.model(x))


def test_finished_run_is_reused_not_retrained(tiles, tmp_path):
    train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path, config=CONFIG, verbose=False)
    stamp = (tmp_path / META_FILE).stat().st_mtime_ns
    train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path, config=CONFIG, verbose=False)
    assert (tmp_path / META_FILE).stat().st_mtime_ns == stamp


def test_changed_data_retrains(tiles, tmp_path):
    first = train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path, config=CONFIG,
                         data_id="a", verbose=False)
    second = train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path, config=CONFIG,
                          data_id="b", verbose=False)
    assert first.meta["fingerprint"] != second.meta["fingerprint"]



def test_a_retraining_that_fails_while_saving_leaves_a_folder_refused_not_misread(tiles, tmp_path,
                                                                                monkeypatch):
    """New weights must never be read under the record of the model they replaced."""
    train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path, config=CONFIG,
                 data_id="a", verbose=False)

    def disk_full(path, data):
        path.write_bytes(data[:100])  # as far as a full disk let it go
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("rssqa.pool.train.atomic_write_bytes", disk_full)
    with pytest.raises(OSError):
        train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path, config=CONFIG,
                     data_id="b", verbose=False)
    with pytest.raises(CheckpointError, match="rssqa build"):
        load_trained(tmp_path)

def test_interrupted_run_resumes_to_the_same_model(tiles, tmp_path, monkeypatch):
    full = train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path / "full", config=CONFIG,
                        verbose=False)

    # Kill the second run right after its first epoch's checkpoint is written.
    import rssqa.pool.train as train_module

    real_save = torch.save
    def save_then_die(obj, path, *a, **k):
        real_save(obj, path, *a, **k)
        if obj.get("epoch") == 1:
            raise KeyboardInterrupt
    monkeypatch.setattr(train_module.torch, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path / "cut", config=CONFIG,
                     verbose=False)
    monkeypatch.setattr(train_module.torch, "save", real_save)
    (tmp_path / "cut" / f"{RESUME_FILE}").with_suffix(".tmp").replace(tmp_path / "cut" / RESUME_FILE)
    resumed = train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path / "cut", config=CONFIG,
                           verbose=False)
    assert resumed.meta["epoch_losses"][-1] == pytest.approx(full.meta["epoch_losses"][-1], rel=1e-5)
    # every epoch's loss is recorded, the ones before the interruption too
    assert resumed.meta["epoch_losses"] == pytest.approx(full.meta["epoch_losses"], rel=1e-5)


def test_checkpoint_of_another_architecture_is_refused(tiles, tmp_path):
    train_method(get_method("fpn"), *tiles, num_classes=3, out_dir=tmp_path, config=CONFIG, verbose=False)
    meta = json.loads((tmp_path / META_FILE).read_text())
    meta["method"] = "deeplabv3plus"
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="does not fit a deeplabv3plus"):
        load_trained(tmp_path)


def test_a_last_batch_of_one_image_does_not_break_batchnorm_models(tiles, tmp_path):
    # 6 tiles in batches of 5 would leave one image alone; DeepLabV3+ pools globally before BatchNorm.
    config = PoolTrainConfig(epochs=1, batch_size=5, pretrained=False)
    trained = train_method(get_method("deeplabv3plus"), *tiles, num_classes=3, out_dir=tmp_path,
                           config=config, verbose=False)
    assert np.isfinite(trained.meta["epoch_losses"][0])
