"""The CLI end to end on tiny data: build -> train -> evaluate -> recommend, as a user runs it."""

import json

import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from rssqa.cli import app

runner = CliRunner()


def invoke(*args, code=0):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_build_train_evaluate_recommend(tiny_config, tiny_dataset, tmp_path):
    run = tmp_path / "run"
    invoke("build", tiny_config, "--quiet")
    assert (run / "sqed" / "manifest.json").exists()
    assert (run / "run_build.json").exists()  # resolved config and seed next to the output

    invoke("train", tiny_config, "--quiet")
    defaults = ["rssqa", "agreement", "atc", "doc", "confidence-maxprob", "confidence-entropy",
                "prior", "random"]
    for name in defaults:
        assert (run / "assessors" / name).is_dir()

    output = invoke("evaluate", tiny_config, "--n-boot", 50)
    summary = pd.read_csv(run / "reports" / "summary.csv")
    assert set(summary["assessor"]) == set(defaults)
    assert (run / "reports" / "scatter_rssqa.png").exists()
    assert "P@1" in output

    # Selection measures: the prior always picks the method best on the train split, the SBS.
    for column in ("OA of picks", "regret", "gap closed", "gap closed vs hindsight SBS", "p vs SBS"):
        assert column in summary.columns
    assert "SBS" in output and "VBS" in output and "hindsight SBS" in output
    for name, level in (("selection.csv", "tile"), ("selection_images.csv", "image")):
        selection = pd.read_csv(run / "reports" / name, index_col="assessor")
        assert set(selection["level"]) == {level}
        assert sorted(selection.index) == sorted(summary["assessor"])
        prior = selection.loc["prior"]
        assert prior["OA of picks"] == pytest.approx(prior["OA(SBS)"]) and prior["p vs SBS"] == 1
        assert (selection["OA of picks"] <= selection["OA(VBS)"] + 1e-12).all()
        assert (selection["regret"] >= -1e-12).all()
        assert (selection["OA of picks low"] <= selection["OA of picks high"]).all()
    assert selection["units"].iloc[0] < len(pd.read_csv(run / "reports" / "recommendations.csv"))

    # A folder with two real images and one broken file: the broken one is skipped and reported.
    images = tmp_path / "new_images"
    images.mkdir()
    for name in ["g3_img1", "g4_img2"]:
        (images / f"{name}.png").write_bytes((tiny_dataset / "images" / f"{name}.png").read_bytes())
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    out = tmp_path / "rec"
    output = invoke("recommend", images, "--config", tiny_config, "--out", out, "--quiet", code=1)
    assert "recommended a method for 2 of 3 image(s); skipped 1" in output  # even under --quiet
    picks = json.loads((out / "recommendations.json").read_text())
    assert set(picks["recommended"]) == {"g3_img1", "g4_img2"}
    assert [s["image"].endswith("broken.jpg") for s in picks["skipped"]] == [True]
    mask = Image.open(out / "g3_img1_labels.png")
    assert mask.size == Image.open(images / "g3_img1.png").size
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == 2 * 2  # two images x two methods, ranked
    assert scores.groupby("image")["recommended"].sum().tolist() == [1, 1]


def test_missing_config_is_one_clear_error(tmp_path):
    result = runner.invoke(app, ["build", "-c", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "config file not found" in result.output and "Traceback" not in result.output
