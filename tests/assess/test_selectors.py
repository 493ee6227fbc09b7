"""Selectors must raise the accuracy a user gets above always using the single best method."""

import numpy as np
import pytest

from rssqa.assess.registry import create_assessor, load_assessor
from rssqa.errors import CheckpointError

FAST = {"listwise": {"config": {"epochs": 150, "members": 2}},
        "listwise-soft": {"config": {"epochs": 150, "members": 2}},
        "listwise-compact": {"config": {"epochs": 150, "members": 2}},
        "pairwise": {"config": {"rounds": 40}}}


def accuracy_of_picks(scores, targets):
    return float(targets[np.arange(len(targets)), np.argmax(scores, axis=1)].mean())


def gap_closed(scores, test, train):
    sbs = int(np.argmax(train.targets.mean(axis=0)))
    oracle, single = test.targets.max(axis=1).mean(), test.targets[:, sbs].mean()
    return (accuracy_of_picks(scores, test.targets) - single) / (oracle - single)


@pytest.mark.parametrize("name", ["listwise", "pairwise"])
def test_selector_closes_most_of_the_gap_when_the_signals_are_informative(
        name, pool_inputs, single_thread):
    train, test = pool_inputs(240, seed=1), pool_inputs(120, seed=2)
    selector = create_assessor(name, **FAST[name]).fit(train)
    assert gap_closed(selector.selection_scores(selector.predict(test)), test, train) > 0.6


def test_listwise_scores_are_accuracy_predictions(pool_inputs, single_thread):
    train, test = pool_inputs(240, seed=1), pool_inputs(120, seed=2)
    predicted = create_assessor("listwise", **FAST["listwise"]).fit(train).predict(test)
    assert np.sqrt(np.mean((predicted - test.targets) ** 2)) < 0.05


@pytest.mark.parametrize("name", ["listwise", "listwise-soft", "listwise-compact", "pairwise"])
def test_selectors_reload_to_the_same_scores(name, pool_inputs, tmp_path, single_thread):
    train, test = pool_inputs(120, seed=1), pool_inputs(30, seed=2)
    selector = create_assessor(name, **FAST[name]).fit(train)
    selector.save(tmp_path / name)
    loaded = load_assessor(tmp_path / name)
    np.testing.assert_allclose(loaded.predict(test), selector.predict(test), rtol=1e-5)
    if name.startswith("listwise"):  # a preset keeps its settings beside those given
        assert loaded.config == selector.config and loaded.config.epochs == 150
        assert (loaded.config.tau, loaded.config.seg_components) == {
            "listwise": (0.05, 4), "listwise-soft": (0.1, 4), "listwise-compact": (0.1, 2)}[name]


def test_safe_selector_keeps_the_best_single_method_when_signals_are_noise(
        pool_inputs, single_thread):
    train, test = pool_inputs(240, seed=1, informative=False), pool_inputs(120, seed=2,
                                                                           informative=False)
    safe = create_assessor("safe", base="listwise", base_kwargs=FAST["listwise"]).fit(train)
    assert safe.default == "b"
    picks = np.argmax(safe.selection_scores(safe.predict(test)), axis=1)
    assert np.mean(picks == 1) > 0.9  # "b" nearly everywhere: nothing to gain from switching


def test_safe_selector_switches_where_it_pays(pool_inputs, tmp_path, single_thread):
    train, test = pool_inputs(240, seed=1), pool_inputs(120, seed=2)
    safe = create_assessor("safe", base="pairwise", base_kwargs=FAST["pairwise"]).fit(train)
    scores = safe.selection_scores(safe.predict(test))
    assert gap_closed(scores, test, train) > 0.6
    assert safe.cross_fit["accuracy_of_picks"] > safe.cross_fit["accuracy_of_default"]
    safe.save(tmp_path / "safe")
    reloaded = load_assessor(tmp_path / "safe")
    np.testing.assert_allclose(reloaded.selection_scores(reloaded.predict(test)), scores)


def test_a_selector_refuses_another_pool(pool_inputs, single_thread):
    train, test = pool_inputs(60, seed=1), pool_inputs(10, seed=2)
    selector = create_assessor("pairwise", **FAST["pairwise"]).fit(train)
    test.methods = ["c", "b", "a"]
    with pytest.raises(CheckpointError, match="same pool"):
        selector.predict(test)


def test_safe_selector_saves_intervals_that_cover_held_out_tiles(pool_inputs, tmp_path, single_thread):
    from rssqa.assess.conformal import load_intervals

    train, test = pool_inputs(240, seed=1), pool_inputs(200, seed=2)
    safe = create_assessor("safe", base="listwise", base_kwargs=FAST["listwise"]).fit(train)
    safe.save(tmp_path / "safe")
    intervals, why = load_intervals(tmp_path / "safe", safe.methods, level=0.9)
    assert intervals is not None, why
    predicted = safe.predict(test)
    low, high = intervals.bounds(predicted)
    assert np.mean((low <= test.targets) & (test.targets <= high)) > 0.8  # nominal 0.9, over tiles
    assert intervals.per_tile and "per tile" in why
