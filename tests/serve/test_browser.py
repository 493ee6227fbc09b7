"""The page in a real headless Chromium (selenium) that can reach nothing but the test server:
upload, wait, look, refuse a corrupt file; a demo image's interval numbers; the API docs offline.

The server answers with a safe selector over ATC trained on the tiny experiment, so its margin,
its conformal intervals and its per-tile scores are real ones.

Skips, saying why, where Chromium or its driver is not installed (Debian: `apt-get install
chromium chromium-driver`; `.ci/run` installs them). Refresh the screenshot README.md shows with
`RSSQA_UPDATE_SCREENSHOT=1 pytest tests/serve/test_browser.py`.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "serve.png"


def _browser_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        pytest.skip("no chromium and chromedriver on PATH: install them (Debian: apt-get install "
                    "chromium chromium-driver) to run the browser test")
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed: pip install -e '.[dev]'")
    return browser, driver


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def page_experiment(served_config, tmp_path_factory):
    """The tiny experiment scored by `safe` over `atc` (ATC's tiles differ, so the heat map shows
    something), trained by `rssqa train`: a real default, margin and split-conformal calibration."""
    import yaml
    from typer.testing import CliRunner

    from rssqa.cli import app
    from rssqa.serve.engine import load_experiment

    config = tmp_path_factory.mktemp("safe") / "safe.yaml"
    settings = yaml.safe_load(served_config.read_text())
    settings["assessor"] = {"name": "safe", "kwargs": {"base": "atc", "folds": 2}}
    config.write_text(yaml.safe_dump(settings))
    result = CliRunner().invoke(app, ["train", "--config", str(config), "--assessors", "safe", "--quiet"])
    assert result.exit_code == 0, result.output
    return load_experiment(config, "safe")


@pytest.fixture(scope="module")
def server_url(page_experiment):
    """uvicorn on a free loopback port, in a background thread, for this module."""
    import uvicorn

    from rssqa.serve.app import create_app
    from rssqa.serve.settings import ServeSettings

    port = _free_port()
    app = create_app(page_experiment, ServeSettings(max_bytes=1024 * 1024))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1180,1240", "--force-device-scale-factor=1",
                     # no network: every host but the loopback test server fails to resolve
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    yield chrome
    chrome.quit()


def _scene(path: Path) -> Path:
    """A 96 x 96 image from the tiny data's colours, so the masks look like something."""
    rng = np.random.default_rng(3)
    means = np.array([(180, 60, 60), (120, 110, 80), (30, 60, 140)], float)
    layout = rng.integers(0, 3, (6, 6)).repeat(16, 0).repeat(16, 1)
    pixels = np.clip(means[layout] + rng.normal(0, 20, (96, 96, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def _upload(browser, path: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "file-input").send_keys(str(path))


def test_upload_shows_recommendation_overlay_and_refuses_a_corrupt_file(browser, server_url,
                                                                        page_experiment, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server_url + "/")
    assert "rssqa" in browser.title
    _upload(browser, _scene(tmp_path / "scene.png"))
    card = WebDriverWait(browser, 120).until(
        ready.visibility_of_element_located((By.CSS_SELECTOR, ".result-card")))
    recommended = card.find_element(By.CSS_SELECTOR, ".recommended-method").text
    assert recommended in page_experiment.methods
    overlay = card.find_element(By.CSS_SELECTOR, "img.overlay")
    assert overlay.is_displayed()
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", overlay) == 96
    slider = card.find_element(By.CSS_SELECTOR, ".opacity-slider")
    browser.execute_script("arguments[0].value = 20; arguments[0].dispatchEvent(new Event('input'))", slider)
    assert float(overlay.value_of_css_property("opacity")) == pytest.approx(0.2)
    assert len(card.find_elements(By.CSS_SELECTOR, ".masks img")) == len(page_experiment.methods)
    assert len(card.find_elements(By.CSS_SELECTOR, ".bar-row")) == len(page_experiment.methods)
    assert card.find_element(By.CSS_SELECTOR, ".bar-row.recommended").get_attribute("data-method") == recommended
    assert card.find_element(By.CSS_SELECTOR, ".heatmap-block").is_displayed()  # 9 tiles of 32 px
    assert [e.text for e in card.find_elements(By.CSS_SELECTOR, ".legend li")] == ["building", "land", "water"]
    assert not card.find_element(By.CSS_SELECTOR, ".geo-downloads").is_displayed()  # a PNG: none
    _check_corrupt_file(browser, tmp_path)


def test_a_geotiff_upload_lists_its_georeferenced_downloads(browser, server_url, tmp_path):
    import urllib.request

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.serve.conftest import demo_geotiff

    browser.get(server_url + "/")
    scene = tmp_path / "dubai.tif"
    scene.write_bytes(demo_geotiff())
    _upload(browser, scene)
    card = WebDriverWait(browser, 120).until(
        ready.visibility_of_element_located((By.CSS_SELECTOR, ".result-card")))
    block = card.find_element(By.CSS_SELECTOR, ".geo-downloads")
    assert block.is_displayed() and "Downloads (georeferenced)" in block.text
    links = {link.text: link.get_attribute("href") for link in block.find_elements(By.CSS_SELECTOR, "a")}
    assert {"dubai_segmentation.tif", "dubai_quality.tif", "dubai_cells.gpkg"} <= set(links)
    with urllib.request.urlopen(links["dubai_cells.gpkg"]) as response:  # a link that works
        assert response.status == 200 and response.read(16).startswith(b"SQLite format 3")


def _save_small_screenshot(browser, tmp_path: Path) -> None:
    """The page as README.md shows it, reduced to a 256-colour PNG to keep the repository small.

    Written to docs/serve.png when that is missing or RSSQA_UPDATE_SCREENSHOT=1 (its timings
    change on every run, so an ordinary test run leaves the committed picture alone)."""
    import io
    import os

    shot = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    assert shot.size[0] >= 1000 and len(shot.getcolors(1 << 20) or range(1000)) > 50
    update = os.environ.get("RSSQA_UPDATE_SCREENSHOT") == "1" or not SCREENSHOT.exists()
    target = SCREENSHOT if update else tmp_path / "serve.png"
    target.parent.mkdir(exist_ok=True)
    shot.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)


def _check_corrupt_file(browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    broken = tmp_path / "broken.png"
    broken.write_bytes((tmp_path / "scene.png").read_bytes()[:300])
    _upload(browser, broken)
    message = browser.find_element(By.ID, "message")
    WebDriverWait(browser, 60).until(lambda _: message.is_displayed() and message.text)
    assert "broken.png" in message.text and "damaged or truncated" in message.text
    assert "HTTP 422" in message.text
    assert len(browser.find_elements(By.CSS_SELECTOR, ".result-card")) == 1

    big = tmp_path / "big.png"  # ~1.5 MB of noise, over the 1 MB limit: refused before uploading
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (700, 700, 3), dtype=np.uint8)).save(big)
    _upload(browser, big)
    WebDriverWait(browser, 30).until(lambda _: "big.png" in message.text)
    assert "larger than the server's limit of 1 MB" in message.text


def _demo_image() -> Path:
    from rssqa.data.sources.demo import demo_data_root

    return demo_data_root() / "images" / "tile1_image_part_001.jpg"


def test_a_demo_image_shows_interval_numbers_the_decision_and_a_fixed_scale_heat_map(
        browser, server_url, page_experiment, tmp_path):
    import re

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server_url + "/")
    _upload(browser, _demo_image())
    card = WebDriverWait(browser, 120).until(
        ready.visibility_of_element_located((By.CSS_SELECTOR, ".result-card")))
    assert card.find_element(By.CSS_SELECTOR, ".image-name").text == "tile1_image_part_001"
    assert "90% interval" in card.find_element(By.CSS_SELECTOR, ".scores-title").text
    for row in card.find_elements(By.CSS_SELECTOR, ".bar-row"):  # numbers on the page, not on hover
        assert re.fullmatch(r"\d{1,3}\.\d–\d{1,3}\.\d", row.find_element(By.CSS_SELECTOR, ".bar-interval").text)
        assert row.find_element(By.CSS_SELECTOR, ".whisker").is_displayed()
    decision = card.find_element(By.CSS_SELECTOR, ".decision").text
    assert f"safe default {page_experiment.recommender.assessor.default_method}" in decision
    assert "per tile" in card.find_element(By.CSS_SELECTOR, ".interval-note").text
    assert card.find_element(By.CSS_SELECTOR, ".no-winner").is_displayed() == ("No clear winner" in decision)
    _save_small_screenshot(browser, tmp_path)  # before the heat-map overlay is turned up
    _check_heat_map(browser, card)


def _check_heat_map(browser, card) -> None:
    from selenium.webdriver.common.by import By

    scale = lambda: [card.find_element(By.CSS_SELECTOR, f".heatmap-scale .{end}").text
                     for end in ("low", "high")]
    picture = card.find_element(By.CSS_SELECTOR, "img.heatmap")
    assert scale() == ["0.0%", "100.0%"] and "fixed scale" in card.find_element(By.CSS_SELECTOR, ".scale-kind").text
    fixed = picture.get_attribute("src")
    card.find_element(By.CSS_SELECTOR, ".stretch").click()
    assert picture.get_attribute("src") != fixed and scale() != ["0.0%", "100.0%"]
    assert "not comparable" in card.find_element(By.CSS_SELECTOR, ".scale-kind").text
    card.find_element(By.CSS_SELECTOR, ".stretch").click()  # back to the fixed scale
    overlay = card.find_element(By.CSS_SELECTOR, "img.heat-overlay")
    assert float(overlay.value_of_css_property("opacity")) == 0  # off until asked for
    slider = card.find_element(By.CSS_SELECTOR, ".heat-slider")
    browser.execute_script("arguments[0].value = 60; arguments[0].dispatchEvent(new Event('input'))", slider)
    assert float(overlay.value_of_css_property("opacity")) == pytest.approx(0.6)
    assert overlay.get_attribute("src") == fixed


def test_api_docs_render_offline(browser, server_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server_url + "/docs")
    path = WebDriverWait(browser, 60).until(lambda b: b.find_element(
        By.CSS_SELECTOR, '.opblock-summary-path[data-path="/api/assess"]'))
    assert path.is_displayed()
    assert "Assessment" in browser.find_element(By.CSS_SELECTOR, "section.models").text
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(server_url) for url in loaded)  # nothing from elsewhere
