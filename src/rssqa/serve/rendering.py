"""Pictures for the page, as ``data:`` URIs: nothing is written to disk and nothing is fetched
later, so a result is one self-contained JSON answer that a script can also save."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from rssqa.data.classmap import ClassMap
from rssqa.raster.grid import TileGrid

DISPLAY_SIDE = 1024  # the shown photo is shrunk to this; masks keep full size for download
FIXED_SCALE = (0.0, 1.0)  # the heat map's default colour scale: predicted accuracy 0-100 %


def data_uri(image: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"quality": 88} if fmt == "JPEG" else {"optimize": True}))
    mime = "image/jpeg" if fmt == "JPEG" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def photo_uri(pixels: np.ndarray) -> str:
    """The uploaded image as a browser shows it (TIFF is not shown by browsers), at most
    ``DISPLAY_SIDE`` pixels on its long side."""
    image = Image.fromarray(pixels)
    image.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE))
    return data_uri(image, "JPEG")


def mask_uri(labels: np.ndarray, classmap: ClassMap) -> str:
    """Class indices painted in the class map's colours, as a palette PNG (small, full size);
    pixels of no class are black."""
    image = Image.fromarray(np.asarray(labels, np.uint8), mode="P")
    palette = np.zeros((256, 3), np.uint8)
    palette[:len(classmap.names)] = classmap.decode(np.arange(len(classmap.names))[None])[0]
    image.putpalette(palette.ravel().tolist())
    return data_uri(image)


def cell_canvas(values: np.ndarray, grid: TileGrid, shape: tuple[int, int]) -> np.ndarray:
    """An image-sized array with each pixel set to the value of the tile whose own cell holds it
    (``values`` in the grid's row-major tile order): the grid's cells do not overlap, so no
    tile's value covers another's, unlike the overlapping tiles themselves."""
    if len(values) != len(grid):
        raise ValueError(f"{len(values)} tile values for a grid of {len(grid)} tiles")
    canvas = np.zeros((grid.height, grid.width), np.float32)
    for index, value in enumerate(values):
        left, top, right, bottom = grid.cell_bounds(*grid.position(index))
        canvas[top:bottom, left:right] = value
    return canvas[:shape[0], :shape[1]]  # a grid padded up to one tile reaches past the image


def heatmap_uri(tile_scores: np.ndarray, grid: TileGrid, shape: tuple[int, int],
                scale: tuple[float, float]) -> str:
    """Each pixel coloured by the predicted accuracy of the tile assessing its cell, on viridis
    from ``scale[0]`` (darkest) to ``scale[1]`` (brightest)."""
    from matplotlib import colormaps

    low, high = scale
    # An empty range (equal tiles, stretched) sits mid-scale, not at "worst".
    relative = (np.clip((tile_scores - low) / (high - low), 0, 1) if high > low
                else np.full(len(tile_scores), 0.5))
    colours = (colormaps["viridis"](cell_canvas(relative, grid, shape))[..., :3] * 255).astype(np.uint8)
    image = Image.fromarray(colours)
    image.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), resample=Image.Resampling.NEAREST)
    return data_uri(image)


def heatmap(tile_scores: np.ndarray, grid: TileGrid, shape: tuple[int, int]) -> dict:
    """The heat map of ``tile_scores`` (one per tile of ``grid``, the grid the image was assessed
    on) twice: on the fixed 0-1 scale (colours mean the same on every image) and stretched over
    this image's lowest to highest tile; the range comes back for the legends."""
    low, high = float(tile_scores.min()), float(tile_scores.max())
    return {"uri": heatmap_uri(tile_scores, grid, shape, FIXED_SCALE),
            "stretched_uri": heatmap_uri(tile_scores, grid, shape, (low, high)),
            "scale_low": FIXED_SCALE[0], "scale_high": FIXED_SCALE[1],
            "low": low, "high": high, "tiles": len(tile_scores), "colormap": "viridis"}
