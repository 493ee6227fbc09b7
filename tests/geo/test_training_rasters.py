"""Training on GeoTIFF sources: the experiment's raster settings read them, nodata pixels carry
no label, and the settings are stored with the pool for the scenes read later."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from rssqa.config import load_config
from rssqa.data.classmap import ClassMap
from rssqa.data.tiling import SkipLog
from rssqa.data.types import Sample
from rssqa.errors import InputError
from rssqa.raster.settings import RasterSettings
from rssqa.data.labelled import load_tiles
from rssqa.pool.training import train_pool
from tests.conftest import CLASSMAP
from tests.geo.conftest import RASTER, write_scene


def _labelled_scene(tmp_path):
    image = write_scene(tmp_path / "scene.tif", height=64, width=96)  # nodata: rows < 40, cols < 60
    mask = np.full((64, 96, 3), (0, 255, 0), np.uint8)  # all 'land'
    with rasterio.open(tmp_path / "mask.tif", "w", driver="GTiff", width=96, height=64, count=3,
                       dtype="uint8") as dataset:
        dataset.write(mask.transpose(2, 0, 1))
    return Sample("scene", image, tmp_path / "mask.tif", "g1")


def test_nodata_pixels_are_unlabelled_and_all_nodata_tiles_dropped(tmp_path):
    sample = _labelled_scene(tmp_path)
    classmap = ClassMap.from_dict(CLASSMAP)
    ids, images, masks = load_tiles([sample], 32, classmap, SkipLog(), RasterSettings.from_dict(RASTER))
    assert "scene_x0_y0_s32" not in ids  # wholly inside the nodata corner
    assert images.dtype == np.uint8 and images.shape[1:] == (32, 32, 3)
    tile = masks[ids.index("scene_x32_y32_s32")]  # rows 32..63, cols 32..63
    assert (tile[:8, :28] == classmap.ignore_index).all() and (tile[8:] == 1).all()


def test_the_pool_folder_keeps_the_raster_settings(tiny_config, one_thread):
    assert load_config(tiny_config).raster_settings is None
    config = load_config(tiny_config, overrides={"raster": RASTER})  # the YAML's `raster:` section
    train_pool(config, verbose=False)
    assert RasterSettings.load(config.layout.pool) == RasterSettings.from_dict(RASTER)


def test_whole_masks_lose_nodata_pixels_only_inside_raster_reading(tmp_path):
    from rssqa.data.io import ignore_nodata, raster_reading

    sample = _labelled_scene(tmp_path)
    mask = np.ones((64, 96), np.uint8)
    assert ignore_nodata(sample.image_path, mask, 255) is mask  # no raster settings: as it is
    with raster_reading(RasterSettings.from_dict(RASTER)):
        ignored = ignore_nodata(sample.image_path, mask, 255)
    assert (ignored[:40, :60] == 255).all() and (ignored[40:] == 1).all() and (ignored[:, 60:] == 1).all()


def test_a_bad_raster_section_is_refused_when_the_config_loads(tiny_config):
    with pytest.raises(InputError, match="tiny.yaml: .*bands"):
        load_config(tiny_config, overrides={"raster": {**RASTER, "bands": [0, 1]}})


def test_sqed_tiles_of_a_raster_carry_no_label_on_nodata(tmp_path):
    """The SQED builder reads tiles through iter_tile_data: OA is never measured on nodata."""
    from rssqa.data.io import raster_reading
    from rssqa.data.tiling import iter_tile_data

    classmap = ClassMap.from_dict(CLASSMAP)
    with raster_reading(RasterSettings.from_dict(RASTER)):
        tiles = {t.tile.tile_id: t.mask for t in iter_tile_data([_labelled_scene(tmp_path)], 32, classmap)}
    assert (tiles["scene_x0_y0_s32"] == classmap.ignore_index).all()
    assert (tiles["scene_x64_y32_s32"] == 1).all()
