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


def tile_boxes(shape: tuple[int, int], tile_size: int) -> list[tuple[int, int]]:
    """The tiles' top-left corners, in the order ``Recommender`` scores them."""
    height, width = (max(d, tile_size) for d in shape)
    return TileGrid(height, width, tile_size).covering_tiles()


def heatmap_uri(tile_scores: np.ndarray, shape: tuple[int, int], tile_size: int,
                scale: tuple[float, float]) -> str:
    """Each pixel coloured by its tile's predicted accuracy (later tiles cover overlaps, as in the
    stitched mask), on viridis from ``scale[0]`` (darkest) to ``scale[1]`` (brightest)."""
    from matplotlib import colormaps

    low, high = scale
    # An empty range (equal tiles, stretched) sits mid-scale, not at "worst".
    relative = (np.clip((tile_scores - low) / (high - low), 0, 1) if high > low
                else np.full(len(tile_scores), 0.5))
    grid = np.zeros(tuple(max(d, tile_size) for d in shape), np.float32)
    for (y, x), value in zip(tile_boxes(shape, tile_size), relative):
        grid[y:y + tile_size, x:x + tile_size] = value
    colours = (colormaps["viridis"](grid[:shape[0], :shape[1]])[..., :3] * 255).astype(np.uint8)
    image = Image.fromarray(colours)
    image.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), resample=Image.Resampling.NEAREST)
    return data_uri(image)


def heatmap(tile_scores: np.ndarray, shape: tuple[int, int], tile_size: int) -> dict:
    """The heat map twice: on the fixed 0-1 scale (colours mean the same on every image) and
    stretched over this image's lowest to highest tile; the range comes back for the legends."""
    low, high = float(tile_scores.min()), float(tile_scores.max())
    return {"uri": heatmap_uri(tile_scores, shape, tile_size, FIXED_SCALE),
            "stretched_uri": heatmap_uri(tile_scores, shape, tile_size, (low, high)),
            "scale_low": FIXED_SCALE[0], "scale_high": FIXED_SCALE[1],
            "low": low, "high": high, "tiles": len(tile_scores), "colormap": "viridis"}
