"""What a GIS analyst opens: styles QGIS loads by default, class and method names GDAL reads back,
band units, overviews that average continuous maps and keep classes whole."""

from __future__ import annotations

import ctypes
import glob
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from rssqa.geo.experiment import ExperimentRef, load_scene_experiment
from rssqa.geo.scene import SceneJob, recommend_scene
from rssqa.raster.cog import CLASSES, CONTINUOUS, raster_profile, write_cog
from tests.conftest import CLASSES as TINY_CLASSES
from tests.geo.conftest import write_scene


@pytest.fixture(scope="module")
def scene_outputs(geo_experiment, tmp_path_factory):
    experiment = load_scene_experiment(ExperimentRef(geo_experiment, "prior", threads=1))
    root = tmp_path_factory.mktemp("gis")
    scene = write_scene(root / "scene.tif")
    job = SceneJob(scene, root / "out", "scene")
    summary = recommend_scene(job, experiment.recommender, experiment.settings, experiment.intervals)
    return job, summary


def _gdal():
    """The GDAL library rasterio itself runs on (the one QGIS and gdalinfo build on), for what
    rasterio has no call for: category names and raster attribute tables."""
    libs = os.path.join(os.path.dirname(rasterio.__file__), os.pardir, "rasterio.libs")
    lib = ctypes.CDLL(sorted(glob.glob(os.path.join(libs, "libgdal-*")))[0])
    lib.GDALOpen.restype = lib.GDALGetRasterBand.restype = lib.GDALGetDefaultRAT.restype = ctypes.c_void_p
    lib.GDALOpen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.GDALGetRasterBand.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.GDALGetRasterCategoryNames.restype = ctypes.POINTER(ctypes.c_char_p)
    lib.GDALGetRasterCategoryNames.argtypes = lib.GDALGetDefaultRAT.argtypes = [ctypes.c_void_p]
    lib.GDALRATGetRowCount.argtypes = [ctypes.c_void_p]
    lib.GDALRATGetValueAsString.restype = ctypes.c_char_p
    lib.GDALRATGetValueAsString.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.GDALClose.argtypes = [ctypes.c_void_p]
    lib.GDALAllRegister()
    return lib


def gdal_names(path) -> tuple[list[str], list[str]]:
    """(category names, the attribute table's name column) of band 1, as GDAL reads them."""
    lib = _gdal()
    dataset = lib.GDALOpen(str(path).encode(), 0)
    assert dataset, path
    try:
        band = lib.GDALGetRasterBand(dataset, 1)
        table = lib.GDALGetDefaultRAT(band)  # first: GTiff reads its .aux.xml lazily, on this call
        names, categories = lib.GDALGetRasterCategoryNames(band), []
        while names and names[len(categories)] is not None:
            categories.append(names[len(categories)].decode())
        rows = [lib.GDALRATGetValueAsString(table, row, 1).decode()
                for row in range(lib.GDALRATGetRowCount(table))] if table else []
        return categories, rows
    finally:
        lib.GDALClose(dataset)


def test_class_and_method_names_are_read_back_by_gdal(scene_outputs):
    job, _ = scene_outputs
    class_names = [name for name, _, _ in TINY_CLASSES]
    assert gdal_names(job.output_path("segmentation")) == (class_names, class_names)
    assert gdal_names(job.output_path("recommended")) == (["fpn", "deeplabv3plus"],) * 2


def test_every_map_has_a_qgis_default_style_with_its_names_and_colours(scene_outputs):
    job, summary = scene_outputs
    segmentation = ET.parse(job.output_path("segmentation_style")).getroot()
    entries = segmentation.findall("./pipe/rasterrenderer[@type='paletted']/colorPalette/paletteEntry")
    assert [(e.get("value"), e.get("label")) for e in entries] == [
        (str(i), name) for i, (name, _, _) in enumerate(TINY_CLASSES)]
    assert entries[0].get("color") == "#ff0000"  # the class map's colour of class 0
    methods = ET.parse(job.output_path("recommended_style")).getroot()
    labels = [e.get("label") for e in methods.iter("paletteEntry")]
    assert labels == ["fpn", "deeplabv3plus"]
    for kind in ("quality_style", "interval_style"):
        ramp = ET.parse(job.output_path(kind)).getroot().find(".//colorrampshader")
        assert (ramp.get("minimumValue"), ramp.get("maximumValue")) == ("0", "1")
        assert len(ramp.findall("item")) >= 2
    for kind in ("quality", "recommended", "interval", "segmentation"):
        tif = job.output_path(kind)
        assert tif.with_suffix(".qml").is_file()  # QGIS's default style: same name, .qml
        assert summary["files"][f"{kind}_style"] == tif.with_suffix(".qml").name


def test_continuous_maps_have_units_and_named_bands(scene_outputs):
    job, _ = scene_outputs
    for kind in ("quality", "interval"):
        with rasterio.open(job.output_path(kind)) as dataset:
            assert dataset.descriptions == ("fpn", "deeplabv3plus")
            assert dataset.units == ("fraction", "fraction")


@pytest.mark.parametrize("resampling, expected", [(CONTINUOUS, 0.5), (CLASSES, None)])
def test_overviews_average_continuous_maps_and_keep_classes_whole(tmp_path, resampling, expected):
    values = np.indices((1024, 1024)).sum(axis=0) % 2  # a checkerboard of 0 and 1
    dtype = "float32" if resampling == CONTINUOUS else "uint8"
    base = {"width": 1024, "height": 1024, "crs": "EPSG:32640",
            "transform": from_origin(552000.0, 2795000.0, 0.5, 0.5)}
    target = write_cog(tmp_path / "map.tif", values[None].astype(dtype),
                       raster_profile(base, 1, dtype, None), resampling=resampling)
    with rasterio.open(target) as dataset:
        assert dataset.overviews(1)
        overview = dataset.read(1, out_shape=(512, 512))
    if expected is None:  # a class map's overview holds only classes that exist
        assert set(np.unique(overview)) <= {0, 1}
    else:
        assert np.allclose(overview, expected)


def test_the_cells_geopackage_has_a_polygon_per_assessed_cell_with_its_scores(scene_outputs):
    import pyogrio
    import shapely

    job, summary = scene_outputs
    path = job.output_path("cells")
    info = pyogrio.read_info(path)
    assert info["geometry_type"] == "Polygon" and "32640" in info["crs"]
    meta, _, geometry, values = pyogrio.raw.read(path)
    table = dict(zip(meta["fields"], values))
    assert len(geometry) == summary["tiles"]["assessed"]
    with rasterio.open(job.output_path("quality")) as quality:
        scores, transform = quality.read(), quality.transform
    with rasterio.open(job.path) as scene:
        scene_box = shapely.box(*scene.bounds)
    polygons = shapely.from_wkb(geometry)
    assert all(scene_box.covers(polygon) for polygon in polygons)  # cells end at the scene's edge
    for i, (row, col) in enumerate(zip(table["row"], table["col"])):
        x, y = transform * (col + 0.5, row + 0.5)  # the cell's centre on the quality map
        assert polygons[i].contains(shapely.Point(x, y)) or not scene_box.contains(shapely.Point(x, y))
        assert np.isclose(table["acc_fpn"][i], scores[0, row, col])
        assert table["low_fpn"][i] <= table["acc_fpn"][i] <= table["high_fpn"][i]
    assert set(table["recommended"]) <= {"fpn", "deeplabv3plus"}
    assert summary["default"] is None and "kept_default" not in table  # the prior has no default
    # the summary counts the cells whose best two methods the intervals cannot tell apart
    assert summary["interval"]["tiles_without_clear_winner"] == int(table["no_clear_winner"].sum())
    assert summary["files"]["cells"] == path.name


def test_cells_say_whether_the_safe_selectors_default_was_kept():
    from rssqa.geo.cells import cell_attributes

    scores = np.array([[0.7, 0.8], [0.9, 0.6]])
    columns = cell_attributes(scores, np.array([1, 0]), ["fpn", "unet"], None, default="fpn")
    assert list(columns["recommended"]) == ["unet", "fpn"]
    assert list(columns["kept_default"]) == [False, True]
    assert "low_fpn" not in columns  # no calibration, no interval columns


def test_cells_say_where_the_best_two_methods_cannot_be_told_apart():
    from rssqa.geo.cells import cell_attributes

    class Intervals:  # half-width 0.05 around every score
        def bounds(self, scores):
            return scores - 0.05, scores + 0.05

    scores = np.array([[0.70, 0.80, 0.50], [0.90, 0.88, 0.10], [0.60, 0.60, 0.60]])
    columns = cell_attributes(scores, np.array([1, 0, 0]), ["fpn", "unet", "dlv3"], Intervals(),
                              default="fpn")
    # 0.70 is 0.10 under unet's 0.80 (outside its interval); 0.88 is inside fpn's [0.85, 0.95]
    assert list(columns["no_clear_winner"]) == [False, True, True]
    without = cell_attributes(scores, np.array([1, 0, 0]), ["fpn", "unet", "dlv3"], None, "fpn")
    assert "no_clear_winner" not in without  # no calibration, nothing to say


# The extensions' fields as their documentation states them (raster v1.1.0, classification
# v2.0.0): their JSON schemas are not shipped by any installable package, and nothing may be
# fetched, so the core item is validated against pystac's bundled STAC 1.1 schemas and these
# fields against their documented shape.
RASTER_BAND = {"type": "object", "properties": {
    "data_type": {"enum": ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                           "float16", "float32", "float64", "cint16", "cint32", "cfloat32",
                           "cfloat64", "other"]},
    "nodata": {"oneOf": [{"type": "number"}, {"enum": ["nan", "inf", "-inf"]}]},
    "unit": {"type": "string"}, "spatial_resolution": {"type": "number"}}}
CLASS = {"type": "object", "required": ["value", "name"], "properties": {
    "value": {"type": "integer"}, "name": {"type": "string", "pattern": "^[0-9A-Za-z-_]+$"},
    "description": {"type": "string"}, "color_hint": {"type": "string", "pattern": "^([0-9A-Fa-f]{6})$"}}}


def test_the_stac_item_validates_offline_and_lists_every_output(scene_outputs):
    import json

    import jsonschema
    import pystac
    from pystac.validation import JsonSchemaSTACValidator

    job, summary = scene_outputs
    data = json.loads(job.output_path("stac").read_text())
    item = pystac.Item.from_dict(data)
    JsonSchemaSTACValidator().validate_core(data, pystac.STACObjectType.ITEM,
                                            pystac.get_stac_version())  # bundled schemas, offline
    written = {kind: name for kind, name in summary["files"].items() if kind != "stac"}
    assert {kind: asset.href for kind, asset in item.assets.items()} == written
    assert 57 < item.bbox[0] < item.bbox[2] < 58 and 25 < item.bbox[1] < 26  # UTM 40N, in WGS84
    for kind in ("quality", "interval"):
        bands = data["assets"][kind]["raster:bands"]
        assert [b["unit"] for b in bands] == ["fraction", "fraction"]
        for band in bands:
            jsonschema.validate(band, RASTER_BAND)
    classes = data["assets"]["segmentation"]["classification:classes"]
    assert [c["name"] for c in classes] == [name for name, _, _ in TINY_CLASSES]
    assert classes[0]["color_hint"] == "FF0000"
    methods = data["assets"]["recommended"]["classification:classes"]
    assert [c["name"] for c in methods] == ["fpn", "deeplabv3plus"]
    for entry in classes + methods:
        jsonschema.validate(entry, CLASS)
    assert any("raster" in uri for uri in data["stac_extensions"])
    assert any("classification" in uri for uri in data["stac_extensions"])
