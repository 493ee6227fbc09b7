"""The learning curve a user reads to decide whether to label more images: whole images drawn,
each draw trained and scored once (an interrupted curve resumes), and a trend sentence that
says "still rising" only when the last step gains more than the spread over draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rssqa.assess.base import AssessmentInputs
from rssqa.report import learning_curve as curve
from rssqa.report.learning_curve import Draw, learning_curve, plan_draws, score_draw, verdict


def inputs(images: int, tiles_per_image: int = 3, seed: int = 0) -> AssessmentInputs:
    """Two methods; the second is better on the even images' tiles, the first on the others;
    each method's confidence follows its accuracy."""
    rng = np.random.default_rng(seed)
    n = images * tiles_per_image
    sources = [f"img{i // tiles_per_image}" for i in range(n)]
    even = np.array([int(s[3:]) % 2 == 0 for s in sources])
    targets = np.stack([0.7 + 0.05 * ~even, 0.7 + 0.05 * even], axis=1) + rng.normal(0, 0.01, (n, 2))
    return AssessmentInputs(tile_ids=[f"t{i}" for i in range(n)], methods=["a", "b"],
                            semantic_tokens=np.zeros((n, 1, 4), np.float32),
                            semantic_pooled=np.zeros((n, 4), np.float32),
                            seg_features={m: np.zeros((n, 4), np.float32) for m in "ab"},
                            confidence={m: np.stack([targets[:, j] + rng.normal(0, 0.005, n),
                                                     np.zeros(n)], axis=1).astype(np.float32)
                                        for j, m in enumerate("ab")},
                            targets=targets, sources=sources, groups=sources)


def test_draws_take_whole_images_and_differ_only_by_seed_at_the_full_split():
    sources = [f"img{i // 3}" for i in range(30)]  # 10 images of 3 tiles
    plan = plan_draws(sources, [4, 8, 50], draws=3)
    assert [(d.size, d.index) for d in plan] == [(4, 0), (4, 1), (4, 2), (8, 0), (8, 1), (8, 2),
                                                 (10, 0), (10, 1), (10, 2)]
    assert all(len(set(d.sources)) == d.size and set(d.sources) <= set(sources) for d in plan)
    assert len({d.sources for d in plan if d.size == 4}) > 1  # the draws differ
    assert {d.sources for d in plan if d.size == 10} == {tuple(sorted(set(sources)))}
    assert plan_draws(sources, [4], draws=3) == plan[:3]  # the same draws on every run


def test_each_draw_is_trained_on_its_images_alone_and_scored_on_the_test_split():
    train, test = inputs(8), inputs(4, seed=1)
    assessors = {"confidence": ("confidence-maxprob", {})}
    draws = learning_curve(train, test, assessors, plan_draws(train.sources, [2, 8], 2))
    assert list(draws["images"]) == [2, 2, 8, 8] and list(draws["tiles"]) == [6, 6, 24, 24]
    full = draws[draws["images"] == 8]
    assert (full["gap closed"] > 0.8).all() and (full["SROCC"] > 0.8).all()
    assert (full["gain over SBS"] > 0).all() and (full["regret"] >= 0).all()


def counting_scorer(monkeypatch, fail_after: int | None = None) -> list[Draw]:
    """Record every draw actually trained; optionally stop the run (as Ctrl-C would) after
    ``fail_after`` of them."""
    trained = []

    def score(name, kwargs, train, test, draw):
        if fail_after is not None and len(trained) == fail_after:
            raise KeyboardInterrupt
        trained.append(draw)
        return score_draw(name, kwargs, train, test, draw)

    monkeypatch.setattr(curve, "score_draw", score)
    return trained


def test_an_interrupted_curve_resumes_from_the_draws_it_finished(monkeypatch, tmp_path):
    train, test = inputs(8), inputs(4, seed=1)
    plan, assessors = plan_draws(train.sources, [2, 4, 8], 2), {"prior": ("prior", {})}
    context = {"store": "build-1", "target": "oa"}
    trained = counting_scorer(monkeypatch, fail_after=3)
    with pytest.raises(KeyboardInterrupt):
        learning_curve(train, test, assessors, plan, tmp_path, context)
    assert len(trained) == 3 and len(list(tmp_path.glob("*.json"))) == 3

    trained = counting_scorer(monkeypatch)
    resumed = learning_curve(train, test, assessors, plan, tmp_path, context)
    assert len(trained) == len(plan) - 3 and resumed.attrs["resumed"] == 3
    whole = learning_curve(train, test, assessors, plan)  # no work folder: everything anew
    pd.testing.assert_frame_equal(resumed.drop(columns="seconds"), whole.drop(columns="seconds"))

    trained = counting_scorer(monkeypatch)  # another store build: nothing recorded is reused
    learning_curve(train, test, assessors, plan, tmp_path, {**context, "store": "build-2"})
    assert len(trained) == len(plan)


def test_a_damaged_record_means_that_draw_is_trained_again_and_the_file_is_left_alone(monkeypatch, tmp_path):
    train, test = inputs(8), inputs(4, seed=1)
    plan, assessors = plan_draws(train.sources, [2], 2), {"prior": ("prior", {})}
    learning_curve(train, test, assessors, plan, tmp_path, {})
    records = sorted(tmp_path.glob("*.json"))
    records[0].write_text("{not json")
    trained = counting_scorer(monkeypatch)
    learning_curve(train, test, assessors, plan, tmp_path, {})
    assert [d.index for d in trained] == [0]
    assert records[0].read_text() == "{not json"  # not rssqa's record: left as it was
    curve.remove_records(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [records[0].name]


def draws_frame(gaps: dict[int, list[float]], srocc: dict[int, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"assessor": "safe", "images": size, "gap closed": gap, "SROCC": rho}
                         for size in gaps for gap, rho in zip(gaps[size], srocc[size])])


def test_the_trend_is_rising_only_beyond_the_spread_over_draws():
    flat_srocc = {8: [0.80, 0.81, 0.79], 16: [0.80, 0.81, 0.80]}
    rising = draws_frame({8: [0.30, 0.32, 0.31], 16: [0.50, 0.52, 0.51]}, flat_srocc)
    assert "still rising" in verdict(rising, "safe")
    noisy = draws_frame({8: [0.0, 0.6, 0.3], 16: [0.40, 0.42, 0.41]}, flat_srocc)  # +0.11 < sd 0.3
    assert "flat" in verdict(noisy, "safe")
    no_gap = draws_frame({8: [np.nan] * 3, 16: [np.nan] * 3}, {8: [0.60, 0.61, 0.62], 16: [0.70] * 3})
    sentence = verdict(no_gap, "safe")
    assert "still rising" in sentence and "gap closed" not in sentence
    mixed = draws_frame({8: [0.30, 0.31, 0.32], 16: [0.10, 0.11, 0.12]},
                        {8: [0.70, 0.71, 0.72], 16: [0.80, 0.81, 0.82]})
    sentence = verdict(mixed, "safe")  # each measure's own direction is said
    assert "gap closed 0.31 -> 0.11 (falling)" in sentence and "SROCC 0.71 -> 0.81 (rising)" in sentence
