"""What a user can throw at `rssqa serve`: option values and a busy port (one `error:` line before
anything loads), and the uploads `rssqa recommend` reads (16-bit and 4-band GeoTIFFs, CMYK and
rotated JPEGs, every 8-bit mode), read into the pixels the experiment was trained on."""

from __future__ import annotations

import io
import socket
from dataclasses import replace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from rasterio.transform import Affine
from rasterio.io import MemoryFile
from typer.testing import CliRunner

from rssqa.cli import app
from rssqa.raster.settings import RasterSettings, Scale
from rssqa.serve.app import create_app
from rssqa.serve.settings import ServeSettings
from tests.serve.conftest import image_bytes

runner = CliRunner()
LIMITS = ServeSettings(max_bytes=2_000_000, max_pixels=300 * 300)
# A 4-band (B, G, R, NIR) 16-bit scene, shown to the models as R, G, B stretched from 0..3000.
BGRN_STRETCH = RasterSettings(bands=(3, 2, 1), scale=Scale(low=(0.0,), high=(3000.0,)))


# -- options: one line, before the experiment loads ----------------------------------------------

@pytest.fixture
def nothing_loads(monkeypatch):
    """The serve command must stop before loading the experiment or starting a server."""

    def must_not_run(*args, **kwargs):
        raise AssertionError("the experiment loaded or the server started")

    monkeypatch.setattr("rssqa.serve.engine.load_experiment", must_not_run)
    monkeypatch.setattr("uvicorn.run", must_not_run)


def serve(*options: str):
    return runner.invoke(app, ["serve", "--config", "experiment.yaml", *options])


def the_error_line(result) -> str:
    """Exit code 2, no traceback, exactly one `error:` line (on stderr); that line."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "loading the experiment" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0] in result.stderr, result.output
    return lines[0]


@pytest.mark.parametrize("option, value, message", [
    ("--port", "99999", "--port must be in 1-65535, not 99999"),
    ("--port", "0", "--port must be in 1-65535, not 0"),
    ("--workers", "0", "--workers must be at least 1, not 0"),
    ("--workers", "-3", "--workers must be at least 1, not -3"),
    ("--max-upload-mb", "-5", "--max-upload-mb must be a positive number of megabytes, not -5"),
    ("--max-upload-mb", "0", "--max-upload-mb must be a positive number of megabytes, not 0"),
    ("--max-upload-mb", "nan", "--max-upload-mb must be a positive number of megabytes, not nan"),
    ("--max-pixels", "0", "--max-pixels must be at least 1, not 0"),
])
def test_an_option_out_of_range_is_one_line_naming_it(nothing_loads, option, value, message):
    assert message in the_error_line(serve(option, value))


def test_a_port_in_use_is_one_line_naming_the_address_at_once(nothing_loads):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = the_error_line(serve("--port", str(port)))
    assert f"127.0.0.1:{port} is already in use" in line and "--port" in line


def test_an_address_of_another_machine_is_one_line_naming_it(nothing_loads):
    line = the_error_line(serve("--host", "192.0.2.1"))  # TEST-NET-1: never this machine's
    assert "192.0.2.1:8000" in line and "--host" in line


def test_good_options_serve_the_experiment_with_its_raster_settings(served_config, monkeypatch):
    started = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **where: started.update(app=app, **where))
    result = runner.invoke(app, ["serve", "-c", str(served_config), "--assessor", "prior", "--port", "8123",
                                 "--workers", "2", "--max-upload-mb", "0.5"])
    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("127.0.0.1", 8123)
    state = started["app"].state
    assert state.settings.workers == 2 and state.settings.max_bytes == 512 * 1024
    assert state.experiment.raster == RasterSettings()  # the pool's raster.json: the defaults


# -- uploads: read as `rssqa recommend` reads the file ------------------------------------------

def tiff_bytes(bands: np.ndarray, nodata: float | None = None, **profile) -> bytes:
    """A GeoTIFF of ``bands`` (count x H x W) in memory."""
    count, height, width = bands.shape
    with MemoryFile() as memory:
        with memory.open(driver="GTiff", width=width, height=height, count=count,
                         dtype=bands.dtype.name, nodata=nodata, crs="EPSG:32640",
                         transform=Affine(1, 0, 500000, 0, -1, 2800000),
                         **profile) as dataset:
            dataset.write(bands)
        return memory.read()


def sixteen_bit_bgrn(height=48, width=64, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 3000, (4, height, width)).astype(np.uint16)


@pytest.fixture(scope="module")
def clients(experiment):
    """A client of the experiment as trained (default raster settings), and one whose pool was
    trained on 16-bit B, G, R, NIR scenes (raster: bands [3, 2, 1], min 0, max 3000)."""
    plain = TestClient(create_app(experiment, LIMITS), raise_server_exceptions=False)
    bgrn = TestClient(create_app(replace(experiment, raster=BGRN_STRETCH), LIMITS),
                      raise_server_exceptions=False)
    with plain, bgrn:
        yield {"plain": plain, "bgrn": bgrn}


def post(client, data: bytes, filename="upload.tif"):
    return client.post("/api/assess", files={"file": (filename, data, "application/octet-stream")},
                       params={"images": "false"})


def test_a_16_bit_4_band_geotiff_is_read_with_the_pools_stretch(clients, tmp_path):
    from rssqa.data.io import raster_reading, read_image
    from rssqa.serve.upload import decode_upload

    data = tiff_bytes(sixteen_bit_bgrn())
    response = post(clients["bgrn"], data, "scene.tif")
    assert response.status_code == 200, response.text
    assert (response.json()["width"], response.json()["height"]) == (64, 48)
    (tmp_path / "scene.tif").write_bytes(data)
    with raster_reading(BGRN_STRETCH):  # how training read the pool's TIFFs
        trained_on = read_image(tmp_path / "scene.tif")
    np.testing.assert_array_equal(decode_upload(data, 10_000, BGRN_STRETCH), trained_on)


def test_a_16_bit_geotiff_without_a_trained_stretch_is_415_saying_why(clients):
    response = post(clients["plain"], tiff_bytes(sixteen_bit_bgrn()), "scene.tif")
    assert response.status_code == 415
    detail = response.json()["detail"]
    assert "uint16" in detail and "not 8-bit" in detail and "gdal_translate" in detail


def test_a_4_band_8_bit_geotiff_shows_bands_1_to_3(clients):
    bands = np.random.default_rng(1).integers(0, 255, (4, 48, 64)).astype(np.uint8)
    response = post(clients["plain"], tiff_bytes(bands), "rgbn.tif")
    assert response.status_code == 200, response.text


def test_an_all_nodata_tiff_has_nothing_to_assess(clients):
    empty = np.zeros((3, 48, 64), np.uint8)
    response = post(clients["plain"], tiff_bytes(empty, nodata=0), "empty.tif")
    assert response.status_code == 422
    assert "nothing to assess" in response.json()["detail"]


def test_a_partly_nodata_tiff_is_assessed_with_nodata_filled_as_in_training():
    from rssqa.serve.upload import decode_upload

    bands = np.random.default_rng(2).integers(1, 255, (3, 48, 64)).astype(np.uint8)
    bands[:, :, :32] = 0
    pixels = decode_upload(tiff_bytes(bands, nodata=0), 10_000)
    assert pixels.shape == (48, 64, 3)
    mean = np.round(bands[:, :, 32:].reshape(3, -1).mean(axis=1))
    np.testing.assert_array_equal(pixels[:, :32], np.broadcast_to(mean, (48, 32, 3)))


def test_a_truncated_tiff_is_422_and_a_huge_one_413_before_decoding(clients):
    whole = tiff_bytes(sixteen_bit_bgrn(), compress="deflate")
    cut = post(clients["bgrn"], whole[: len(whole) // 2], "cut.tif")
    assert cut.status_code == 422 and "damaged" in cut.json()["detail"]
    huge = tiff_bytes(np.zeros((1, 400, 400), np.uint8), compress="deflate")
    assert len(huge) < 10_000  # a small file, but 160,000 > 90,000 pixels
    response = post(clients["plain"], huge, "huge.tif")
    assert response.status_code == 413 and "pixels" in response.json()["detail"]


def test_a_cmyk_jpeg_is_assessed_like_the_command_line_reads_it(clients):
    buffer = io.BytesIO()
    Image.new("CMYK", (64, 48), (0, 255, 255, 0)).save(buffer, format="JPEG")
    response = post(clients["plain"], buffer.getvalue(), "print.jpg")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("mode", ["P", "L", "LA", "1", "RGBA"])
def test_every_eight_bit_mode_is_assessed(clients, mode):
    response = post(clients["plain"], image_bytes((64, 48), "PNG", mode=mode), f"{mode}.png")
    assert response.status_code == 200, response.text


def test_a_16_bit_png_is_refused_as_the_command_line_refuses_it(clients):
    buffer = io.BytesIO()
    Image.fromarray(np.full((48, 64), 4000, np.uint16)).save(buffer, format="PNG")
    response = post(clients["plain"], buffer.getvalue(), "dn.png")
    assert response.status_code == 415
    assert "mode 'I;16', not 8-bit RGB" in response.json()["detail"]


def test_a_rotated_camera_jpeg_is_segmented_upright(clients):
    stored = np.zeros((48, 64, 3), np.uint8)
    stored[:, :32] = (220, 30, 30)
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed turned 90 degrees clockwise
    buffer = io.BytesIO()
    Image.fromarray(stored).save(buffer, format="JPEG", exif=exif)
    response = clients["plain"].post("/api/assess", files={"file": ("phone.jpg", buffer.getvalue())})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (48, 64)  # as displayed, not as stored
    mask = body["images"]["masks"][body["recommended"]]
    from tests.serve.test_api import decode_uri

    assert decode_uri(mask).size == (48, 64)


def test_the_command_line_and_the_server_segment_a_rotated_jpeg_alike(served_config, clients,
                                                                     tmp_path):
    import pandas as pd

    stored = np.random.default_rng(3).integers(0, 255, (48, 64, 3)).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 8  # displayed turned 90 degrees anticlockwise
    Image.fromarray(stored).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    result = runner.invoke(app, ["recommend", str(tmp_path / "phone.jpg"), "-c", str(served_config),
                                 "--assessor", "prior", "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0, result.output
    labels = Image.open(tmp_path / "out" / "phone_labels.png")
    assert labels.size == (48, 64)  # upright, as the photo is displayed
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    body = post(clients["plain"], (tmp_path / "phone.jpg").read_bytes(), "phone.jpg").json()
    assert (body["width"], body["height"]) == labels.size
    served = {row["method"]: row["predicted_oa"] for row in body["methods"]}
    assert served == pytest.approx(dict(zip(scores["method"], scores["predicted_oa"])), abs=1e-5)
