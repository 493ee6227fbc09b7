"""`rssqa recommend` on scenes, many scenes on a two-worker Dask LocalCluster (same bytes as one
process), and real Dubai imagery written as a GeoTIFF keeping its (made-up) georeferencing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.transform import from_origin

from rssqa.geo.command import scene_jobs
from rssqa.geo.experiment import ExperimentRef
from rssqa.geo.scaleout import recommend_scenes
from tests.conftest import SHARED_DATA
from tests.geo.conftest import CRS, TRANSFORM, invoke, write_scene

OUTPUTS = ("_segmentation.tif", "_quality.tif", "_recommended.tif", "_interval_width.tif", "_summary.json")


def test_recommend_command_writes_scene_maps_and_still_segments_pngs(geo_experiment, tmp_path):
    folder = tmp_path / "scenes"
    folder.mkdir()
    write_scene(folder / "a.tif")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 40, 3), np.uint8)).save(folder / "b.png")
    output = invoke("recommend", folder, "-c", geo_experiment, "--assessor", "prior", "--out",
                    tmp_path / "out", "--workers", "1", "--quiet")
    assert "a: " in output and "recommended" in output
    assert all((tmp_path / "out" / f"a{suffix}").is_file() for suffix in OUTPUTS)
    assert (tmp_path / "out" / "b_segmentation.png").is_file()


def test_a_scene_that_cannot_be_read_is_skipped_with_its_reason(geo_experiment, tmp_path):
    (tmp_path / "scenes").mkdir()
    (tmp_path / "scenes" / "broken.tif").write_bytes(b"not a tiff")
    write_scene(tmp_path / "scenes" / "good.tif")
    output = invoke("recommend", tmp_path / "scenes", "-c", geo_experiment, "--assessor", "prior",
                    "--out", tmp_path / "out", "--workers", "1", "--quiet", code=1)
    assert "broken.tif: cannot be read as a raster" in output
    assert (tmp_path / "out" / "good_summary.json").is_file()


def test_two_dask_workers_write_the_same_bytes_as_one_process(geo_experiment, tmp_path):
    scenes = [write_scene(tmp_path / f"s{i}.tif", height=70 + 10 * i, width=90, seed=i) for i in range(2)]
    ref = ExperimentRef(geo_experiment.resolve(), "prior", threads=1)
    local = recommend_scenes(scene_jobs(scenes, tmp_path / "one", None), ref, workers=1, verbose=False)
    cluster = recommend_scenes(scene_jobs(scenes, tmp_path / "two", None), ref, workers=2, verbose=False)
    assert [o.error for o in local + cluster] == [None] * 4
    for scene in scenes:
        for suffix in OUTPUTS:
            one, two = (tmp_path / d / f"{scene.stem}{suffix}" for d in ("one", "two"))
            assert one.read_bytes() == two.read_bytes(), one.name


@pytest.mark.skipif(not (SHARED_DATA / "dubai").is_dir(), reason="../shared/data/dubai is absent")
def test_dubai_image_as_geotiff_keeps_its_georeferencing(geo_experiment, tmp_path):
    image = Image.open(SHARED_DATA / "dubai" / "images" / "tile2_image_part_001.jpg").convert("RGB")
    rgb = np.asarray(image)[:200, :260]  # a corner keeps the test fast; any size would do
    transform = from_origin(552000.0, 2795000.0, 0.6, 0.6)  # made up: 0.6 m pixels in UTM 40N
    profile = {"driver": "GTiff", "width": rgb.shape[1], "height": rgb.shape[0], "count": 3,
               "dtype": "uint8", "crs": CRS, "transform": transform}
    with rasterio.open(tmp_path / "dubai.tif", "w", **profile) as dataset:
        dataset.write(rgb.transpose(2, 0, 1))
    ref = ExperimentRef(geo_experiment.resolve(), "prior", threads=1)
    # The pool reads bands 3, 2, 1 stretched from 0..4000 (tests.geo.conftest.RASTER); these
    # 8-bit bands come out darker, which changes the pixels, not the georeferencing.
    (outcome,) = recommend_scenes(scene_jobs([tmp_path / "dubai.tif"], tmp_path / "out", None), ref,
                                  workers=1, verbose=False)
    assert outcome.error is None
    with rasterio.open(tmp_path / "out" / "dubai_segmentation.tif") as seg:
        assert (seg.crs.to_string(), seg.transform, seg.shape) == (CRS, transform, rgb.shape[:2])
        assert (seg.read(1) < 3).all()
    with rasterio.open(tmp_path / "out" / "dubai_quality.tif") as quality:
        assert quality.crs.to_string() == CRS
        assert quality.transform == transform @ transform.scale(outcome.summary["tiles"]["cell"])
    summary = json.loads((tmp_path / "out" / "dubai_summary.json").read_text())
    assert summary["transform"] == list(transform)[:6] and summary["crs"] == CRS


def test_recommend_command_runs_scenes_on_a_given_scheduler(geo_experiment, tmp_path):
    from dask.distributed import Client, LocalCluster

    (tmp_path / "scenes").mkdir()
    for i in range(2):
        write_scene(tmp_path / "scenes" / f"s{i}.tif", height=60, width=70, seed=i)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0) as cluster:
        output = invoke("recommend", tmp_path / "scenes", "-c", geo_experiment, "--assessor", "prior",
                        "--out", tmp_path / "out", "--scheduler", cluster.scheduler_address, "--quiet")
        with Client(cluster) as client:  # the scenes ran as tasks of that cluster
            prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert "run_scene_task" in prefixes
    assert "s0: " in output and "s1: " in output
    for i in range(2):
        with rasterio.open(tmp_path / "out" / f"s{i}_segmentation.tif") as seg:
            assert (seg.crs.to_string(), seg.transform) == (CRS, TRANSFORM)
