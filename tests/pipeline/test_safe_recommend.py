"""`rssqa recommend` with a safe selector says, per image, whether it kept the default method."""

import json

import yaml
from typer.testing import CliRunner

from rssqa.cli import app

runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_safe_recommendation_reports_default_and_predicted_gain(tiny_dataset, tmp_path, one_thread):
    from tests.conftest import tiny_config_dict

    config = tiny_config_dict(tiny_dataset, tmp_path / "run")
    config["assessor"] = {"name": "safe", "kwargs": {
        "base": "listwise", "base_kwargs": {"config": {"epochs": 30, "members": 1}}, "folds": 2}}
    path = tmp_path / "safe.yaml"
    path.write_text(yaml.safe_dump(config))
    invoke("build", path, "--quiet")
    trained = invoke("train", path, "--assessors", "safe,prior", "--quiet")
    saved = json.loads((tmp_path / "run" / "assessors" / "safe" / "assessor.json").read_text())
    prior = json.loads((tmp_path / "run" / "assessors" / "prior" / "assessor.json").read_text())
    assert saved["default"] == max(prior["means"], key=prior["means"].get)  # the train split's SBS
    # Told at training time when no margin paid held out, so the default is kept on every tile.
    assert (f"recommends {saved['default']} everywhere" in trained) == (saved["margin"] is None)

    output = invoke("recommend", tiny_dataset / "images" / "g3_img1.png", "--config", path,
                    "--out", tmp_path / "rec", "--quiet")
    decision = json.loads((tmp_path / "rec" / "recommendations.json").read_text())["decisions"]["g3_img1"]
    assert decision["default"] == saved["default"]
    assert isinstance(decision["predicted_gain"], float) and decision["predicted_gain"] >= 0
    assert decision["kept_default"] == (decision["method"] == saved["default"])
    assert "kept default" in output
