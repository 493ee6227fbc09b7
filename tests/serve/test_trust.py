"""What lets an analyst trust and share the answer: interval numbers, "no clear winner", the safe
default's margin in words, a heat map on a fixed scale, a typed API and offline API docs."""

from __future__ import annotations

import base64
import dataclasses
import io
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from matplotlib import colormaps
from PIL import Image

from rssqa.raster.grid import TileGrid
from rssqa.serve.app import create_app
from rssqa.serve.rendering import heatmap
from rssqa.serve.results import assessment_payload
from rssqa.serve.upload import decode_upload
from tests.serve.conftest import image_bytes


@pytest.fixture(scope="module")
def client(calibrated_experiment):
    with TestClient(create_app(calibrated_experiment), raise_server_exceptions=False) as client:
        yield client


def assess(client, size=(64, 48)) -> dict:
    response = client.post("/api/assess", files={"file": ("scene.png", image_bytes(size), "image/png")})
    assert response.status_code == 200, response.text
    return response.json()


def picture(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))


def test_every_method_has_its_interval_and_overlap_says_no_clear_winner(client):
    body = assess(client)
    assert body["interval_level"] == 0.9
    for row in body["methods"]:
        low, high = row["interval"]
        assert low <= row["predicted_oa"] <= high and high - low > 0.2  # wide: 20-point residuals
    assert body["no_clear_winner"] is True  # the runner-up lies inside the best's interval
    best, second = body["methods"][:2]
    assert "No clear winner" in body["decision"] and second["method"] in body["decision"]
    assert f"({100 * best['interval'][0]:.1f}–{100 * best['interval'][1]:.1f}%)" in body["decision"]
    assert "90% conformal intervals per method" in body["interval_note"]
    assert "per tile" in body["interval_note"]
    assert len(body["tile_scores"]) == body["tiles"] == 6  # cells of 24 px: 3 x 2
    assert {(t["x"], t["y"]) for t in body["tile_scores"]} == {
        (0, 0), (20, 0), (32, 0), (0, 16), (20, 16), (32, 16)}  # tiles slid inside the image


def test_the_safe_default_names_its_margin(calibrated_experiment):
    pixels = decode_upload(image_bytes(), 10**6)
    result, seconds = calibrated_experiment.assess(pixels, "x")
    other = next(m for m in result.methods if m != result.recommended)
    kept = dataclasses.replace(result, default=result.recommended, margin=0.015)
    words = assessment_payload(calibrated_experiment, kept, pixels, seconds, False)["decision"]
    assert words.startswith(f"safe default {result.recommended} kept: the best predicted gain, "
                            "+0.0 points, is below the margin of 1.5 points")
    replaced = dataclasses.replace(result, default=other, margin=0.0)
    body = assessment_payload(calibrated_experiment, replaced, pixels, seconds, False)
    assert body["margin"] == 0.0 and f"replaces the safe default {other}" in body["decision"]
    never = dataclasses.replace(result, default=result.recommended, margin=float("inf"))
    body = assessment_payload(calibrated_experiment, never, pixels, seconds, False)
    assert body["never_leaves_default"] is True and "never replaces it" in body["decision"]


def test_heat_map_is_on_a_fixed_scale_with_a_stretched_option():
    scores = np.array([0.2, 0.6, 0.9, 0.7])  # 2 x 2 cells of 32 px on a 64 x 64 image
    maps = heatmap(scores, TileGrid(64, 64, 32), (64, 64))
    assert (maps["scale_low"], maps["scale_high"], maps["low"], maps["high"]) == (0, 1, 0.2, 0.9)
    fixed, stretched = picture(maps["uri"]), picture(maps["stretched_uri"])
    viridis = lambda v: np.round(np.asarray(colormaps["viridis"](v)[:3]) * 255)
    np.testing.assert_allclose(fixed[5, 5], viridis(0.2), atol=2)  # 20 % is 20 % on any image
    np.testing.assert_allclose(fixed[5, 40], viridis(0.6), atol=2)
    np.testing.assert_allclose(stretched[5, 5], viridis(0.0), atol=2)  # the image's lowest tile
    np.testing.assert_allclose(stretched[40, 5], viridis(1.0), atol=2)  # and its highest


def test_openapi_types_every_field_of_the_answer(client):
    schema = client.get("/openapi.json").json()
    answer = schema["paths"]["/api/assess"]["post"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"]["$ref"].endswith("/Assessment")
    components = schema["components"]["schemas"]
    body = assess(client)
    assert set(body) <= set(components["Assessment"]["properties"])
    assert set(body["methods"][0]) == set(components["MethodScore"]["properties"])
    assert set(body["images"]["heatmap"]) == set(components["Heatmap"]["properties"])
    assert "images" not in client.post("/api/assess", params={"images": "false"}, files={
        "file": ("a.png", image_bytes(), "image/png")}).json()


def test_docs_are_served_from_the_package_without_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "/static/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from the network
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert client.get(f"/static/swagger-ui/{asset}").status_code == 200
    legacy = client.get("/docs/openapi-3.0.json").json()
    assert legacy["openapi"] == "3.0.3" and "/api/assess" in legacy["paths"]
    text = json.dumps(legacy)
    assert '{"type": "null"}' not in text and "contentMediaType" not in text and '"nullable": true' in text
    assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN: not offered
