"""The safe selector's margin: kept only where it pays on source images it was not chosen on."""

import numpy as np

from rssqa.assess.selectors.safe import best_margin, choose_margin


def folds_of(units, n_folds=5):
    unit_ids = np.unique(units)
    fold_of_unit = {unit: i % n_folds for i, unit in enumerate(unit_ids)}
    fold = np.array([fold_of_unit[unit] for unit in units])
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_folds)]


def tiles(informative, seed, images=25, per_image=8, methods=4):
    rng = np.random.default_rng(seed)
    units = np.repeat([f"image{i}" for i in range(images)], per_image)
    targets = 0.8 + 0.02 * rng.standard_normal((len(units), methods))
    targets[:, 0] += 0.005  # the default: best on average, by a little
    noise = 0.002 if informative else 1.0
    predictions = (targets if informative else 0.8) + noise * rng.standard_normal(targets.shape)
    return predictions, targets, list(units)


def test_noise_that_looks_like_a_gain_on_its_own_tiles_keeps_the_default():
    found_in_sample = 0
    for seed in range(10):
        predictions, targets, units = tiles(informative=False, seed=seed)
        in_sample = best_margin(predictions, targets, default=0)
        found_in_sample += np.isfinite(in_sample)
        margin, summary = choose_margin(predictions, targets, 0, folds_of(units), units)
        assert np.isinf(margin), seed
        assert summary["gap_closed"] == 0 and summary["switched_share"] == 0
    assert found_in_sample >= 5  # the naive search would have switched on most of these draws


def test_a_real_signal_keeps_a_margin_and_reports_its_honest_gain():
    predictions, targets, units = tiles(informative=True, seed=0)
    margin, summary = choose_margin(predictions, targets, 0, folds_of(units), units)
    assert np.isfinite(margin)
    assert summary["gap_closed"] > 0.5
    assert summary["accuracy_of_picks"] > summary["accuracy_of_default"]
    assert 0 < summary["switched_share"] <= 1
