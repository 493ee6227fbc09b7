"""The typed answer of ``POST /api/assess``: pydantic models, so ``/openapi.json`` (and the
Swagger UI at ``/docs``) describe every field a script can rely on."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MethodScore(BaseModel):
    """One method's row, best predicted accuracy first."""

    method: str
    predicted_oa: float = Field(description="predicted overall accuracy of this method on the "
                                "image (mean of its tiles), 0-1")
    rank: int = Field(ge=1, description="1 = highest predicted accuracy")
    interval: list[float] | None = Field(
        None, min_length=2, max_length=2,
        description="[low, high] conformal interval at `interval_level` around "
                    "predicted_oa, as wide as the image's tiles' intervals on average, 0-1; "
                    "null without a calibration")
    recommended: bool = Field(description="the method the page and `rssqa recommend` pick")
    default: bool = Field(description="the safe selector's default method")


class ClassColour(BaseModel):
    name: str
    colour: str = Field(description="#rrggbb, as in the masks")


class TileScores(BaseModel):
    """One assessment tile of the image and every method's predicted accuracy on it. Tiles
    overlap their neighbours; each one's score stands for its own cell, which does not."""

    x: int = Field(description="left column of the tile, in image pixels")
    y: int = Field(description="top row of the tile, in image pixels")
    row: int = Field(ge=0, description="the tile's row in the grid of cells")
    col: int = Field(ge=0, description="the tile's column in the grid of cells")
    cell: list[int] = Field(min_length=4, max_length=4, description="[left, top, right, "
                            "bottom] of the tile's own cell in image pixels (right and bottom "
                            "exclusive), cut at the image's edge: the pixels the heat map paints "
                            "with this tile's score")
    predicted_oa: dict[str, float] = Field(description="method -> predicted accuracy, 0-1")


class Heatmap(BaseModel):
    """The recommended method's predicted accuracy per tile, as pictures."""

    method: str
    uri: str = Field(description="PNG data: URI on the fixed scale scale_low-scale_high "
                     "(comparable between images)")
    stretched_uri: str = Field(description="PNG data: URI stretched over this image's own "
                               "low-high (shows differences inside one image only)")
    scale_low: float = Field(0.0, description="accuracy drawn darkest in `uri`")
    scale_high: float = Field(1.0, description="accuracy drawn brightest in `uri`")
    low: float = Field(description="lowest tile's predicted accuracy, 0-1")
    high: float = Field(description="highest tile's predicted accuracy, 0-1")
    tiles: int = Field(ge=1)
    colormap: str = "viridis"


class Pictures(BaseModel):
    photo: str = Field(description="the image as a JPEG data: URI, at most 1024 px long")
    masks: dict[str, str] = Field(description="method -> its segmentation, a palette PNG data: "
                                  "URI at full size in the class colours")
    heatmap: Heatmap | None = Field(description="null for a one-tile image")


class Download(BaseModel):
    """One georeferenced file written for a GeoTIFF upload, as ``rssqa recommend`` writes it
    for a scene: in the upload's CRS and on its grid."""

    name: str = Field(description="file name, e.g. scene_quality.tif")
    url: str = Field(description="path on this server (GET); kept for the last few uploads only")
    media_type: str = Field(description="e.g. image/tiff; application=geotiff; "
                            "profile=cloud-optimized")
    kind: str = Field(description="which output: segmentation, quality, recommended, interval, "
                      "cells, stac, summary, or a map's _style / _categories sidecar")
    description: str = Field(description="what the file holds, in words")


class Assessment(BaseModel):
    """Every method scored on one image, the recommendation, and why."""

    image: str = Field(description="a label from the uploaded file's name")
    width: int
    height: int
    tiles: int = Field(description="assessment tiles covering the image")
    tile_size: int
    assessor: str
    accuracy: str = Field("oa", description="the accuracy every predicted_oa holds: the "
                          "experiment's target: oa, miou, f1 or iou:<class>")
    methods: list[MethodScore]
    recommended: str
    default: str | None = Field(description="the safe selector's default method; null when the "
                                "assessor is not a safe selector")
    kept_default: bool | None
    predicted_gain: float | None = Field(description="best method's predicted accuracy minus "
                                         "the default's, 0-1")
    margin: float | None = Field(description="the gain another method must clear to replace the "
                                 "default, 0-1; null without a default, or when it never leaves it")
    never_leaves_default: bool
    no_clear_winner: bool | None = Field(
        description="true when the runner-up's predicted accuracy lies inside the best method's "
                    "interval, so the data do not tell them apart; null without intervals")
    decision: str = Field(description="the recommendation and its reason, in words")
    interval_level: float | None = Field(description="coverage of the intervals, e.g. 0.9")
    interval_note: str = Field(description="what the intervals are, or why there are none")
    tile_scores: list[TileScores]
    seconds: float
    classes: list[ClassColour]
    images: Pictures | None = Field(None, description="absent when requested with images=false")
    downloads: list[Download] | None = Field(
        None, description="for a GeoTIFF upload (one with a CRS and a transform): the scene's "
                          "Cloud-Optimised GeoTIFF maps, the GeoPackage of assessment cells and "
                          "their STAC item, georeferenced like the upload; null for any other")
