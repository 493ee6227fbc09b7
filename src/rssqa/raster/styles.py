"""What a GIS needs beside a COG to show it as meant: a QGIS style and GDAL category names.

- ``<name>.qml`` beside ``<name>.tif`` is the style QGIS loads by default when it opens the
  raster: a paletted renderer (value, colour, name) for class maps, a pseudocolour ramp with a
  fixed range for continuous maps.
- ``<name>.tif.aux.xml`` is GDAL's persistent auxiliary metadata (PAM), read by every GDAL
  program (``gdalinfo``, QGIS, rasterio's GDAL) when the raster opens: it carries the class map's
  category names and a thematic raster attribute table (value, name, colour), which a GeoTIFF
  cannot hold itself.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from rssqa.files import atomic_write_text

QGIS_VERSION = "3.28.0"  # the style format of QGIS 3 LTR; later versions read it unchanged
# GDAL's raster attribute table codes (gdal.h: GDALRATFieldType, GDALRATFieldUsage).
RAT_INTEGER, RAT_STRING = 0, 2
RAT_USAGE = {"value": 5, "name": 2, "red": 6, "green": 7, "blue": 8}  # MinMax, Name, Red, ...


@dataclass(frozen=True)
class Category:
    """One value of a class map: its number, its name and its RGB colour."""

    value: int
    name: str
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


def style_path(raster: Path) -> Path:
    return Path(raster).with_suffix(".qml")


def aux_path(raster: Path) -> Path:
    return Path(raster).with_name(f"{Path(raster).name}.aux.xml")


def _qgis_document(renderer: ET.Element) -> str:
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories")
    pipe = ET.SubElement(root, "pipe")
    pipe.append(renderer)
    ET.SubElement(root, "blendMode").text = "0"
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, "unicode")


def categorical_qml(categories: list[Category], band: int = 1) -> str:
    """A paletted style: each value in its colour, named in the legend; other values hidden."""
    renderer = ET.Element("rasterrenderer", type="paletted", band=str(band), opacity="1",
                          alphaBand="-1", nodataColor="")
    ET.SubElement(renderer, "rasterTransparency")
    palette = ET.SubElement(renderer, "colorPalette")
    for category in categories:
        ET.SubElement(palette, "paletteEntry", value=str(category.value), color=category.hex,
                      alpha="255", label=category.name)
    return _qgis_document(renderer)


def ramp_qml(stops: list[tuple[float, tuple[int, int, int]]], label: str, band: int = 1) -> str:
    """A pseudocolour style interpolating ``stops`` (value, RGB) over their fixed range, so one
    colour means one value on every map; ``label`` heads the legend entries."""
    low, high = stops[0][0], stops[-1][0]
    renderer = ET.Element("rasterrenderer", type="singlebandpseudocolor", band=str(band),
                          opacity="1", alphaBand="-1", classificationMin=f"{low:g}",
                          classificationMax=f"{high:g}")
    ET.SubElement(renderer, "rasterTransparency")
    origin = ET.SubElement(renderer, "minMaxOrigin")
    ET.SubElement(origin, "limits").text = "None"  # the fixed range, not the data's own
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader",
                           colorRampType="INTERPOLATED", classificationMode="1", clip="0",
                           minimumValue=f"{low:g}", maximumValue=f"{high:g}",
                           labelPrecision="2")
    for value, rgb in stops:
        ET.SubElement(shader, "item", value=f"{value:g}", color=Category(0, "", rgb).hex,
                      alpha="255", label=f"{label} {value:.2f}")
    return _qgis_document(renderer)


def category_pam_xml(categories: list[Category], band: int = 1) -> str:
    """GDAL PAM metadata naming the values of ``band``: category names (index = value, gaps
    unnamed) and a thematic raster attribute table of value, name and colour."""
    root = ET.Element("PAMDataset")
    element = ET.SubElement(root, "PAMRasterBand", band=str(band))
    names = ET.SubElement(element, "CategoryNames")
    by_value = {category.value: category.name for category in categories}
    for value in range(max(by_value) + 1):
        ET.SubElement(names, "Category").text = by_value.get(value, "")
    table = ET.SubElement(element, "GDALRasterAttributeTable", tableType="thematic")
    fields = [("value", RAT_INTEGER), ("name", RAT_STRING), ("red", RAT_INTEGER),
              ("green", RAT_INTEGER), ("blue", RAT_INTEGER)]
    for index, (name, kind) in enumerate(fields):
        field = ET.SubElement(table, "FieldDefn", index=str(index))
        ET.SubElement(field, "Name").text = name
        ET.SubElement(field, "Type").text = str(kind)
        ET.SubElement(field, "Usage").text = str(RAT_USAGE[name])
    for row, category in enumerate(categories):
        entry = ET.SubElement(table, "Row", index=str(row))
        for value in (category.value, category.name, *category.rgb):
            ET.SubElement(entry, "F").text = str(value)
    ET.indent(root)
    return ET.tostring(root, "unicode") + "\n"


def write_categorical_style(raster: Path, categories: list[Category]) -> list[Path]:
    """The QGIS style and the GDAL category names of a class map; returns both paths."""
    atomic_write_text(style_path(raster), categorical_qml(categories))
    atomic_write_text(aux_path(raster), category_pam_xml(categories))
    return [style_path(raster), aux_path(raster)]


def write_ramp_style(raster: Path, stops: list[tuple[float, tuple[int, int, int]]],
                     label: str) -> list[Path]:
    atomic_write_text(style_path(raster), ramp_qml(stops, label))
    return [style_path(raster)]
