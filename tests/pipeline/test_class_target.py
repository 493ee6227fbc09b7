"""`target: iou:<class>`: the accuracy of one class (a road analyst's road IoU), predicted,
ranked, evaluated and recommended by, from the store an experiment already built."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from rssqa.sqed.store import SQEDStore
from tests.conftest import experiment_copy, torch_threads, trained_tiny_experiment
from tests.pipeline.test_bad_inputs import invoke, one_line_error


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return trained_tiny_experiment(tmp_path_factory.mktemp("class_target"))


@pytest.fixture
def experiment(trained, tmp_path):
    """A copy of the trained experiment, and its config with ``target`` set."""
    copied, run = experiment_copy(trained, tmp_path)
    base = yaml.safe_load(copied.read_text())

    def config(target):
        path = tmp_path / "water.yaml"
        path.write_text(yaml.safe_dump(base | {"target": target}))
        return path

    return config, run, trained.parent / "data" / "images" / "g3_img1.png"


def test_a_class_iou_is_read_from_the_stored_masks_and_predictions(trained):
    store = SQEDStore.open(trained.parent / "run" / "sqed")
    water = store.labels("iou:water")
    masks = np.asarray(store.array("masks"))
    for j, method in enumerate(store.methods):
        predicted = np.asarray(store.predictions(method))
        for i in range(len(masks)):
            labelled = masks[i] != 255
            truth, found = (masks[i] == 2) & labelled, (predicted[i] == 2) & labelled
            union = (truth | found).sum()
            expected = (truth & found).sum() / union if union else 1.0  # nothing to find, none found
            assert water[i, j] == pytest.approx(expected)
    assert water.shape == store.labels("oa").shape and np.isfinite(water).all()


def test_an_experiment_trained_evaluated_and_recommending_by_one_class(experiment, tmp_path):
    config, run, image = experiment
    path = config("iou:water")
    with torch_threads(1):
        assert invoke("train", path, "--assessors", "prior", "--quiet").exit_code == 0
        evaluated = invoke("evaluate", path, "--assessors", "prior", "--n-boot", "10", "--quiet")
        assert evaluated.exit_code == 0, evaluated.output
        assert "every OA in these tables is water IoU" in evaluated.output
        result = invoke("recommend", image, "--config", path, "--assessor", "prior",
                        "--out", tmp_path / "rec", "--quiet")
    assert result.exit_code == 0, result.output
    assert "predicted water IoU" in result.output
    assert json.loads((tmp_path / "rec" / "recommendations.json").read_text())["accuracy"] == "iou:water"
    store = SQEDStore.open(run / "sqed")
    means = store.labels("iou:water")[store.split_index("train")].mean(axis=0)
    assert json.loads((run / "assessors" / "prior" / "assessor.json").read_text())["means"] == \
        pytest.approx(dict(zip(store.methods, means)))


@pytest.mark.parametrize("target, needles", [
    ("iou:watter", ("no class 'watter'", "building, land, water")),
    ("iou:", ("no class ''",)),
    ("accuracy", ("target 'accuracy'", "iou:<class>")),
])
def test_a_target_naming_no_class_of_the_experiment_is_one_line(experiment, target, needles):
    config, run, image = experiment
    one_line_error(invoke("train", config(target), "--assessors", "prior", "--quiet"), 2, *needles)
