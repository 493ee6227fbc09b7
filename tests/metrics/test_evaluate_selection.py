"""``rssqa evaluate``'s tables: P@1 and the selection measures score the assessor's picks (its
selection scores), the correlations its predictions."""

import numpy as np
import pytest

from rssqa.report.evaluation import (evaluate_predictions, references_sentence, selection_records,
                            selection_table, selection_verdict, summary_table)

METHODS = ["unet", "fpn", "deeplab"]


def tables(seed=0, n=60):
    rng = np.random.default_rng(seed)
    true = rng.uniform(0.5, 0.9, (n, 3))
    return true + rng.normal(0, 0.03, true.shape), true


def test_picks_come_from_the_selection_scores_not_the_predictions():
    pred, true = tables()
    keep_default = np.zeros_like(pred)
    keep_default[:, 1] = 1  # a selector that never leaves fpn
    plain = evaluate_predictions(pred, true, METHODS, "plain", n_boot=30, sbs=1)
    safe = evaluate_predictions(pred, true, METHODS, "safe", n_boot=30, selection=keep_default, sbs=1)
    assert np.allclose(plain.per_method["srocc"], safe.per_method["srocc"])  # same predictions
    fpn_best = np.mean(true[:, 1] >= true.max(axis=1))
    assert safe.recommendation["p@1"].iloc[0] == pytest.approx(fpn_best)
    assert plain.recommendation["p@1"].iloc[0] > safe.recommendation["p@1"].iloc[0]
    row = safe.selection.iloc[0]
    assert row["gap closed"] == 0 and row["p vs SBS"] == 1
    assert plain.selection.iloc[0]["gap closed"] > 0.5


def test_summary_has_selection_columns_and_the_references():
    pred, true = tables(seed=1)
    sources = [f"img{i // 6}" for i in range(len(true))]
    evaluations = [evaluate_predictions(pred, true, METHODS, "good", n_boot=30, sbs=0, sources=sources),
                   evaluate_predictions(-pred, true, METHODS, "bad", n_boot=30, sbs=0, sources=sources)]
    summary = summary_table(evaluations)
    cell = summary.set_index("assessor").loc["good", "OA of picks"]
    assert cell.startswith(f"{evaluations[0].selection.iloc[0]['OA of picks']:.3f} [")
    assert summary.set_index("assessor").loc["bad", "gap closed"].startswith("-")
    assert "SBS = unet" in summary.attrs["references"] and "VBS" in summary.attrs["references"]

    images = selection_records(evaluations, "image")
    assert list(images["units"]) == [10, 10] and set(images["level"]) == {"image"}
    assert "10 test images" in references_sentence(images)
    assert list(selection_table(evaluations, "image")["assessor"]) == ["good", "bad"]
    verdicts = {row["assessor"]: selection_verdict(row, row["assessor"]) for _, row in images.iterrows()}
    assert "beats always using the SBS" in verdicts["good"]
    assert "worse than always using the SBS" in verdicts["bad"]


def test_without_an_sbs_the_selection_columns_say_so():
    pred, true = tables(seed=2)
    summary = summary_table([evaluate_predictions(pred, true, METHODS, "x", n_boot=10)])
    assert summary.loc[0, "gap closed"] == "n/a" and summary.loc[0, "P@1"] != "n/a"


def test_p_at_1_of_a_selector_that_scores_its_default_inf():
    pred, true = tables(seed=3)
    safe = pred.copy()
    safe[:, 2] = np.inf  # keeps deeplab everywhere
    ev = evaluate_predictions(pred, true, METHODS, "safe", n_boot=20, selection=safe, sbs=2)
    assert ev.recommendation["p@1"].iloc[0] == pytest.approx(np.mean(true[:, 2] >= true.max(axis=1)))
    assert ev.selection.iloc[0]["OA of picks"] == pytest.approx(true[:, 2].mean())
