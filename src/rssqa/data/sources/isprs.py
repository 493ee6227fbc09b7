"""ISPRS 2D Semantic Labeling benchmark: Vaihingen and Potsdam, as the ISPRS publishes them.

Both are large true orthophotos (Vaihingen: 33 IRRG areas of about 2000x2500 px at 9 cm;
Potsdam: 38 tiles of 6000x6000 px at 5 cm, as RGB or IRRG) with colour-coded labels of six
classes. Each image covers its own ground, so the image (area or tile) is the group. The eroded
ground truth ("noBoundary") paints object boundaries black; black is ignored, so both variants
use one class map. Published at https://www.isprs.org/education/benchmarks/UrbanSemLab/
(the data is requested through the form there).
"""

from __future__ import annotations

from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.data.sources.published import Publication, files_by_key, nonempty, pair
from rssqa.data.sources.registry import SOURCES
from rssqa.data.types import Sample
from rssqa.errors import InputError

ISPRS_CLASSES = ClassMap(
    names=["impervious_surfaces", "building", "low_vegetation", "tree", "car", "clutter"],
    colours=["#FFFFFF", "#0000FF", "#00FFFF", "#00FF00", "#FFFF00", "#FF0000"],
    ignore_colours=["#000000"],
)
"""The six ISPRS classes in the benchmark's colours; black (eroded boundaries) is ignored."""

_URL = "https://www.isprs.org/education/benchmarks/UrbanSemLab/"
_VARIANTS = ("full", "eroded")


def _variant(labels: str) -> str:
    if labels not in _VARIANTS:
        raise InputError(None, f"labels {labels!r} is not an ISPRS ground-truth variant",
                         "use labels: full, or labels: eroded (the noBoundary ground truth)")
    return labels


@SOURCES.register("vaihingen")
class VaihingenSource:
    """ISPRS Vaihingen under ``root``, one sample and group per area (``area1`` ...).

    Expected layout (the two archives unpacked into folders named after them)::

        top/top_mosaic_09cm_area1.tif                      ISPRS_semantic_labeling_Vaihingen.zip
        ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE/top_mosaic_09cm_area1.tif
        ISPRS_semantic_labeling_Vaihingen_ground_truth_eroded_COMPLETE/
            top_mosaic_09cm_area1_noBoundary.tif           (labels: eroded)
    """

    classmap = ISPRS_CLASSES
    _LABELS = {"full": ("ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE", ""),
               "eroded": ("ISPRS_semantic_labeling_Vaihingen_ground_truth_eroded_COMPLETE",
                          "_noBoundary")}
    publication = Publication("ISPRS Vaihingen", _URL,
                              "top/top_mosaic_09cm_areaN.tif and "
                              "ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE/ (or "
                              "..._ground_truth_eroded_COMPLETE/) holding the labels")

    def __init__(self, root: str | Path, labels: str = "full"):
        self.root = Path(root)
        folder, self._suffix = self._LABELS[_variant(labels)]
        self.images_dir = self.publication.require_dir(self.root / "top", "image (top)")
        self.labels_dir = self.publication.require_dir(self.root / folder, f"{labels} ground-truth")

    def samples(self) -> list[Sample]:
        images = files_by_key(self.images_dir, r"top_mosaic_09cm_(area\d+)\.tif")
        labels = files_by_key(self.labels_dir, rf"top_mosaic_09cm_(area\d+){self._suffix}\.tif")
        return nonempty(pair(images, labels, str, str, self.publication, self.images_dir),
                        self.publication, self.root)


@SOURCES.register("potsdam")
class PotsdamSource:
    """ISPRS Potsdam under ``root``, one sample and group per tile (``2_10`` ...).

    Expected layout (the archives of the Potsdam release unpacked into folders of their names)::

        2_Ortho_RGB/top_potsdam_2_10_RGB.tif               (bands: RGB)
        3_Ortho_IRRG/top_potsdam_2_10_IRRG.tif             (bands: IRRG)
        5_Labels_all/top_potsdam_2_10_label.tif            (labels: full)
        5_Labels_all_noBoundary/top_potsdam_2_10_label_noBoundary.tif   (labels: eroded)
    """

    classmap = ISPRS_CLASSES
    _IMAGES = {"RGB": "2_Ortho_RGB", "IRRG": "3_Ortho_IRRG"}
    _LABELS = {"full": ("5_Labels_all", ""), "eroded": ("5_Labels_all_noBoundary", "_noBoundary")}
    publication = Publication("ISPRS Potsdam", _URL,
                              "2_Ortho_RGB/ (or 3_Ortho_IRRG/) and 5_Labels_all/ (or "
                              "5_Labels_all_noBoundary/) folders")

    def __init__(self, root: str | Path, bands: str = "RGB", labels: str = "full"):
        if bands not in self._IMAGES:
            raise InputError(None, f"bands {bands!r} is not a Potsdam orthophoto product",
                             "use bands: RGB or bands: IRRG")
        self.root, self.bands = Path(root), bands
        folder, self._suffix = self._LABELS[_variant(labels)]
        self.images_dir = self.publication.require_dir(self.root / self._IMAGES[bands],
                                                       f"{bands} image")
        self.labels_dir = self.publication.require_dir(self.root / folder, f"{labels} label")

    def samples(self) -> list[Sample]:
        images = files_by_key(self.images_dir, rf"top_potsdam_(\d+_\d+)_{self.bands}\.tif")
        labels = files_by_key(self.labels_dir, rf"top_potsdam_(\d+_\d+)_label{self._suffix}\.tif")
        return nonempty(pair(images, labels, str, str, self.publication, self.images_dir),
                        self.publication, self.root)
