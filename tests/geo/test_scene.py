"""A whole scene: georeferenced COG outputs, nodata kept out, a summary, resumption by batch."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import rasterio

from rssqa.geo.experiment import ExperimentRef, load_scene_experiment
from rssqa.geo.scene import PARTS_DIR, SceneJob, recommend_scene
from rssqa.raster.grid import TileGrid, default_overlap
from tests.geo.conftest import CRS, TRANSFORM, write_scene


@pytest.fixture(scope="module")
def experiment(geo_experiment):
    return load_scene_experiment(ExperimentRef(geo_experiment, "prior", threads=1))


def _run(experiment, scene, out, **kwargs):
    return recommend_scene(SceneJob(scene, out, scene.stem), experiment.recommender,
                           experiment.settings, experiment.intervals, **kwargs)


def test_outputs_keep_crs_and_transform_and_open_as_cogs(experiment, tmp_path):
    scene = write_scene(tmp_path / "scene.tif")
    summary = _run(experiment, scene, tmp_path / "out")
    out = tmp_path / "out"
    step = summary["tiles"]["cell"]
    with rasterio.open(out / "scene_segmentation.tif") as seg:
        assert (seg.crs.to_string(), seg.transform, seg.shape) == (CRS, TRANSFORM, (150, 200))
        assert seg.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG" and seg.profile["compress"] == "deflate"
        labels = seg.read(1)
        assert seg.colormap(1)[0] == (255, 0, 0, 255)  # the class map's colour of class 0
    assert (labels[:40, :60] == 255).all() and (labels[40:, 60:] < 3).all()  # nodata corner
    with rasterio.open(out / "scene_quality.tif") as quality:
        assert quality.crs.to_string() == CRS
        assert quality.transform == TRANSFORM @ TRANSFORM.scale(step)
        assert quality.descriptions == ("fpn", "deeplabv3plus") and quality.count == 2
        scores = quality.read()
    with rasterio.open(out / "scene_recommended.tif") as picks, \
            rasterio.open(out / "scene_interval_width.tif") as widths:
        assert picks.tags()["methods"] == "fpn,deeplabv3plus"
        assert np.array_equal(picks.read(1) == 255, np.isnan(scores[0]))
        assert ((widths.read() > 0) | np.isnan(scores)).all()
    assert summary["crs"] == CRS and summary["transform"] == list(TRANSFORM)[:6]
    assert summary["tiles"]["assessed"] + summary["tiles"]["without_data"] == summary["tiles"]["total"]
    assert summary["tiles"]["without_data"] >= 1  # the cell at the nodata corner
    assert sum(summary["tiles_recommending"].values()) == summary["tiles"]["assessed"]
    assert json.loads((out / "scene_summary.json").read_text()) == summary
    assert not (out / PARTS_DIR).exists()  # work files removed once written, their folder too


def test_an_interrupted_scene_resumes_from_its_saved_batches(experiment, tmp_path, monkeypatch):
    scene = write_scene(tmp_path / "scene.tif")
    reference = tmp_path / "reference"
    _run(experiment, scene, reference)
    recommender, calls = experiment.recommender, []
    original = type(recommender).assess_batch

    def failing_after_two(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(type(recommender), "assess_batch", failing_after_two)
    with pytest.raises(KeyboardInterrupt):
        _run(experiment, scene, tmp_path / "out")
    assert len(list((tmp_path / "out" / PARTS_DIR / "scene").glob("batch_*.npz"))) == 2
    calls.clear()
    _run(experiment, scene, tmp_path / "out")
    tiles = len(TileGrid(150, 200, recommender.tile_size, default_overlap(recommender.tile_size)))
    total_batches = -(-tiles // recommender.batch_size)  # the tiles of the 150 x 200 scene
    assert len(calls) == total_batches - 2
    for name in ("scene_segmentation.tif", "scene_quality.tif", "scene_summary.json"):
        assert (tmp_path / "out" / name).read_bytes() == (reference / name).read_bytes()
    calls.clear()
    _run(experiment, scene, tmp_path / "out")  # finished: nothing is redone
    assert calls == []


def test_a_damaged_summary_means_the_scene_is_done_again(experiment, tmp_path):
    scene = write_scene(tmp_path / "scene.tif")
    first = _run(experiment, scene, tmp_path / "out")
    (tmp_path / "out" / "scene_summary.json").write_text('{"fingerprint": "cut off')
    assert _run(experiment, scene, tmp_path / "out") == first
    assert json.loads((tmp_path / "out" / "scene_summary.json").read_text()) == first


def test_a_scene_finished_before_the_assessor_was_retrained_is_done_again(geo_experiment, tmp_path):
    from rssqa.assess.baselines.prior import PriorAssessor

    root = tmp_path / "experiment"
    shutil.copytree(geo_experiment.parent, root)
    config = root / geo_experiment.name
    config.write_text(config.read_text().replace(str(geo_experiment.parent), str(root)))
    scene = write_scene(tmp_path / "scene.tif")
    ref = ExperimentRef(config, "prior", threads=1)
    first = _run(load_scene_experiment(ref), scene, tmp_path / "out")
    saved = root / "run" / "assessors" / "prior"
    retrained = PriorAssessor.load(saved)  # as if trained again on other images: another best
    best, other = sorted(retrained.means, key=retrained.means.get, reverse=True)
    retrained.means = {best: 0.5, other: 0.9}
    retrained.save(saved)
    again = _run(load_scene_experiment(ref), scene, tmp_path / "out")
    assert first["recommended"] == best and again["recommended"] == other
    assert again["fingerprint"] != first["fingerprint"]


def test_the_maps_and_summary_name_the_accuracy_they_hold(geo_experiment, tmp_path):
    """A quality map of mIoU (or road IoU) must not read as overall accuracy in a GIS."""
    experiment = load_scene_experiment(ExperimentRef(geo_experiment, "prior", threads=1))
    experiment.recommender.target = "iou:road"  # as an experiment with `target: iou:road` has it
    summary = _run(experiment, write_scene(tmp_path / "scene.tif"), tmp_path / "out")
    assert summary["accuracy"] == "iou:road"
    for name in ("scene_quality.tif", "scene_interval_width.tif"):
        with rasterio.open(tmp_path / "out" / name) as maps:
            assert maps.tags()["accuracy"] == "iou:road" and "road IoU" in maps.tags()["rssqa"]
    assert "predicted road IoU" in (tmp_path / "out" / "scene_quality.qml").read_text()
    item = json.loads((tmp_path / "out" / "scene_item.json").read_text())
    assert item["properties"]["rssqa:accuracy"] == "iou:road"
