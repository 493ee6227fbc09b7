import numpy as np
import pytest
from PIL import Image

from rssqa.errors import InputError
from rssqa.report.plots import quality_levels, scatter_predicted_vs_true, tsne_by_quality


def test_scatter_writes_one_png_with_a_panel_per_method(tmp_path):
    rng = np.random.default_rng(0)
    true = rng.uniform(0.4, 0.95, size=(30, 5))
    pred = true + rng.normal(0, 0.05, size=true.shape)
    one_row = scatter_predicted_vs_true(pred[:, :4], true[:, :4], list("abcd"), tmp_path / "4.png")
    two_rows = scatter_predicted_vs_true(pred, true, list("abcde"), tmp_path / "5.png", title="t")
    with Image.open(one_row) as four, Image.open(two_rows) as five:
        assert four.format == five.format == "PNG"
        assert four.width == five.width  # at most four panels side by side
        assert five.height > 1.8 * four.height  # the fifth method wraps onto a second row


def test_scatter_rejects_mismatched_shapes(tmp_path):
    with pytest.raises(InputError, match="N x M"):
        scatter_predicted_vs_true(np.zeros((4, 2)), np.zeros((4, 3)), ["a", "b"], tmp_path / "s.png")


def test_quality_levels_are_balanced_quantile_bins():
    quality = np.r_[np.full(10, 0.95), np.linspace(0.5, 0.9, 30)]
    levels = quality_levels(np.linspace(0, 1, 100))
    assert np.bincount(levels).tolist() == [25, 25, 25, 25]
    assert quality_levels(quality).max() <= 3
    assert np.all(np.diff(quality_levels(np.sort(quality))) >= 0)  # monotone in quality


def test_tsne_figure_is_written(tmp_path):
    rng = np.random.default_rng(1)
    quality = rng.uniform(0.5, 1.0, 40)
    features = np.c_[quality, rng.normal(size=(40, 7))]
    out = tsne_by_quality(features, quality, tmp_path / "t.png", seed=0)
    assert out.stat().st_size > 1000
