"""A STAC item per scene: its outputs as assets, so a catalogue, a STAC browser or QGIS's STAC
panel finds and opens them together.

The item's footprint is the scene's, in WGS84 as STAC requires (none for a scene without a
CRS); its datetime is the scene file's own time, so a rerun writes the same item. Maps carry
``raster:bands`` (data type, nodata, unit, resolution); the class maps carry
``classification:classes`` (value, name, colour) from the class map and the pool's methods.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pystac
from pystac.extensions.classification import Classification, ClassificationExtension
from pystac.extensions.projection import ProjectionExtension
from pystac.extensions.raster import DataType, RasterBand, RasterExtension
from rasterio.warp import transform_bounds, transform_geom
from shapely.geometry import box, mapping

from rssqa.files import atomic_write_text
from rssqa.raster.styles import Category

COG = pystac.MediaType.COG
MEDIA = {".qml": "application/xml", ".xml": "application/xml", ".json": pystac.MediaType.JSON,
         ".gpkg": "application/geopackage+sqlite3"}
TITLES = {"quality": "predicted accuracy per cell, a band per method",
          "recommended": "recommended method per cell", "segmentation": "best-of segmentation",
          "interval": "conformal interval width per cell, a band per method",
          "cells": "assessment cells with scores", "summary": "scene summary"}


def footprint(dataset) -> tuple[dict | None, list[float] | None]:
    """(GeoJSON geometry, bbox) of the scene in WGS84; (None, None) without a CRS."""
    if dataset.crs is None:
        return None, None
    geometry = transform_geom(dataset.crs, "EPSG:4326", mapping(box(*dataset.bounds)))
    return geometry, list(transform_bounds(dataset.crs, "EPSG:4326", *dataset.bounds))


def stac_name(text: str) -> str:
    """A name as classification:classes allows it (letters, digits, - and _)."""
    return re.sub(r"[^0-9A-Za-z_-]+", "_", text) or "_"


def _classes(categories: list[Category]) -> list[Classification]:
    return [Classification.create(value=c.value, name=stac_name(c.name), description=c.name,
                                  color_hint=c.hex[1:].upper()) for c in categories]


def _raster_bands(raster: Path) -> list[RasterBand]:
    import rasterio

    with rasterio.open(raster) as dataset:
        nodata = dataset.nodata
        return [RasterBand.create(data_type=DataType(dtype), unit=unit or None,
                                  nodata="nan" if nodata is not None and nodata != nodata else nodata,
                                  spatial_resolution=abs(dataset.transform.a))
                for dtype, unit in zip(dataset.dtypes, dataset.units)]


def _asset(kind: str, path: Path) -> pystac.Asset:
    is_map = path.suffix == ".tif"
    roles = ["data"] if is_map or kind == "cells" else ["metadata"]
    return pystac.Asset(href=path.name, title=TITLES.get(kind, kind.replace("_", " ")),
                        media_type=COG if is_map else MEDIA.get(path.suffix), roles=roles)


def scene_item(key: str, dataset, files: dict[str, Path], classes: list[Category],
               methods: list[Category], when: datetime, accuracy: str = "oa") -> pystac.Item:
    """The item of one scene: ``dataset`` open on the scene, ``files`` kind -> written path,
    ``accuracy`` the experiment's target (what the quality and interval assets measure)."""
    geometry, bbox = footprint(dataset)
    item = pystac.Item(id=key, geometry=geometry, bbox=bbox, datetime=when,
                       properties={"rssqa:methods": [c.name for c in methods],
                                   "rssqa:accuracy": accuracy})
    projection = ProjectionExtension.ext(item, add_if_missing=True)
    projection.code = None if dataset.crs is None else dataset.crs.to_string()
    projection.shape, projection.transform = [dataset.height, dataset.width], list(dataset.transform)[:6]
    for kind, path in files.items():
        asset = _asset(kind, Path(path))
        item.add_asset(kind, asset)
        if asset.media_type == COG:
            RasterExtension.ext(asset, add_if_missing=True).bands = _raster_bands(Path(path))
        if kind in ("segmentation", "recommended"):
            ClassificationExtension.ext(asset, add_if_missing=True).classes = _classes(
                classes if kind == "segmentation" else methods)
    return item


def write_scene_item(target: Path, key: str, dataset, scene_path: Path, files: dict[str, Path],
                     classes: list[Category], methods: list[Category], accuracy: str = "oa") -> Path:
    """Write the scene's item as JSON at ``target`` (asset links relative to its folder)."""
    when = datetime.fromtimestamp(Path(scene_path).stat().st_mtime, timezone.utc)
    item = scene_item(key, dataset, files, classes, methods, when, accuracy)
    atomic_write_text(target, json.dumps(item.to_dict(include_self_link=False, transform_hrefs=False),
                                         indent=2))
    return Path(target)
