"""The stacked predictor and the safe selector's per-experiment choice of base."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from rssqa.assess.registry import create_assessor, load_assessor
from rssqa.assess.selectors.safe import CANDIDATES, CHOICE_FILE, TIE
from rssqa.assess.stacked import LABEL_FREE
from tests.assess.test_selectors import FAST


def mean_srocc(pred, targets):
    return float(np.mean([spearmanr(pred[:, j], targets[:, j])[0] for j in range(targets.shape[1])]))


def test_a_stack_whose_learned_member_is_noise_ranks_tiles_as_the_signals_do(pool_inputs, tmp_path):
    train, test = pool_inputs(200, seed=1), pool_inputs(200, seed=2)
    stack = create_assessor("stacked", learned="random").fit(train)
    weights = dict(zip(stack.member_names, stack.weights))
    assert weights["random"] < 0.05 and max(weights[name] for name in LABEL_FREE) > 0.5
    agreement = create_assessor("agreement").fit(train).predict(test)
    assert mean_srocc(stack.predict(test), test.targets) >= mean_srocc(agreement, test.targets) - 0.02
    stack.save(tmp_path / "stack")
    np.testing.assert_allclose(load_assessor(tmp_path / "stack").predict(test), stack.predict(test))


def test_the_safe_selector_chooses_its_base_on_held_out_images_and_keeps_the_table(
        pool_inputs, tmp_path, single_thread):
    train, test = pool_inputs(240, seed=1), pool_inputs(100, seed=2)
    safe = create_assessor("safe", base="auto", base_kwargs=FAST).fit(train)
    gaps = {row["base"]: row["gap_closed"] for row in safe.choice}
    ranking = {row["base"]: row["srocc"] for row in safe.choice}
    assert list(gaps) == list(CANDIDATES)
    eligible = [name for name in CANDIDATES if ranking[name] >= max(ranking.values()) - TIE]
    best = max(gaps[name] for name in eligible)
    simpler = [name for name in eligible[:eligible.index(safe.chosen)]]
    assert safe.chosen in eligible and gaps[safe.chosen] >= best - TIE
    assert all(gaps[name] < best - TIE for name in simpler)
    safe.save(tmp_path / "safe")
    loaded = load_assessor(tmp_path / "safe")
    assert loaded.chosen == safe.chosen and (tmp_path / "safe" / CHOICE_FILE).is_file()
    np.testing.assert_allclose(loaded.predict(test), safe.predict(test))
    np.testing.assert_allclose(loaded.selection_scores(safe.predict(test)),
                               safe.selection_scores(safe.predict(test)))


def test_an_unknown_candidate_is_refused_before_any_fitting():
    from rssqa.errors import InputError

    with pytest.raises(InputError):
        create_assessor("safe", base="auto", candidates=["agreement", "no-such-assessor"])


def test_a_base_that_ranks_tiles_badly_is_not_chosen_for_its_picks():
    from rssqa.assess.selectors.safe import choose_base

    rows = [{"base": "agreement", "gap_closed": 0.30, "srocc": 0.80},
            {"base": "listwise", "gap_closed": 0.50, "srocc": 0.70},  # better picks, worse ranking
            {"base": "stacked", "gap_closed": 0.45, "srocc": 0.79}]
    assert choose_base(rows)["base"] == "stacked"
    rows[2]["gap_closed"] = 0.31  # within TIE of the simpler agreement: a tie, the simpler wins
    assert choose_base(rows)["base"] == "agreement"


def test_the_papers_rssqa_can_be_weighed_as_a_candidate_base(pool_inputs, small_config, tmp_path,
                                                            single_thread):
    """Opt-in, since it cross-fits one network per method and fold: named in ``candidates``, the
    per-method RS-SQA is cross-fitted, calibrated and saved like any candidate."""
    from dataclasses import asdict, replace

    train, test = pool_inputs(120, seed=1), pool_inputs(40, seed=2)
    quick = {"config": asdict(replace(small_config, epochs=3)), "verbose": False}
    safe = create_assessor("safe", base="auto", candidates=["rssqa"],
                           base_kwargs={"rssqa": quick}).fit(train)
    assert safe.chosen == "rssqa" and np.isfinite(safe.choice[0]["srocc"])
    assert safe.conformal is not None
    safe.save(tmp_path / "safe")
    loaded = load_assessor(tmp_path / "safe")
    np.testing.assert_allclose(loaded.predict(test), safe.predict(test), rtol=1e-5)
