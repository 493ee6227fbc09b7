"""SpaceNet roads (SpaceNet-3, WorldView-3 at about 0.3 m): binary road masks from two cities.

Read in the PNG layout of its Kaggle redistribution (as in the shared development copy), one
folder per city, images and masks paired by file stem::

    vegas/images/10217.png      vegas/masks/10217.png       1024x1024, grey masks
    shanghai/images/10310.png   shanghai/masks/10310.png    512x512, #FFFF00 road on #000000

The two cities encode their masks differently: Las Vegas masks are grey (saved as RGB with three
equal channels) with anti-aliased edges, road where the grey level is at least 128; Shanghai masks
are pure yellow road on black. :data:`SPACENET_ROAD_CLASSES` declares both encodings, so one class
map reads either city. Each city is one group (``vegas``, ``shanghai``), so that a config can train
in one city and assess in the other; source ids read ``vegas_10217``. Roads are rasterised,
buffered centre-lines rather than road surfaces, so expect label noise at road edges; black no-data
strips in some Shanghai images are labelled background.

Licence CC BY-SA 4.0; attribute "SpaceNet on AWS" when reporting on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.data.sources.folder import FolderSource
from rssqa.data.sources.published import Publication, nonempty
from rssqa.data.sources.registry import SOURCES
from rssqa.data.types import Sample

CITIES = ("vegas", "shanghai")

SPACENET_ROAD_CLASSES = ClassMap(
    names=["background", "road"],
    colours=["#000000", "#FFFF00"],
    encodings=("threshold", "colour"),
    threshold=128,
)
"""Background and road. Grey masks (Las Vegas, anti-aliased) are cut at 128: grey level 127 is
background, 128 is road. Colour masks (Shanghai) are looked up: #000000 background, #FFFF00 road;
any other colour is an error naming the mask."""

_PUBLICATION = Publication(
    "SpaceNet roads", "SpaceNet on AWS, https://spacenet.ai/spacenet-roads-dataset/ (CC BY-SA 4.0), "
    "PNG redistribution on Kaggle",
    "<city>/images/<id>.png with <city>/masks/<id>.png, <city> one of vegas, shanghai")


@SOURCES.register("spacenet_roads")
class SpaceNetRoadsSource:
    """SpaceNet road masks of the ``cities`` under ``root``, grouped by city, with
    :data:`SPACENET_ROAD_CLASSES`."""

    classmap = SPACENET_ROAD_CLASSES
    publication = _PUBLICATION

    def __init__(self, root: str | Path, cities: Sequence[str] = CITIES):
        self.root = Path(root)
        self.cities = tuple(cities)
        self._folders = {
            city: FolderSource(
                _PUBLICATION.require_dir(self.root / city / "images", f"{city} image"),
                _PUBLICATION.require_dir(self.root / city / "masks", f"{city} mask"),
                image_suffixes=(".png",), mask_suffix=".png")
            for city in self.cities}
        self.unpaired: list[Path] = []

    def samples(self) -> list[Sample]:
        """All paired samples of every city, sorted by ``source_id`` (``<city>_<id>``); ``group``
        is the city."""
        samples: list[Sample] = []
        self.unpaired = []
        for city, folder in self._folders.items():
            samples += [replace(s, source_id=f"{city}_{s.source_id}", group=city)
                        for s in folder.samples()]
            self.unpaired += folder.unpaired
        return nonempty(sorted(samples, key=lambda s: s.source_id), _PUBLICATION, self.root)

    def __repr__(self) -> str:
        return f"SpaceNetRoadsSource({str(self.root)!r}, cities={list(self.cities)!r})"
