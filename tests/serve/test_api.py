"""The JSON API through FastAPI's TestClient: answers for good images, 4xx messages for bad ones."""

from __future__ import annotations

import base64
import dataclasses
import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from matplotlib import colormaps
from PIL import Image

from rssqa.raster.grid import image_grid
from rssqa.serve.app import create_app
from rssqa.serve.results import assessment_payload
from rssqa.serve.settings import ServeSettings
from rssqa.serve.upload import decode_upload
from tests.serve.conftest import image_bytes


@pytest.fixture(scope="module")
def client(experiment):
    settings = ServeSettings(max_bytes=200_000, max_pixels=300 * 300)
    with TestClient(create_app(experiment, settings), raise_server_exceptions=False) as client:
        yield client


def post(client, data: bytes, filename="upload.png", **params):
    return client.post("/api/assess", files={"file": (filename, data, "image/png")}, params=params)


def decode_uri(uri: str) -> Image.Image:
    header, payload = uri.split(",", 1)
    assert header.startswith("data:image/")
    return Image.open(io.BytesIO(base64.b64decode(payload)))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_good_image_gets_scores_and_a_recommendation(client, experiment, fmt):
    response = post(client, image_bytes((64, 48), fmt), filename=f"../../etc/scene.{fmt.lower()}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["image"] == "scene"  # only a label from the file name, never a path
    assert (body["width"], body["height"]) == (64, 48)
    assert body["tiles"] == 6  # 32-px tiles overlapping by 8 px: cells of 24 px, 3 x 2 of them
    assert body["accuracy"] == "oa"  # what every predicted_oa is: the experiment's target
    assert sorted(row["method"] for row in body["methods"]) == sorted(experiment.methods)
    scores = [row["predicted_oa"] for row in body["methods"]]
    assert scores == sorted(scores, reverse=True) and [r["rank"] for r in body["methods"]] == [1, 2]
    assert body["recommended"] in experiment.methods
    assert sum(row["recommended"] for row in body["methods"]) == 1
    assert [c["name"] for c in body["classes"]] == ["building", "land", "water"]
    assert all(row["interval"] is None for row in body["methods"])
    assert "without intervals" in body["interval_note"]


def test_pictures_have_the_image_size_and_class_colours(client, experiment):
    body = post(client, image_bytes((64, 48))).json()
    pictures = body["images"]
    assert set(pictures["masks"]) == set(experiment.methods)
    for uri in pictures["masks"].values():
        mask = decode_uri(uri)
        assert mask.size == (64, 48)
        colours = {tuple(c) for _, c in mask.convert("RGB").getcolors()}
        assert colours <= {(255, 0, 0), (0, 255, 0), (0, 0, 255)}
    assert decode_uri(pictures["photo"]).size == (64, 48)
    assert pictures["heatmap"]["tiles"] == 6 and pictures["heatmap"]["method"] == body["recommended"]
    assert pictures["heatmap"]["low"] <= pictures["heatmap"]["high"]


def test_tile_rows_lie_on_the_grid_the_image_was_recommended_on(client):
    body = post(client, image_bytes((100, 76)), images="false").json()  # not a multiple of 32
    grid = image_grid(76, 100, 32)  # cells of 24 px: 5 x 4 of them, tiles slid inside the image
    assert body["tiles"] == len(body["tile_scores"]) == len(grid) == 20
    assert [(row["y"], row["x"]) for row in body["tile_scores"]] == grid.tile_origins()
    assert [(row["row"], row["col"]) for row in body["tile_scores"]] == [
        (r, c) for r in range(4) for c in range(5)]
    assert body["tile_scores"][-1]["cell"] == [96, 72, 100, 76]  # cut at the image's edge
    assert (body["tile_scores"][-1]["x"], body["tile_scores"][-1]["y"]) == (68, 44)


def test_heat_map_paints_each_cell_with_its_own_tiles_score(experiment):
    pixels = decode_upload(image_bytes((100, 76)), 10**6)
    result, seconds = experiment.assess(pixels, "x")
    grid = result.grid
    column = result.methods.index(result.recommended)
    scores = result.tile_scores.copy()
    scores[:, column] = np.linspace(0.05, 0.95, len(grid))  # every tile its own colour
    body = assessment_payload(experiment, dataclasses.replace(result, tile_scores=scores),
                              pixels, seconds)
    heat = np.asarray(decode_uri(body["images"]["heatmap"]["uri"]).convert("RGB")).astype(int)
    assert heat.shape == (76, 100, 3)
    for index, row in enumerate(body["tile_scores"]):
        left, top, right, bottom = row["cell"]
        colour = np.round(np.asarray(colormaps["viridis"](scores[index, column])[:3]) * 255)
        for y, x in ((top, left), (bottom - 1, right - 1), ((top + bottom) // 2, (left + right) // 2)):
            np.testing.assert_allclose(heat[y, x], colour, atol=2, err_msg=f"cell {index} at {(y, x)}")


def test_scores_only_on_request(client):
    body = post(client, image_bytes(), images="false").json()
    assert "images" not in body and body["recommended"]


def test_corrupt_file_is_a_4xx_with_a_message(client):
    truncated = image_bytes((64, 64))[:200]
    response = post(client, truncated, filename="broken.png")
    assert response.status_code == 422
    assert "damaged or truncated" in response.json()["detail"]
    assert "Traceback" not in response.text


def test_not_an_image_is_415_whatever_its_name(client):
    response = post(client, b"GIF is not this; just some text, named like a PNG", filename="x.png")
    assert response.status_code == 415
    assert "not a PNG, JPEG or TIFF" in response.json()["detail"]
    gif = post(client, image_bytes(fmt="GIF", mode="P"), filename="x.png")
    assert gif.status_code == 415 and "GIF" in gif.json()["detail"]


def test_oversize_upload_is_413(client):
    response = post(client, b"\x89PNG" + b"0" * 300_000)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_too_many_pixels_is_413_before_decoding(client):
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (90, 120, 60)).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 10_000  # a small file, but 160,000 > 90,000 pixels
    response = post(client, buffer.getvalue())
    assert response.status_code == 413
    assert "pixels" in response.json()["detail"]


def test_empty_upload_is_400(client):
    response = post(client, b"")
    assert response.status_code == 400 and "empty" in response.json()["detail"]


def test_info_page_and_openapi(client, experiment):
    info = client.get("/api/info").json()
    assert info["methods"] == experiment.methods and info["limits"]["max_pixels"] == 90_000
    page = client.get("/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert "Drop images here" in page.text and client.get("/static/app.js").status_code == 200
    assert "/api/assess" in client.get("/openapi.json").json()["paths"]
