import numpy as np
import pytest

from rssqa.errors import InputError
from rssqa.metrics import (column_oa, gap_closed, gap_closed_hindsight, hindsight_sbs,
                           image_selection_summary, one_hot, per_image, pick_table, picks_oa,
                           regret, selection_summary, single_best, vbs_oa)

# 4 tiles x 3 methods. Column means 0.75, 0.70, 0.65 (hindsight SBS: column 0); row best 0.85.
TRUE = np.array([
    [0.90, 0.80, 0.70],
    [0.60, 0.90, 0.50],
    [0.70, 0.60, 0.80],
    [0.80, 0.50, 0.60],
])
# Picks 0, 1 (tie with 2 -> first), 2, 1: true 0.9, 0.9, 0.8, 0.5 -> mean 0.775.
SCORES = np.array([
    [0.5, 0.4, 0.1],
    [0.2, 0.7, 0.7],
    [0.3, 0.3, 0.9],
    [0.1, 0.6, 0.2],
])
SBS = 1  # say column 1 was best on the train split (mean 0.70 here)


def test_hand_built_table_gives_the_exact_numbers():
    assert picks_oa(SCORES, TRUE) == pytest.approx(0.775)
    assert column_oa(TRUE, SBS) == pytest.approx(0.70)
    assert vbs_oa(TRUE) == pytest.approx(0.85)
    assert hindsight_sbs(TRUE) == 0
    assert regret(SCORES, TRUE) == pytest.approx(0.075)
    assert gap_closed(SCORES, TRUE, SBS) == pytest.approx(0.075 / 0.15)
    assert gap_closed_hindsight(SCORES, TRUE) == pytest.approx(0.025 / 0.10)


def test_summary_carries_estimates_references_and_intervals():
    summary = selection_summary(SCORES, TRUE, SBS, n_boot=200, seed=1)
    assert summary.units == 4 and summary.level == "tile"
    assert (summary.sbs, summary.hindsight_sbs) == (1, 0)
    assert summary.oa_sbs == pytest.approx(0.70) and summary.oa_hindsight_sbs == pytest.approx(0.75)
    assert summary.oa_vbs == pytest.approx(0.85)
    assert summary.measures["OA of picks"].estimate == pytest.approx(0.775)
    assert summary.measures["gap closed"].estimate == pytest.approx(0.5)
    for interval in summary.measures.values():
        assert interval.low <= interval.estimate <= interval.high
    assert summary.vs_sbs.diff == pytest.approx(0.075)
    row = summary.as_row(["a", "b", "c"])
    assert row["SBS"] == "b" and row["hindsight SBS"] == "a" and row["regret"] == pytest.approx(0.075)


def random_table(n=200, m=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 0.95, size=(n, m)) + np.linspace(0, 0.05, m)


def test_oracle_selector_closes_the_whole_gap_with_no_regret():
    true = random_table()
    summary = selection_summary(true, true, sbs=single_best(true), n_boot=200)
    assert summary.measures["regret"].estimate == 0
    assert summary.measures["regret"].high == 0  # an oracle is an oracle in every resample
    assert summary.measures["gap closed"].estimate == pytest.approx(1)
    assert summary.measures["gap closed vs hindsight SBS"].low == pytest.approx(1)
    assert summary.vs_sbs.diff > 0 and summary.vs_sbs.p_value < 0.05


def test_always_picking_the_sbs_closes_nothing_and_is_no_different():
    true = random_table(seed=1)
    sbs = 2
    summary = selection_summary(one_hot(len(true), true.shape[1], sbs), true, sbs, n_boot=100)
    assert summary.measures["gap closed"].estimate == 0
    assert summary.measures["gap closed"].low == 0 == summary.measures["gap closed"].high
    assert summary.measures["OA of picks"].estimate == pytest.approx(summary.oa_sbs)
    assert summary.vs_sbs.diff == 0 and summary.vs_sbs.p_value == 1


def test_a_selector_worse_than_the_sbs_has_a_negative_gap_and_a_small_p():
    true = random_table(seed=2)
    worst = -true  # picks the truly worst method of every tile
    summary = selection_summary(worst, true, single_best(true), n_boot=300)
    assert summary.measures["gap closed"].high < 0
    assert summary.vs_sbs.diff < 0 and summary.vs_sbs.p_value < 0.05


def test_gap_is_undefined_when_one_method_is_best_everywhere():
    true = np.array([[0.9, 0.5], [0.8, 0.6], [0.7, 0.2]])
    assert np.isnan(gap_closed(np.zeros_like(true), true, sbs=0))
    assert np.isnan(gap_closed_hindsight(np.zeros_like(true), true))
    assert gap_closed(np.zeros_like(true), true, sbs=1) == pytest.approx(1)  # the SBS was wrong


def test_hindsight_sbs_is_the_best_column_of_the_rows_given():
    # On row 2 alone column 2 wins, so a resample drawing only that row moves the reference
    # to the oracle itself (no gap left), while the fixed full-table column 0 still has one.
    assert hindsight_sbs(TRUE[2:3]) == 2 and hindsight_sbs(TRUE[[1, 2]]) == 1
    assert np.isnan(gap_closed_hindsight(SCORES[2:3], TRUE[2:3]))
    assert gap_closed(SCORES[2:3], TRUE[2:3], 0) == pytest.approx(1)


def test_single_best_uses_the_table_it_is_given_first_on_ties():
    train = np.array([[0.6, 0.9, 0.9], [0.8, 0.7, 0.7]])
    assert single_best(train) == 1
    assert single_best(TRUE) == 0


def test_per_image_averages_the_tiles_of_each_source_in_first_seen_order():
    sources = ["b", "a", "b", "a"]
    images, scores, true = per_image(SCORES, TRUE, sources)
    assert images == ["b", "a"]
    np.testing.assert_allclose(true, [[0.80, 0.70, 0.75], [0.70, 0.70, 0.55]])
    np.testing.assert_allclose(scores, [[0.40, 0.35, 0.50], [0.15, 0.65, 0.45]])
    # Image b picks column 2 (0.75), image a column 1 (0.70): OA 0.725; oracle 0.75; SBS 0.70.
    summary = image_selection_summary(SCORES, TRUE, SBS, sources, n_boot=50)
    assert summary.level == "image" and summary.units == 2
    assert summary.measures["OA of picks"].estimate == pytest.approx(0.725)
    assert summary.oa_vbs == pytest.approx(0.75) and summary.oa_sbs == pytest.approx(0.70)
    assert summary.measures["gap closed"].estimate == pytest.approx(0.5)


def test_bad_inputs_are_named():
    with pytest.raises(InputError, match="source ids"):
        per_image(SCORES, TRUE, ["a", "b"])
    with pytest.raises(InputError, match="column 3"):
        selection_summary(SCORES, TRUE, sbs=3)
    with pytest.raises(InputError, match="shape"):
        picks_oa(SCORES[:, :2], TRUE)


def test_a_safe_selector_scoring_its_default_inf_is_measured_not_refused():
    # An infinite margin: the default (column 1) is always kept, per tile and per image.
    safe = SCORES.copy()
    safe[:, 1] = np.inf
    assert picks_oa(safe, TRUE) == pytest.approx(0.70)
    assert gap_closed(safe, TRUE, SBS) == 0
    np.testing.assert_array_equal(pick_table(safe), one_hot(4, 3, 1))
    summary = image_selection_summary(safe, TRUE, SBS, ["a", "a", "b", "b"], n_boot=20)
    assert summary.measures["gap closed"].estimate == 0
    with pytest.raises(InputError, match="NaN"):
        picks_oa(np.where(safe == np.inf, np.nan, safe), TRUE)


def test_a_negligible_oracle_gain_has_no_gap_share():
    from rssqa.metrics.selection import gap_closed

    true = np.array([[0.70, 0.7000], [0.60, 0.6004]])  # the oracle gains 0.0002 over column 0
    worse = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert np.isnan(gap_closed(worse, true, sbs=0))
