"""FloodNet (Rahnemoonfar et al., IEEE Access 2021): post-Hurricane-Harvey UAV imagery.

4000x3000 JPEG frames with index masks of ten classes (0 background ... 9 grass), as in
FloodNet-Supervised_v1.0. The release gives no flight or scene ids, so each image is its own
group. Published at https://github.com/BinaLab/FloodNet-Supervised_v1.0 (download links there).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.data.sources.published import Publication, pair_parts
from rssqa.data.sources.registry import SOURCES
from rssqa.data.types import Sample

FLOODNET_CLASSES = ClassMap(
    names=["background", "building_flooded", "building_non_flooded", "road_flooded",
           "road_non_flooded", "water", "tree", "vehicle", "pool", "grass"],
    encodings=("index",),
)
"""FloodNet's ten classes, written as pixel values 0..9."""

_PUBLICATION = Publication("FloodNet", "https://github.com/BinaLab/FloodNet-Supervised_v1.0",
                           "train/train-org-img/6336.jpg with train/train-label-img/6336_lab.png "
                           "(likewise val/ and test/)")


@SOURCES.register("floodnet")
class FloodNetSource:
    """FloodNet-Supervised_v1.0 under ``root`` (the folder holding ``train/``, ``val/``, ``test/``).

    Expected layout::

        train/train-org-img/6336.jpg     train/train-label-img/6336_lab.png
        val/val-org-img/...              val/val-label-img/..._lab.png
        test/test-org-img/...            test/test-label-img/..._lab.png

    Source ids read ``train_6336``.
    """

    classmap = FLOODNET_CLASSES
    publication = _PUBLICATION

    def __init__(self, root: str | Path, splits: Sequence[str] = ("train", "val", "test")):
        self.root = Path(root)
        self.parts = [(split,
                       _PUBLICATION.require_dir(self.root / split / f"{split}-org-img", f"{split} image"),
                       _PUBLICATION.require_dir(self.root / split / f"{split}-label-img", f"{split} label"))
                      for split in splits]

    def samples(self) -> list[Sample]:
        return pair_parts(self.parts, r"(\d+)\.jpg", r"(\d+)_lab\.png", _PUBLICATION, self.root)
