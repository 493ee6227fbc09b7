"""One tiny trained experiment (pool, SQED, the prior assessor) shared by the serve tests, and
helpers that make upload files in memory."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from rasterio.crs import CRS
from rasterio.io import MemoryFile
from rasterio.transform import Affine

from tests.conftest import trained_tiny_experiment


@pytest.fixture(scope="session")
def served_config(tmp_path_factory):
    """`rssqa build` + `rssqa train --assessors prior` on the tiny data, once per session."""
    return trained_tiny_experiment(tmp_path_factory.mktemp("serve_experiment"))


@pytest.fixture(scope="session")
def experiment(served_config):
    from rssqa.serve.engine import load_experiment

    return load_experiment(served_config, "prior")


def image_bytes(size=(64, 48), fmt="PNG", seed=0, mode="RGB") -> bytes:
    """A noisy image of ``size`` (width, height) encoded as ``fmt``."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    if mode != "RGB":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def calibrated_experiment(experiment, tmp_path_factory):
    """The served experiment with a real split-conformal calibration, read back from its file the
    way a trained assessor's is: wide intervals (residuals of about 20 points)."""
    from rssqa.assess.conformal import SplitConformal, load_intervals, save_conformal

    folder = tmp_path_factory.mktemp("calibration")
    rng = np.random.default_rng(0)
    pred = rng.uniform(0.3, 0.9, (60, len(experiment.methods)))
    true = np.clip(pred + rng.normal(0, 0.2, pred.shape), 0, 1)
    save_conformal(folder, SplitConformal.calibrate(pred, true), experiment.methods)
    return experiment.with_intervals(*load_intervals(folder, experiment.methods, 0.9))


CRS_32640 = CRS.from_epsg(32640)
# Half-metre pixels in UTM 40N (Dubai): not the identity, so a lost transform shows.
TRANSFORM = Affine(0.5, 0, 500_000, 0, -0.5, 2_800_000)
HEIGHT, WIDTH = 76, 100  # not a multiple of the 32-px tile: cells of 24 px, 5 x 4 of them


def demo_geotiff(nodata_rows: int = 0) -> bytes:
    """A corner of a Dubai demo image as an RGB GeoTIFF in UTM 40N; its first ``nodata_rows``
    rows are nodata (0, declared in the file)."""
    from rssqa.data.sources.demo import demo_data_root

    image = Image.open(demo_data_root() / "images" / "tile1_image_part_001.jpg").convert("RGB")
    bands = np.array(image)[:HEIGHT, :WIDTH].transpose(2, 0, 1)
    bands[bands == 0] = 1  # 0 is nodata
    bands[:, :nodata_rows] = 0
    with MemoryFile() as memory:
        with memory.open(driver="GTiff", width=WIDTH, height=HEIGHT, count=3, dtype="uint8",
                         crs=CRS_32640, transform=TRANSFORM, nodata=0) as dataset:
            dataset.write(bands)
        return memory.read()
