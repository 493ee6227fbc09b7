"""The assessment cells of a scene as vector features: a GeoPackage with one polygon per assessed
cell, in the scene's CRS, that a GIS can filter, join and symbolise by its attributes.

Each cell carries every method's predicted accuracy (``acc_<method>``), its conformal interval
(``low_<method>``, ``high_<method>``) where the assessor has a calibration, whether the data
tell the best two methods apart there (``no_clear_winner``: the runner-up's predicted accuracy
inside the best one's interval, as ``ImageAssessment.no_clear_winner`` says of an image), the
recommended method, and whether that is the default (the safe selector's single best method) kept.
Polygons end at the scene's edge, as the cells do.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from pyogrio.raw import write as write_features
import shapely
from affine import Affine

from rssqa.assess.conformal import Intervals, no_clear_winner
from rssqa.raster.grid import TileGrid

LAYER = "cells"


def cell_polygons(grid: TileGrid, transform: Affine, cells: np.ndarray) -> np.ndarray:
    """Polygons (in the CRS of ``transform``) of the cells at ``cells`` (K x 2 rows, cols)."""
    bounds = np.array([grid.cell_bounds(int(r), int(c)) for r, c in cells], float).reshape(-1, 4)
    left, top, right, bottom = bounds.T
    corners = [(left, top), (right, top), (right, bottom), (left, bottom), (left, top)]
    a, b, c, d, e, f = tuple(transform)[:6]
    ring = np.stack([np.stack([a * x + b * y + c, d * x + e * y + f], axis=-1) for x, y in corners],
                    axis=1)
    return shapely.polygons(ring)


def cell_attributes(scores: np.ndarray, picks: np.ndarray, methods: list[str],
                    intervals: Intervals | None, default: str | None) -> dict[str, np.ndarray]:
    """Column -> values for K cells: K x M ``scores``, K recommended method indices."""
    columns: dict[str, np.ndarray] = {}
    low = high = np.full(scores.shape, np.nan)
    if intervals is not None and len(scores):
        low, high = intervals.bounds(scores)
    for index, method in enumerate(methods):
        columns[f"acc_{method}"] = scores[:, index].astype(np.float64)
        if intervals is not None and not np.isnan(low[:, index]).any():  # else unattainable
            columns[f"low_{method}"] = low[:, index]
            columns[f"high_{method}"] = high[:, index]
    if f"low_{methods[0]}" in columns and len(methods) > 1:
        columns["no_clear_winner"] = no_clear_winner(scores, low)
    columns["recommended"] = np.array([methods[p] for p in picks], dtype=object)
    if default is not None:
        columns["default"] = np.full(len(picks), default, dtype=object)
        columns["kept_default"] = picks == methods.index(default)
    return columns


def partial_path(target: Path) -> Path:
    return Path(target).with_name(f".{Path(target).name}.partial.gpkg")


def write_cells(target: Path, grid: TileGrid, transform: Affine, crs, scores: np.ndarray,
                picks: np.ndarray, methods: list[str], intervals: Intervals | None,
                default: str | None) -> Path:
    """Write the assessed cells (``picks`` >= 0 on the rows x cols grid; ``scores`` rows x cols
    x M) as the GeoPackage ``target``, whole or not at all."""
    cells = np.argwhere(picks >= 0)
    rows, cols = cells.T if len(cells) else (np.zeros(0, int), np.zeros(0, int))
    columns = {"row": rows.astype(np.int32), "col": cols.astype(np.int32),
               **cell_attributes(scores[rows, cols], picks[rows, cols], methods, intervals, default)}
    geometry = shapely.to_wkb(cell_polygons(grid, transform, cells))
    partial = partial_path(target)
    partial.unlink(missing_ok=True)
    try:
        write_features(partial, np.asarray(geometry, dtype=object), list(columns.values()),
                      list(columns), layer=LAYER, driver="GPKG", geometry_type="Polygon",
                      crs=None if crs is None else crs.to_wkt())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Path(target)
