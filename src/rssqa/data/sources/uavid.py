"""UAVid (Lyu et al., ISPRS J. 2020): oblique UAV video frames of urban streets.

3840x2160 (or 4096x2160) frames, ten per video sequence, with colour labels of eight classes.
Frames of one sequence overlap heavily, so the sequence is the group. Published at
https://uavid.nl/ (uavid_v1.5_official_release_image.zip; the test sequences have no labels).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.data.sources.published import Publication, files_by_key, nonempty, pair
from rssqa.data.sources.registry import SOURCES
from rssqa.data.types import Sample

UAVID_CLASSES = ClassMap(
    names=["clutter", "building", "road", "tree", "low_vegetation", "moving_car", "static_car",
           "human"],
    colours=["#000000", "#800000", "#804080", "#008000", "#808000", "#400080", "#C000C0", "#404000"],
)
"""UAVid's eight classes in the release's label colours (background clutter is a class)."""

_PUBLICATION = Publication("UAVid", "https://uavid.nl/",
                           "uavid_train/seq1/Images/000000.png with uavid_train/seq1/Labels/000000.png "
                           "(likewise uavid_val/)")
_SEQUENCE = re.compile(r"seq\d+")


@SOURCES.register("uavid")
class UAVidSource:
    """UAVid under ``root`` (the folder holding ``uavid_train/`` and ``uavid_val/``).

    Expected layout::

        uavid_train/seq1/Images/000000.png   uavid_train/seq1/Labels/000000.png
        uavid_val/seq16/Images/...           uavid_val/seq16/Labels/...

    Source ids read ``seq1_000000``; the group is the sequence (``seq1``).
    """

    classmap = UAVID_CLASSES
    publication = _PUBLICATION

    def __init__(self, root: str | Path, splits: Sequence[str] = ("uavid_train", "uavid_val")):
        self.root = Path(root)
        self.sequences = []
        for split in splits:
            folder = _PUBLICATION.require_dir(self.root / split, split)
            found = sorted(p for p in folder.iterdir() if p.is_dir() and _SEQUENCE.fullmatch(p.name))
            if not found:
                _PUBLICATION.require_dir(folder / "seq1", f"{split} sequence (seqN)")
            self.sequences += found

    def samples(self) -> list[Sample]:
        samples = []
        for sequence in self.sequences:
            images_dir = _PUBLICATION.require_dir(sequence / "Images", f"{sequence.name} Images")
            labels_dir = _PUBLICATION.require_dir(sequence / "Labels", f"{sequence.name} Labels")
            images = files_by_key(images_dir, r"(\d+)\.png")
            labels = files_by_key(labels_dir, r"(\d+)\.png")
            samples += pair(images, labels, lambda k, s=sequence.name: f"{s}_{k}",
                            lambda k, s=sequence.name: s, _PUBLICATION, images_dir)
        return nonempty(sorted(samples, key=lambda s: s.source_id), _PUBLICATION, self.root)
