"""OpenEarthMap (Xia et al., WACV 2023): global land cover at 0.25-0.5 m.

1000x1000 RGB GeoTIFF tiles (1024x1024 for the xBD-derived ones) from 97 regions (44 countries) with single-band index labels:
0 is unknown (ignored), 1..8 the eight classes. Tiles of one region are cut from the same
imagery, often side by side, so the region is the group. Published on Zenodo,
https://zenodo.org/records/7223446 (OpenEarthMap_wo_xBD; test labels are withheld).
"""

from __future__ import annotations

import re
from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.data.sources.published import Publication, files_by_key, nonempty, pair
from rssqa.data.sources.registry import SOURCES
from rssqa.data.types import Sample

OPENEARTHMAP_CLASSES = ClassMap(
    names=["bareland", "rangeland", "developed_space", "road", "tree", "water", "agriculture_land",
           "building"],
    colours=["#800000", "#00FF24", "#949494", "#FFFFFF", "#226126", "#0045FF", "#4BB549", "#DE1F07"],
    encodings=("index",), values=range(1, 9), ignore_values=[0],
)
"""OpenEarthMap's classes as pixel values 1..8 (0: unknown, ignored), in the dataset's colours."""

_PUBLICATION = Publication("OpenEarthMap", "https://zenodo.org/records/7223446",
                           "aachen/images/aachen_1.tif with aachen/labels/aachen_1.tif, one folder "
                           "per region")


@SOURCES.register("openearthmap")
class OpenEarthMapSource:
    """OpenEarthMap under ``root`` (``OpenEarthMap_wo_xBD``, one folder per region).

    Expected layout::

        aachen/images/aachen_1.tif    aachen/labels/aachen_1.tif
        ...                           train.txt, val.txt, test.txt (present, not read)

    Images without a label (the test tiles) are skipped. Source ids are the file stems
    (``aachen_1``); the group is the region (``aachen``).
    """

    classmap = OPENEARTHMAP_CLASSES
    publication = _PUBLICATION

    def __init__(self, root: str | Path):
        self.root = _PUBLICATION.require_dir(Path(root), "OpenEarthMap_wo_xBD")
        self.regions = sorted(p for p in self.root.iterdir() if (p / "images").is_dir())
        if not self.regions:
            _PUBLICATION.require_dir(self.root / "<region>" / "images", "region image")

    def samples(self) -> list[Sample]:
        samples = []
        for region in self.regions:
            pattern = rf"({re.escape(region.name)}_\d+)\.tif"
            labels_dir = region / "labels"
            labels = files_by_key(labels_dir, pattern) if labels_dir.is_dir() else {}
            # test tiles come without labels by design: leave them out without a warning each
            images = {k: v for k, v in files_by_key(region / "images", pattern).items() if k in labels}
            samples += pair(images, labels, str, lambda k, r=region.name: r, _PUBLICATION,
                            region / "images")
        return nonempty(sorted(samples, key=lambda s: s.source_id), _PUBLICATION, self.root)
