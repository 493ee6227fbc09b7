"""Raster settings (bands, stretch, nodata) and the windowed reader on generated GeoTIFFs."""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.windows import Window

from rssqa.errors import InputError
from rssqa.raster.reader import RasterScene, nodata_to_ignore, read_raster
from rssqa.raster.settings import RASTER_FILE, RasterSettings
from tests.geo.conftest import RASTER, write_scene


def test_settings_round_trip_through_the_pool_folder(tmp_path):
    settings = RasterSettings.from_dict({"bands": [4, 3, 2], "scale": {"percentiles": [2, 98]},
                                         "nodata": 0})
    settings.save(tmp_path)
    assert (tmp_path / RASTER_FILE).is_file()
    assert RasterSettings.load(tmp_path) == settings
    assert RasterSettings.load(tmp_path / "elsewhere") == RasterSettings()


@pytest.mark.parametrize("values, message", [
    ({"bands": [1, 2, 3], "stretch": 1}, r"unknown key\(s\) \['stretch'\]"),
    ({"scale": {"percentiles": [2, 98], "gamma": 1}}, r"unknown key\(s\) \['gamma'\]"),
    ({"bands": [1, 2]}, "must name 1 or 3 bands"),
    ({"bands": [0, 1, 2]}, "numbered from 1"),
    ({"scale": {"percentiles": [98, 2]}}, "increasing pair"),
    ({"scale": {"min": 0}}, "needs percentiles, or both min and max"),
    ({"scale": {"min": [0, 0], "max": [10]}}, "must pair up"),
    ({"scale": {"percentiles": [2, 98], "min": 0, "max": 1}}, "both percentiles and min/max"),
    ({"nodata": "none"}, "must hold numbers"),
])
def test_bad_settings_say_what_is_wrong(values, message):
    with pytest.raises(InputError, match=message):
        RasterSettings.from_dict(values)


def test_band_choice_is_checked_against_the_file(tmp_path):
    path = write_scene(tmp_path / "s.tif")
    with pytest.raises(InputError, match=r"has 4 band\(s\), so bands \[5\]"):
        RasterScene(path, RasterSettings.from_dict({"bands": [5, 2, 1], "scale": {"min": 0, "max": 1}}))
    with pytest.raises(InputError, match="holds uint16 values, not 8-bit.*raster.scale"):
        RasterScene(path, RasterSettings.from_dict({"bands": [3, 2, 1]})).read(Window(0, 0, 8, 8))


def test_fixed_stretch_maps_values_exactly_and_nodata_is_invalid(tmp_path):
    path = write_scene(tmp_path / "s.tif")
    with RasterScene(path, RasterSettings.from_dict(RASTER)) as scene:
        pixels, valid = scene.read(Window(50, 30, 32, 32))
        raw = scene.dataset.read([3, 2, 1], window=Window(50, 30, 32, 32))
    assert pixels.dtype == np.uint8 and pixels.shape == (32, 32, 3)
    expected = np.clip(np.round(raw.transpose(1, 2, 0) * (255 / 4000)), 0, 255)
    assert np.array_equal(pixels[valid], expected[valid])
    assert not valid[:10, :10].any()  # rows 30..39, cols 50..59: the nodata corner
    assert valid[10:, 10:].all()
    assert (pixels[~valid] == np.round(pixels[valid].mean(axis=0))).all()  # filled with the mean


def test_windows_past_the_edge_are_invalid_there(tmp_path):
    path = write_scene(tmp_path / "s.tif", nodata_box=None)
    with RasterScene(path, RasterSettings.from_dict(RASTER)) as scene:
        _, valid = scene.read(Window(190, 140, 20, 20))
    assert valid[:10, :10].all() and not valid[10:].any() and not valid[:, 10:].any()


def test_percentile_stretch_ignores_nodata(tmp_path):
    path = write_scene(tmp_path / "s.tif")
    settings = RasterSettings.from_dict({"bands": [3, 2, 1], "scale": {"percentiles": [0, 100]}})
    with RasterScene(path, settings) as scene:
        low, high = scene.stretch
        raw = scene.dataset.read([3, 2, 1])
    valid = raw.any(axis=0)
    assert np.allclose(low, raw[:, valid].min(axis=1)) and low.min() > 0
    assert np.allclose(high, raw[:, valid].max(axis=1))


def test_training_reads_and_labels_skip_nodata(tmp_path):
    path = write_scene(tmp_path / "s.tif")
    settings = RasterSettings.from_dict(RASTER)
    assert read_raster(path, settings).shape == (150, 200, 3)
    mask = np.ones((40, 40), np.uint8)
    ignored = nodata_to_ignore(path, settings, mask, 40, 20, 255)
    assert (ignored[:20, :20] == 255).all() and (ignored[20:, :] == 1).all()


def test_a_damaged_scene_is_an_input_error_naming_the_window(tmp_path):
    import rasterio

    path = write_scene(tmp_path / "s.tif", nodata_box=None)
    with rasterio.open(path) as source:
        profile = {**source.profile, "tiled": True, "blockxsize": 64, "blockysize": 64,
                   "compress": "deflate"}
        data = source.read()
    with rasterio.open(tmp_path / "damaged.tif", "w", **profile) as target:
        target.write(data)
    raw = (tmp_path / "damaged.tif").read_bytes()
    (tmp_path / "damaged.tif").write_bytes(raw[:len(raw) // 2])  # later blocks cut off
    with RasterScene(tmp_path / "damaged.tif", RasterSettings.from_dict(RASTER)) as scene:
        with pytest.raises(InputError, match="damaged.tif: cannot be read at rows 100..150"):
            scene.read(Window(0, 100, 200, 50))
