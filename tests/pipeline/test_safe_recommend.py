"""`rssqa recommend` with a safe selector says, per image, whether it kept the default method, and
starts without the libraries only training needs."""

import json
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from rssqa.cli import app
from tests.conftest import make_labelled_folder, tiny_config_dict, torch_threads

runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(config path, data folder, what `rssqa train --assessors safe,prior` printed)."""
    root = tmp_path_factory.mktemp("safe")
    data = make_labelled_folder(root / "data")
    config = tiny_config_dict(data, root / "run")
    config["assessor"] = {"name": "safe", "kwargs": {
        "base": "listwise", "base_kwargs": {"config": {"epochs": 30, "members": 1}}, "folds": 2}}
    path = root / "safe.yaml"
    path.write_text(yaml.safe_dump(config))
    with torch_threads(1):
        invoke("build", path, "--quiet")
        printed = invoke("train", path, "--assessors", "safe,prior", "--quiet")
    return path, data, printed


def test_safe_recommendation_reports_default_and_predicted_gain(trained, tmp_path, one_thread):
    path, data, printed = trained
    run = path.parent / "run"
    saved = json.loads((run / "assessors" / "safe" / "assessor.json").read_text())
    prior = json.loads((run / "assessors" / "prior" / "assessor.json").read_text())
    assert saved["default"] == max(prior["means"], key=prior["means"].get)  # the train split's SBS
    # Told at training time when no margin paid held out, so the default is kept on every tile.
    assert (f"recommends {saved['default']} everywhere" in printed) == (saved["margin"] is None)

    output = invoke("recommend", data / "images" / "g3_img1.png", "--config", path,
                    "--out", tmp_path / "rec", "--quiet")
    decision = json.loads((tmp_path / "rec" / "recommendations.json").read_text())["decisions"]["g3_img1"]
    assert decision["default"] == saved["default"]
    assert isinstance(decision["predicted_gain"], float) and decision["predicted_gain"] >= 0
    assert decision["kept_default"] == (decision["method"] == saved["default"])
    assert "kept default" in output


def test_assessing_a_first_image_loads_no_library_only_training_needs(trained):
    """Start-up: scikit-learn, LightGBM, pandas and scipy.stats cost `rssqa recommend` about two
    seconds before its first image, and assessing new images needs none of them."""
    path, data, _ = trained
    code = (f"import sys\nfrom rssqa.experiment import open_experiment\n"
            f"from rssqa.recommend import Recommender\n"
            f"Recommender.of(open_experiment({str(path)!r})).assess_file({str(data / 'images' / 'g3_img1.png')!r})\n"
            f"print(sorted(m for m in ('sklearn', 'lightgbm', 'pandas', 'scipy.stats', 'crepes') "
            f"if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip().splitlines()[-1] == "[]"
