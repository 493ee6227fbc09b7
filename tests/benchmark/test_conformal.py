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
