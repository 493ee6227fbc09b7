"""DeepGlobe 2018 land cover classification (Demir et al., CVPR workshops 2018).

2448x2448 satellite RGB JPEGs (``<id>_sat.jpg``) with colour masks (``<id>_mask.png``) of six
classes plus unknown (black, ignored). Only the train folder is labelled. The challenge notes that
mask values are not exactly 0 or 255 and must be binarised at 128, so the class map snaps each
channel at 128 before the colour lookup. Each image is its own group. Published through the
DeepGlobe 2018 challenge (http://deepglobe.org/) and mirrored on Kaggle as
"deepglobe-land-cover-classification-dataset".
"""

from __future__ import annotations

from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.data.sources.published import Publication, files_by_key, nonempty, pair
from rssqa.data.sources.registry import SOURCES
from rssqa.data.types import Sample

DEEPGLOBE_CLASSES = ClassMap(
    names=["urban_land", "agriculture_land", "rangeland", "forest_land", "water", "barren_land"],
    colours=["#00FFFF", "#FFFF00", "#FF00FF", "#00FF00", "#0000FF", "#FFFFFF"],
    ignore_colours=["#000000"], channel_threshold=128,
)
"""DeepGlobe land cover colours; black is 'unknown' and ignored; channels binarised at 128."""

_PUBLICATION = Publication("DeepGlobe land cover",
                           "http://deepglobe.org/ (Kaggle: deepglobe-land-cover-classification-dataset)",
                           "train/119_sat.jpg with train/119_mask.png")


@SOURCES.register("deepglobe")
class DeepGlobeLandCoverSource:
    """DeepGlobe land cover under ``root`` (the folder holding ``train/``).

    Expected layout::

        train/119_sat.jpg    train/119_mask.png
        class_dict.csv, metadata.csv, valid/, test/   (present in the release, not read)

    Source ids are the image ids (``119``).
    """

    classmap = DEEPGLOBE_CLASSES
    publication = _PUBLICATION

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.train_dir = _PUBLICATION.require_dir(self.root / "train", "train")

    def samples(self) -> list[Sample]:
        images = files_by_key(self.train_dir, r"(\d+)_sat\.jpg")
        masks = files_by_key(self.train_dir, r"(\d+)_mask\.png")
        return nonempty(pair(images, masks, str, str, _PUBLICATION, self.train_dir),
                        _PUBLICATION, self.root)
