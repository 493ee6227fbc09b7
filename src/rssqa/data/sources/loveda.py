"""LoveDA (Wang et al., NeurIPS 2021 Datasets and Benchmarks): urban and rural land cover.

1024x1024 GaoFen-2 RGB PNGs from Nanjing, Changzhou and Wuhan; index masks where 0 is no-data
(ignored) and 1..7 are the seven classes. Each image is its own group: the release names images
by number only, with no scene they could share. Published on Zenodo,
https://zenodo.org/records/5706578 (Train.zip, Val.zip; Test.zip holds no masks).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.data.sources.published import Publication, pair_parts
from rssqa.data.sources.registry import SOURCES
from rssqa.data.types import Sample
from rssqa.errors import InputError

LOVEDA_CLASSES = ClassMap(
    names=["background", "building", "road", "water", "barren", "forest", "agriculture"],
    colours=["#FFFFFF", "#FF0000", "#FFFF00", "#0000FF", "#9F81B7", "#00FF00", "#FFC380"],
    encodings=("index",), values=range(1, 8), ignore_values=[0],
)
"""LoveDA's classes as pixel values 1..7 (0: no-data, ignored); colours as LoveDA draws them."""

_PUBLICATION = Publication("LoveDA", "https://zenodo.org/records/5706578",
                           "Train/Urban/images_png/1366.png with Train/Urban/masks_png/1366.png "
                           "(likewise Rural, and Val/)")


@SOURCES.register("loveda")
class LoveDASource:
    """LoveDA under ``root`` (the folder holding ``Train/`` and ``Val/``).

    Expected layout::

        Train/Urban/images_png/1366.png    Train/Urban/masks_png/1366.png
        Train/Rural/images_png/0.png       Train/Rural/masks_png/0.png
        Val/Urban/...                      Val/Rural/...

    ``splits`` and ``domains`` choose the published parts to read; source ids read
    ``train_urban_1366``.
    """

    classmap = LOVEDA_CLASSES
    publication = _PUBLICATION

    def __init__(self, root: str | Path, splits: Sequence[str] = ("Train", "Val"),
                 domains: Sequence[str] = ("Urban", "Rural")):
        self.root = Path(root)
        unknown = sorted(set(domains) - {"Urban", "Rural"})
        if unknown or not domains or not splits:
            raise InputError(None, f"LoveDA domains {list(domains)} / splits {list(splits)}",
                             "use domains among Urban, Rural and splits among Train, Val")
        self.parts = []
        for split in splits:
            for domain in domains:
                part = self.root / split / domain
                self.parts.append((f"{split}_{domain}".lower(),
                                   _PUBLICATION.require_dir(part / "images_png", f"{split}/{domain} image"),
                                   _PUBLICATION.require_dir(part / "masks_png", f"{split}/{domain} mask")))

    def samples(self) -> list[Sample]:
        return pair_parts(self.parts, r"(\d+)\.png", r"(\d+)\.png", _PUBLICATION, self.root)
