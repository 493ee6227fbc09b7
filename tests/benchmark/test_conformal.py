import numpy as np
import pytest

from rssqa.assess.conformal import SplitConformal
from rssqa.errors import InputError


def _noisy(n, rng, scales=(0.02, 0.08)):
    true = rng.uniform(0.5, 0.95, size=(n, len(scales)))
    return true + rng.normal(size=true.shape) * np.array(scales), true


def test_coverage_on_new_tiles_reaches_each_level():
    rng = np.random.default_rng(0)
    calibration = SplitConformal.calibrate(*_noisy(400, rng), levels=(0.8, 0.9, 0.95))
    coverage = calibration.coverage(*_noisy(4000, rng))
    for level, covered in coverage.items():
        assert covered == pytest.approx(level, abs=0.03)


def test_half_widths_are_per_method_and_grow_with_level():
    rng = np.random.default_rng(1)
    calibration = SplitConformal.calibrate(*_noisy(300, rng))
    widths = calibration.half_widths
    assert widths[0.9][1] > 3 * widths[0.9][0]  # the noisier method gets a wider interval
    assert np.all(widths[0.8] <= widths[0.9]) and np.all(widths[0.9] <= widths[0.95])
    assert calibration.mean_width()[0.9] == pytest.approx(widths[0.9].mean() * 2)


def test_finite_sample_rank_and_too_small_calibration():
    pred = np.zeros((9, 1))
    true = np.arange(1, 10, dtype=float)[:, None]  # residuals 1..9
    calibration = SplitConformal.calibrate(pred, true, levels=(0.8, 0.95))
    assert calibration.half_widths[0.8][0] == 8  # ceil(10 * 0.8) = 8th smallest
    assert np.isinf(calibration.half_widths[0.95][0])  # ceil(10 * 0.95) = 10 > 9 tiles
    low, high = calibration.interval(np.array([[0.5]]), 0.8)
    assert (low[0, 0], high[0, 0]) == (-7.5, 8.5)


def test_bad_inputs_raise_input_errors():
    with pytest.raises(InputError, match="N x M"):
        SplitConformal.calibrate(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(InputError, match="not in"):
        SplitConformal.calibrate(np.zeros((3, 1)), np.zeros((3, 1)), levels=(90,))
    with pytest.raises(InputError, match="not calibrated"):
        SplitConformal.calibrate(np.zeros((3, 1)), np.zeros((3, 1))).interval(np.zeros((1, 1)), 0.5)


def _heteroscedastic(n_images, rng, tiles=20):
    """Tiles of images; a tile's predicted accuracy says how hard it is: the lower it is, the
    larger the assessor's error (as on real stores, where dark or mixed tiles are assessed worst)."""
    pred = rng.uniform(0.4, 0.95, size=(n_images * tiles, 2))
    scale = 0.01 + 0.3 * (0.95 - pred[:, :1])  # both methods' errors follow the tile's first score
    true = pred + rng.normal(size=pred.shape) * scale
    return pred, true, np.repeat(np.arange(n_images), tiles)


def test_per_tile_intervals_widen_on_hard_tiles_and_cover_both_kinds():
    rng = np.random.default_rng(3)
    pred, true, images = _heteroscedastic(30, rng)
    per_tile = SplitConformal.calibrate(pred, true, groups=images)
    per_method = SplitConformal.calibrate(pred, true)
    new_pred, new_true, _ = _heteroscedastic(100, rng)
    assert per_tile.per_tile and not per_method.per_tile
    hard = new_pred[:, 0] < np.median(new_pred[:, 0])
    low, high = per_tile.interval(new_pred, 0.9)
    inside = (low <= new_true) & (new_true <= high)
    assert inside.mean() == pytest.approx(0.9, abs=0.03)
    # per method, easy tiles are over-covered and hard ones under-covered; per tile, both near 0.9
    assert inside[hard].mean() == pytest.approx(0.9, abs=0.05)
    assert inside[~hard].mean() == pytest.approx(0.9, abs=0.05)
    low, high = per_method.interval(new_pred, 0.9)
    assert ((low <= new_true) & (new_true <= high))[hard].mean() < 0.85
    width = per_tile.widths(new_pred, 0.9)
    assert np.median(width[hard]) > 2 * np.median(width[~hard])


def test_a_saved_per_tile_calibration_reads_back_in_the_pools_order(tmp_path):
    from rssqa.assess.conformal import load_intervals, save_conformal

    rng = np.random.default_rng(4)
    pred, true, images = _heteroscedastic(10, rng)
    calibration = SplitConformal.calibrate(pred, true, groups=images)
    save_conformal(tmp_path, calibration, ["a", "b"])
    intervals, note = load_intervals(tmp_path, ["b", "a"], 0.9)
    assert intervals.per_tile and "per tile" in note
    tiles = rng.uniform(0.4, 0.95, size=(5, 2))
    np.testing.assert_allclose(intervals.half_widths(tiles[:, ::-1])[:, ::-1],
                               calibration.widths(tiles, 0.9), rtol=1e-4)  # saved to 6 decimals


def test_few_calibration_tiles_fall_back_to_per_method_intervals():
    rng = np.random.default_rng(5)
    pred, true, images = _heteroscedastic(3, rng, tiles=5)
    assert not SplitConformal.calibrate(pred, true, groups=images).per_tile


def test_tile_difficulty_is_crepes_knn_difficulty_estimator():
    """The per-tile difficulty is computed without scikit-learn (start-up), so it must stay the
    estimator it replaces: crepes' kNN DifficultyEstimator on residuals with its scaler."""
    from crepes.extras import DifficultyEstimator

    from rssqa.assess.conformal import TileDifficulty

    rng = np.random.default_rng(3)
    features = rng.uniform(0.3, 0.9, size=(150, 4))
    residuals = np.abs(rng.normal(0, 0.05, size=(150, 4))) * (1 + 3 * features)
    new = rng.uniform(0.2, 1.0, size=(40, 4))  # some outside the calibration range: clipped
    difficulty = TileDifficulty(features, residuals, k=10)
    ours = difficulty(new)
    for method in range(4):
        reference = DifficultyEstimator().fit(X=features, residuals=residuals[:, method], k=10,
                                              scaler=True, beta=difficulty.floor)
        np.testing.assert_allclose(ours[:, method], reference.apply(new), rtol=1e-12, atol=1e-12)


def test_a_calibration_saved_before_the_floor_was_saved_reads_as_it_was_made():
    """Calibrations written by earlier versions hold no floor: their quantiles were taken with
    0.01, so they must keep it, or every interval read from them would be wrong."""
    from rssqa.assess.conformal import TileDifficulty

    rng = np.random.default_rng(4)
    features, residuals = rng.uniform(0.3, 0.9, (60, 2)), np.abs(rng.normal(0, 0.05, (60, 2)))
    earlier = TileDifficulty(features, residuals, k=10, floor=0.01)
    state = {key: value for key, value in earlier.to_dict().items() if key != "floor"}
    new = rng.uniform(0.3, 0.9, (20, 2))
    saved = TileDifficulty.from_dict(earlier.to_dict())
    assert saved.floor == 0.01
    np.testing.assert_array_equal(TileDifficulty.from_dict(state)(new), saved(new))
    assert TileDifficulty(features, residuals).floor == 0.1  # today's calibrations
