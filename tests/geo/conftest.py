"""Generated GeoTIFF scenes (CRS, transform, nodata, 4 bands, uint16) and one tiny trained
experiment (pool, SQED, the prior assessor with a conformal calibration) shared by the geo tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin
from typer.testing import CliRunner

from rssqa.cli import app
from tests.conftest import CLASSES, trained_tiny_experiment

CRS = "EPSG:32640"  # UTM 40N, where Dubai lies
TRANSFORM = from_origin(552000.0, 2795000.0, 0.5, 0.5)
RASTER = {"bands": [3, 2, 1], "scale": {"min": 0, "max": 4000}}


def write_scene(path: Path, height: int = 150, width: int = 200, seed: int = 0,
                nodata_box: tuple[slice, slice] | None = (slice(0, 40), slice(0, 60))) -> Path:
    """A 4-band uint16 scene (bands B, G, R, NIR) of the tiny data's class colours in 16-px
    blocks, with a nodata corner."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), (height // 16 + 1, width // 16 + 1)).repeat(16, 0).repeat(16, 1)
    rgb = np.array([c[2] for c in CLASSES], float)[labels[:height, :width]]
    rgb = np.clip(rgb + rng.normal(0, 20, rgb.shape), 1, 255) * (4000 / 255)
    nir = rng.integers(1, 4000, (height, width))
    data = np.stack([rgb[..., 2], rgb[..., 1], rgb[..., 0], nir]).astype(np.uint16)
    if nodata_box is not None:
        data[:, nodata_box[0], nodata_box[1]] = 0
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 4, "dtype": "uint16",
               "nodata": 0, "crs": CRS, "transform": TRANSFORM}
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(data)
    return path


def invoke(*args, code: int = 0) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture(scope="session")
def geo_experiment(tmp_path_factory) -> Path:
    """`rssqa build` + `rssqa train --assessors prior` on the tiny data; the pool folder gets
    the raster settings the scenes are read with (and the config states them, as a config that
    trained on such scenes would), the assessor a conformal calibration."""
    from rssqa.assess.conformal import SplitConformal, save_conformal
    from rssqa.raster.settings import RasterSettings

    root = tmp_path_factory.mktemp("geo_experiment")
    path = trained_tiny_experiment(root)
    RasterSettings.from_dict(RASTER).save(root / "run" / "pool")
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), "raster": RASTER}))
    rng = np.random.default_rng(0)
    pred = rng.uniform(0.3, 0.9, (40, 2))
    calibration = SplitConformal.calibrate(pred, np.clip(pred + rng.normal(0, 0.05, pred.shape), 0, 1))
    save_conformal(root / "run" / "assessors" / "prior", calibration, ["fpn", "deeplabv3plus"])
    return path
