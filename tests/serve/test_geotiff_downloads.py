"""A GeoTIFF upload is answered with the scene's georeferenced files (COG maps, the GeoPackage of
cells, the STAC item) to download, written by the scene code; nothing else can be downloaded."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from rasterio.crs import CRS
from rasterio.transform import Affine

from rssqa.raster.grid import image_grid
from rssqa.serve.app import create_app
from rssqa.serve.downloads import DownloadStore, SceneFile
from rssqa.serve.settings import ServeSettings
from tests.serve.conftest import CRS_32640, HEIGHT, TRANSFORM, WIDTH, demo_geotiff, image_bytes

@pytest.fixture(scope="module")
def client(experiment):
    settings = ServeSettings(max_bytes=2_000_000, max_pixels=300 * 300)
    with TestClient(create_app(experiment, settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def answer(client) -> dict:
    response = client.post("/api/assess", files={"file": ("dubai.tif", demo_geotiff(), "image/tiff")},
                           params={"images": "false"})
    assert response.status_code == 200, response.text
    return response.json()


def fetch(client, answer: dict, suffix: str):
    row = next(row for row in answer["downloads"] if row["name"] == f"dubai{suffix}")
    response = client.get(row["url"])
    assert response.status_code == 200, response.text
    return row, response


def test_the_answer_lists_the_scene_files_and_each_downloads(client, answer):
    names = [row["name"] for row in answer["downloads"]]
    assert names[:2] == ["dubai_segmentation.tif", "dubai_quality.tif"]  # the maps first
    assert {"dubai_cells.gpkg", "dubai_recommended.tif", "dubai_item.json"} <= set(names)
    assert "dubai.tif" not in names  # the upload's own copy is not offered (nor kept)
    for row in answer["downloads"]:
        assert row["url"].startswith("/api/download/") and row["url"].endswith("/" + row["name"])
        assert row["description"]
        response = client.get(row["url"])
        assert response.status_code == 200 and response.content, row["name"]
        assert response.headers["content-type"].startswith(row["media_type"].split(";")[0])
        assert row["name"] in response.headers["content-disposition"]
    assert fetch(client, answer, "_segmentation.tif")[0]["media_type"] == (
        "image/tiff; application=geotiff; profile=cloud-optimized")


def test_the_cogs_are_georeferenced_like_the_upload(client, answer, tmp_path):
    segmentation = tmp_path / "segmentation.tif"
    segmentation.write_bytes(fetch(client, answer, "_segmentation.tif")[1].content)
    with rasterio.open(segmentation) as dataset:
        assert dataset.crs == CRS_32640 and dataset.transform == TRANSFORM
        assert (dataset.height, dataset.width) == (HEIGHT, WIDTH)
        assert dataset.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    quality = tmp_path / "quality.tif"
    quality.write_bytes(fetch(client, answer, "_quality.tif")[1].content)
    grid = image_grid(HEIGHT, WIDTH, 32)  # the grid the page's tile scores lie on
    with rasterio.open(quality) as dataset:
        assert dataset.crs == CRS_32640
        assert dataset.transform == TRANSFORM @ Affine.scale(grid.step)  # one pixel per cell
        assert (dataset.height, dataset.width) == (grid.rows, grid.cols)
        assert dataset.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"


def test_the_geopackage_has_a_polygon_per_cell_in_the_uploads_crs(client, answer, tmp_path):
    import pyogrio
    import shapely

    path = tmp_path / "cells.gpkg"
    path.write_bytes(fetch(client, answer, "_cells.gpkg")[1].content)
    info = pyogrio.read_info(path)
    assert info["geometry_type"] == "Polygon" and CRS.from_user_input(info["crs"]) == CRS_32640
    meta, _, geometry, values = pyogrio.raw.read(path)
    table = dict(zip(meta["fields"], values))
    grid = image_grid(HEIGHT, WIDTH, 32)
    assert len(geometry) == len(grid) == answer["tiles"]
    polygons = shapely.from_wkb(geometry)
    for polygon, row, col in zip(polygons, table["row"], table["col"]):
        left, top, right, bottom = grid.cell_bounds(int(row), int(col))
        corners = [TRANSFORM @ (left, top), TRANSFORM @ (right, bottom)]
        expected = shapely.box(*np.min(corners, axis=0), *np.max(corners, axis=0))
        assert polygon.equals(expected)  # the same square, whatever its ring's order
    total = shapely.union_all(polygons)  # the cells tile the upload's footprint exactly
    assert total.area == pytest.approx(HEIGHT * WIDTH * 0.25)


def test_the_stac_items_assets_download_beside_it(client, answer):
    row, response = fetch(client, answer, "_item.json")
    item = json.loads(response.content)
    assert item["properties"]["proj:code"] == "EPSG:32640"
    folder = row["url"].rsplit("/", 1)[0]
    for asset in item["assets"].values():  # relative hrefs resolve against the item's URL
        assert client.get(f"{folder}/{asset['href']}").status_code == 200, asset["href"]


def test_only_files_written_for_the_token_download(client, answer):
    token = answer["downloads"][0]["url"].split("/")[3]
    other = client.post("/api/assess", files={"file": ("other.tif", demo_geotiff(), "image/tiff")},
                        params={"images": "false"}).json()
    other_token = other["downloads"][0]["url"].split("/")[3]
    assert other_token != token
    for path in (f"{token}/dubai.tif",  # the upload's copy: written, then removed, never listed
                 f"{token}/other_quality.tif",  # another token's file
                 f"{other_token}/dubai_quality.tif",
                 f"{token}/..", f"{token}/%2E%2E", f"{token}/..%2F{other_token}%2Fother_quality.tif",
                 f"..%2F{token}/dubai_quality.tif", f"{token[:-1]}x/dubai_quality.tif",
                 "x/dubai_quality.tif"):
        response = client.get(f"/api/download/{path}")
        assert response.status_code == 404, path


def test_a_png_upload_has_no_downloads(client):
    response = client.post("/api/assess", files={"file": ("a.png", image_bytes((64, 48)), "image/png")},
                           params={"images": "false"})
    assert response.status_code == 200 and response.json()["downloads"] is None


def test_a_tiff_without_a_crs_has_no_downloads(client):
    response = client.post("/api/assess", files={"file": ("a.tif", image_bytes((64, 48), "TIFF"),
                                                          "image/tiff")}, params={"images": "false"})
    assert response.status_code == 200 and response.json()["downloads"] is None


def test_the_store_keeps_the_last_tokens_and_goes_with_the_server(tmp_path):
    store = DownloadStore(keep=2)
    store.open()
    root = store.root
    tokens = []
    for _ in range(3):
        token, folder = store.new_folder()
        (folder / "a.tif").write_bytes(b"x")
        store.publish(token, [SceneFile("a.tif", "quality", "image/tiff", "a map")])
        tokens.append(token)
    assert store.find(tokens[0], "a.tif") is None and not (root / tokens[0]).exists()
    assert all(store.find(token, "a.tif") for token in tokens[1:])
    assert store.find(tokens[1], "b.tif") is None
    store.close()
    assert not root.exists() and store.find(tokens[2], "a.tif") is None


def test_the_servers_temporary_folder_is_removed_at_shutdown(experiment):
    app = create_app(experiment)
    with TestClient(app):
        root = app.state.downloads.root
        assert root.is_dir()
    assert not root.exists()


def _tile_counter(monkeypatch, recommender) -> list[int]:
    """Counts the tiles ``recommender`` encodes and segments, batch by batch."""
    counted, assess_batch = [], recommender.assess_batch

    def counting(batch, *args, **kwargs):
        counted.append(len(batch))
        return assess_batch(batch, *args, **kwargs)

    monkeypatch.setattr(recommender, "assess_batch", counting)
    return counted


def _read(path):
    with rasterio.open(path) as dataset:
        return dataset.read(masked=True)


@pytest.mark.parametrize("nodata_rows", [0, 40])
def test_the_downloads_are_what_rssqa_recommend_writes_for_the_same_file(
        client, experiment, tmp_path, monkeypatch, nodata_rows):
    from rssqa.geo.scene import SceneJob, recommend_scene

    data = demo_geotiff(nodata_rows)
    counted = _tile_counter(monkeypatch, experiment.recommender)
    answer = client.post("/api/assess", files={"file": ("dubai.tif", data, "image/tiff")},
                         params={"images": "false"}).json()
    if not nodata_rows:  # the page's assessment is the scene's: each tile is assessed once
        assert sum(counted) == len(image_grid(HEIGHT, WIDTH, 32))
    (tmp_path / "dubai.tif").write_bytes(data)
    recommend_scene(SceneJob(tmp_path / "dubai.tif", tmp_path / "cli", "dubai"),
                    experiment.recommender, experiment.raster, experiment.intervals)
    for suffix in ("_quality.tif", "_recommended.tif", "_segmentation.tif"):
        downloaded = tmp_path / f"downloaded{suffix}"
        downloaded.write_bytes(fetch(client, answer, suffix)[1].content)
        written, served = _read(tmp_path / "cli" / f"dubai{suffix}"), _read(downloaded)
        assert np.array_equal(served.mask, written.mask), suffix
        assert np.array_equal(served.filled(0), written.filled(0)), suffix
    if nodata_rows:  # cells without data stay empty, as on the command line
        assert _read(tmp_path / "downloaded_quality.tif").mask[:, 0].all()
