import numpy as np
import pytest
from scipy.stats import spearmanr

from rssqa.assess import create_assessor
from rssqa.assess.baselines.bliinds import ggd_shape
from rssqa.assess.baselines.brisque import brisque_features
from rssqa.assess.baselines.fractal import local_fractal_dimensions, multifractal_spectrum
from rssqa.errors import InputError

FEATURE_BASELINES = ["brisque", "bliinds", "fractal"]
DEEP_BASELINES = ["hyperiqa", "maniqa", "deiqt"]


def _rank_agreement(pred: np.ndarray, true: np.ndarray) -> list[float]:
    return [spearmanr(pred[:, j], true[:, j]).statistic for j in range(true.shape[1])]


@pytest.mark.parametrize("name", FEATURE_BASELINES)
def test_feature_baselines_learn_each_method_separately(name, tiles_train, tiles_test, one_thread):
    assessor = create_assessor(name, verbose=False).fit(tiles_train)
    pred = assessor.predict(tiles_test)
    assert pred.shape == (len(tiles_test), 2)
    # Method a gets worse with noise, method b better: one regressor per method gets both right.
    assert min(_rank_agreement(pred, tiles_test.targets)) > 0.6
    assert set(assessor.chosen_c) == {"a", "b"}


@pytest.mark.parametrize("name", DEEP_BASELINES)
def test_deep_baselines_learn_each_method_and_are_reproducible(name, tiles_train, tiles_test,
                                                               small_backbone, one_thread):
    kwargs = dict(verbose=False, backbone=small_backbone, epochs=15, batch_size=16, seed=3)
    pred = create_assessor(name, **kwargs).fit(tiles_train).predict(tiles_test)
    assert pred.shape == (len(tiles_test), 2)
    assert min(_rank_agreement(pred, tiles_test.targets)) > 0.4
    again = create_assessor(name, **kwargs).fit(tiles_train).predict(tiles_test)
    np.testing.assert_allclose(again, pred, rtol=1e-5, atol=1e-6)


def test_frozen_backbone_runs_each_tile_once(tiles_train, small_backbone):
    first = small_backbone.maps(tiles_train, verbose=False)
    assert [m.shape[1] for m in first] == small_backbone.channels
    calls = []
    handle = small_backbone.network.register_forward_hook(lambda *args: calls.append(1))
    try:
        again = small_backbone.maps(tiles_train.subset(np.arange(10)[::-1]), verbose=False)
    finally:
        handle.remove()
    assert not calls  # memoised by tile id
    np.testing.assert_array_equal(again[0][0].numpy(), first[0][9].numpy())


@pytest.mark.parametrize("name", FEATURE_BASELINES + DEEP_BASELINES)
def test_baselines_without_images_say_how_to_get_them(name, tiles_train):
    no_images = tiles_train.subset(np.arange(8))
    no_images.images = None
    with pytest.raises(InputError, match="with_images=True"):
        create_assessor(name, verbose=False).fit(no_images)


def test_predicting_an_unfitted_method_is_refused(tiles_train, tiles_test):
    assessor = create_assessor("bliinds", verbose=False).fit(tiles_train)
    tiles_test = tiles_test.subset(np.arange(4))
    tiles_test.methods = ["a", "c"]
    with pytest.raises(InputError, match=r"method\(s\) c"):
        assessor.predict(tiles_test)


def test_ggd_shape_recovers_gaussian_and_laplacian():
    rng = np.random.default_rng(0)
    shapes = ggd_shape(np.stack([rng.normal(size=20000), rng.laplace(size=20000)]))
    np.testing.assert_allclose(shapes, [2.0, 1.0], atol=0.1)
    assert np.isnan(ggd_shape(np.zeros((1, 24))))[0]


def test_fractal_dimension_of_a_plane_is_two_and_rougher_is_higher():
    plane = np.add.outer(np.arange(64.0), np.arange(64.0))
    rough = np.random.default_rng(0).normal(128, 30, (64, 64))
    assert local_fractal_dimensions(plane).mean() == pytest.approx(2.0, abs=0.05)
    assert local_fractal_dimensions(rough).mean() > 2.5


def test_uniform_measure_is_monofractal():
    spectrum = multifractal_spectrum(np.ones((64, 64)))
    np.testing.assert_allclose(spectrum[:7], 2.0, atol=1e-6)  # D_q = 2 for every q
    np.testing.assert_allclose(spectrum[7:], 0.0, atol=1e-6)  # no spectrum width


def test_brisque_features_flag_undefined_statistics_instead_of_failing():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    images[1] = 90  # flat: piq's fits are undefined on its coarser scale
    features = brisque_features(images)
    assert features.shape == (2, 36)
    assert np.isfinite(features[0]).all()
