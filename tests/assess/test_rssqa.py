import dataclasses
import shutil

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from rssqa.assess import load_assessor
from rssqa.assess.paper_rssqa import RSSQAAssessor, _validation_split
from rssqa.errors import CheckpointError, InputError

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def fitted(single_thread, train_inputs, small_config):
    return RSSQAAssessor(small_config, verbose=False).fit(train_inputs)


def test_fit_learns_oa_from_tokens_and_features_on_held_out_tiles(fitted, test_inputs):
    pred = fitted.predict(test_inputs)
    assert pred.shape == (len(test_inputs), 2)
    for column, method in enumerate(test_inputs.methods):
        srocc = spearmanr(pred[:, column], test_inputs.targets[:, column])[0]
        assert srocc > 0.8, f"{method}: SROCC {srocc:.3f}"


def test_predict_scores_any_subset_of_methods_in_the_requested_order(fitted, test_inputs):
    both = fitted.predict(test_inputs)
    swapped = dataclasses.replace(test_inputs, methods=["deeplab", "unet"])
    np.testing.assert_array_equal(fitted.predict(swapped), both[:, ::-1])
    only = dataclasses.replace(test_inputs, methods=["deeplab"])
    np.testing.assert_array_equal(fitted.predict(only), both[:, 1:])


def test_save_load_round_trip_gives_identical_predictions(fitted, test_inputs, tmp_path):
    fitted.save(tmp_path / "rssqa")
    for loaded in (RSSQAAssessor.load(tmp_path / "rssqa"), load_assessor(tmp_path / "rssqa")):
        assert isinstance(loaded, RSSQAAssessor)
        assert loaded.config == fitted.config and loaded.methods == fitted.methods
        np.testing.assert_array_equal(loaded.predict(test_inputs), fitted.predict(test_inputs))


def test_saved_assessor_refuses_inputs_of_other_dims_or_methods(fitted, synthetic, tmp_path):
    fitted.save(tmp_path / "rssqa")
    loaded = RSSQAAssessor.load(tmp_path / "rssqa")
    other_encoder = synthetic(8, num_tokens=64)
    with pytest.raises(CheckpointError,
                       match=r"rssqa: .*semantic tokens of shape \(16, 24\).*\(64, 24\)"):
        loaded.predict(other_encoder)
    renamed = synthetic(8)
    renamed.methods = ["unet", "segformer"]
    renamed.seg_features["segformer"] = renamed.seg_features.pop("deeplab")
    with pytest.raises(CheckpointError,
                       match="no model for method.*segformer.*fitted for unet, deeplab"):
        loaded.predict(renamed)
    wider = synthetic(8)
    wider.seg_features["unet"] = np.zeros((8, 99), np.float32)
    with pytest.raises(CheckpointError, match="'unet' was trained on 12-dim"):
        loaded.predict(wider)


def test_loading_weights_of_another_run_raises_checkpoint_error(fitted, synthetic, small_config,
                                                                 tmp_path):
    fitted.save(tmp_path / "a")
    RSSQAAssessor(dataclasses.replace(small_config, hidden=16, epochs=1), verbose=False).fit(
        synthetic(40)).save(tmp_path / "b")
    shutil.copy(tmp_path / "b" / "method-00.safetensors", tmp_path / "a" / "method-00.safetensors")
    with pytest.raises(CheckpointError, match="method-00.safetensors: does not fit"):
        RSSQAAssessor.load(tmp_path / "a")
    (tmp_path / "b" / "method-01.safetensors").unlink()
    with pytest.raises(CheckpointError, match="method-01.safetensors: is missing"):
        RSSQAAssessor.load(tmp_path / "b")


def test_fit_is_deterministic_given_the_seed(train_inputs, test_inputs, small_config):
    quick = dataclasses.replace(small_config, epochs=2)
    small = train_inputs.subset(np.arange(64))
    first = RSSQAAssessor(quick, verbose=False).fit(small).predict(test_inputs)
    again = RSSQAAssessor(quick, verbose=False).fit(small).predict(test_inputs)
    other = RSSQAAssessor(dataclasses.replace(quick, seed=1), verbose=False).fit(small)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other.predict(test_inputs))


def test_validation_keeps_the_best_epoch_and_is_quiet_when_asked(train_inputs, small_config,
                                                                  capsys):
    config = dataclasses.replace(small_config, epochs=4)
    assessor = RSSQAAssessor(config, verbose=False).fit(train_inputs.subset(np.arange(96)),
                                                        validation_fraction=0.25)
    history = assessor.history["unet"]
    assert len(history["train_loss"]) == len(history["val_mse"]) == 4
    assert history["best_epoch"] == int(np.argmin(history["val_mse"]))
    assert capsys.readouterr().out == ""


def test_validation_split_never_splits_a_group(train_inputs):
    fit_index, val_index = _validation_split(train_inputs, 0.25, seed=0)
    fit_groups = {train_inputs.groups[i] for i in fit_index}
    val_groups = {train_inputs.groups[i] for i in val_index}
    assert val_index.size and not fit_groups & val_groups
    assert len(fit_index) + len(val_index) == len(train_inputs)


def test_user_errors_are_explained(train_inputs, test_inputs, small_config):
    unlabelled = dataclasses.replace(train_inputs, targets=None)
    with pytest.raises(InputError, match="no targets"):
        RSSQAAssessor(small_config, verbose=False).fit(unlabelled)
    with pytest.raises(InputError, match="validation_fraction"):
        RSSQAAssessor(small_config, verbose=False).fit(train_inputs, validation_fraction=1.0)
    with pytest.raises(InputError, match="not fitted"):
        RSSQAAssessor(small_config, verbose=False).predict(test_inputs)


def test_an_untrained_network_starts_at_the_mean_training_oa(train_inputs, test_inputs,
                                                             small_config):
    # One epoch at a negligible learning rate: predictions are the network at initialisation.
    frozen = dataclasses.replace(small_config, epochs=1, lr=1e-12, warmup_epochs=0)
    pred = RSSQAAssessor(frozen, verbose=False).fit(train_inputs).predict(test_inputs)
    np.testing.assert_allclose(pred.mean(axis=0), train_inputs.targets.mean(axis=0), atol=0.05)


def test_threads_are_set_for_the_fit_and_restored_after(train_inputs, small_config, monkeypatch):
    assessor = RSSQAAssessor(dataclasses.replace(small_config, epochs=1), verbose=False, threads=1)
    train_one, seen = assessor._train_one, []

    def spy(*args):
        seen.append(torch.get_num_threads())
        return train_one(*args)

    monkeypatch.setattr(assessor, "_train_one", spy)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assessor.fit(train_inputs.subset(np.arange(32)))
        assert seen == [1, 1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_calibration_puts_each_method_on_the_oa_scale_without_reordering_its_tiles(
        train_inputs, test_inputs, small_config, tmp_path):
    # A short run leaves predictions compressed towards the training mean: what calibrate fixes.
    short = dataclasses.replace(small_config, epochs=3)
    raw = RSSQAAssessor(short, verbose=False).fit(train_inputs)
    calibrated = RSSQAAssessor(dataclasses.replace(short, calibrate=True), verbose=False).fit(train_inputs)
    assert set(calibrated.calibration) == set(train_inputs.methods) and not raw.calibration

    truth = np.asarray(train_inputs.targets)
    raw_train, calibrated_train = raw.predict(train_inputs), calibrated.predict(train_inputs)
    np.testing.assert_allclose(calibrated_train.mean(axis=0), truth.mean(axis=0), atol=0.01)
    assert ((calibrated_train - truth) ** 2).mean() < ((raw_train - truth) ** 2).mean()
    for column in range(truth.shape[1]):  # same network, monotone map: same order of tiles
        assert spearmanr(raw.predict(test_inputs)[:, column],
                         calibrated.predict(test_inputs)[:, column])[0] > 0.999

    calibrated.save(tmp_path / "calibrated")
    np.testing.assert_array_equal(load_assessor(tmp_path / "calibrated").predict(test_inputs),
                                  calibrated.predict(test_inputs))
