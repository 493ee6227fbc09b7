"""A trained experiment is opened in one place, and the README's Python example gives what
`rssqa recommend` gives."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rssqa.cli import app
from rssqa.errors import InputError
from rssqa.experiment import open_experiment, trained_assessor
from rssqa.recommend import Recommender
from tests.conftest import torch_threads, trained_tiny_experiment


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return trained_tiny_experiment(tmp_path_factory.mktemp("experiment"))


def test_the_readme_example_recommends_what_the_command_line_recommends(trained, tmp_path):
    image = trained.parent / "data" / "images" / "g3_img1.png"
    with torch_threads(1):
        experiment = open_experiment(trained, "prior")
        result = Recommender.of(experiment).assess_file(image)
        out = tmp_path / "out"
        cli = CliRunner().invoke(app, ["recommend", str(image), "-c", str(trained), "--assessor",
                                       "prior", "--out", str(out), "--quiet"])
    assert cli.exit_code == 0, cli.output
    written = json.loads((out / "recommendations.json").read_text())
    assert written["recommended"]["g3_img1"] == result.recommended
    scores = {row["method"]: row["predicted_oa"] for row in written["scores"]}
    assert np.allclose([scores[m] for m in result.methods], result.scores)
    assert experiment.methods == result.methods and experiment.tile_size == 32


def test_opening_names_the_stage_to_run_and_the_assessors_it_has(trained):
    config = trained.parent / "missing.yaml"
    config.write_text(trained.read_text().replace(str(trained.parent / "run"),
                                                  str(trained.parent / "never_built")))
    with pytest.raises(InputError, match="holds no SQED store.*rssqa build"):
        open_experiment(config)
    with pytest.raises(InputError, match="no trained assessor 'safe'.*trained here: prior"):
        open_experiment(trained, "safe")
    from rssqa.config import load_config

    assert trained_assessor(load_config(trained), "prior") == "prior"


def test_recommend_writes_each_methods_interval_and_whether_there_is_a_clear_winner(trained, tmp_path):
    import pandas as pd

    from rssqa.assess.conformal import SplitConformal, save_conformal

    rng = np.random.default_rng(0)
    predicted = rng.uniform(0.3, 0.9, (40, 2))
    calibration = SplitConformal.calibrate(predicted, np.clip(predicted + rng.normal(0, 0.05, predicted.shape), 0, 1))
    assessor = trained.parent / "run" / "assessors" / "prior"
    save_conformal(assessor, calibration, ["fpn", "deeplabv3plus"])
    try:
        image = trained.parent / "data" / "images" / "g3_img1.png"
        out = tmp_path / "out"
        with torch_threads(1):
            result = CliRunner().invoke(app, ["recommend", str(image), "-c", str(trained), "--assessor",
                                              "prior", "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        scores = pd.read_csv(out / "scores.csv")
        assert (scores["interval_low"] <= scores["predicted_oa"]).all()
        assert (scores["predicted_oa"] <= scores["interval_high"]).all()
        decision = json.loads((out / "recommendations.json").read_text())["decisions"]["g3_img1"]
        assert decision["interval_level"] == pytest.approx(0.9)
        assert isinstance(decision["no_clear_winner"], bool)
    finally:
        (assessor / "conformal.json").unlink()
