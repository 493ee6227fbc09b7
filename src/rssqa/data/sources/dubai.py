"""Dubai aerial imagery: "Semantic segmentation of aerial imagery" (Humans in the Loop / MBRSC, CC0).

72 RGB JPEG images with RGB (some palette) PNG masks, in 8 tiles of 9 overlapping images. Two
layouts are accepted, both giving the same sample ids (``tile1_image_part_001``) and groups
(``tile1``):

- flat, as rssqa's demo data and shared copy: ``images/tile1_image_part_001.jpg`` and
  ``masks/tile1_image_part_001.png``;
- as downloaded from Kaggle: ``Tile 1/images/image_part_001.jpg`` and
  ``Tile 1/masks/image_part_001.png``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from rssqa.data.classmap import DUBAI_CLASSES
from rssqa.data.sources.folder import FolderSource
from rssqa.data.sources.registry import SOURCES
from rssqa.data.types import Sample
from rssqa.errors import InputError

_GROUP_PATTERN = r"^(tile\d+)_"
_KAGGLE_TILE = re.compile(r"^Tile (\d+)$")
_DOWNLOAD_HINT = (
    "download 'Semantic segmentation of aerial imagery' "
    "(kaggle.com/datasets/humansintheloop/semantic-segmentation-of-aerial-imagery), unpack it and "
    "point root at the folder holding 'Tile 1', 'Tile 2', ... (or at a flat copy with images/ "
    "and masks/ folders, as in rssqa's demo data)"
)


@SOURCES.register("dubai")
class DubaiSource:
    """The Dubai dataset under ``root``, grouped by tile, with :data:`DUBAI_CLASSES`."""

    classmap = DUBAI_CLASSES

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if (self.root / "images").is_dir() and (self.root / "masks").is_dir():
            self._parts = {None: self._folder(self.root, _GROUP_PATTERN)}
        else:
            tiles = sorted(p for p in self.root.glob("Tile *") if _KAGGLE_TILE.match(p.name))
            if not tiles:
                raise InputError(self.root, "is not the Dubai dataset: it has neither images/ and "
                                 "masks/ folders nor 'Tile N' folders", _DOWNLOAD_HINT)
            self._parts = {f"tile{_KAGGLE_TILE.match(t.name).group(1)}": self._folder(t, None)
                           for t in tiles}
        self.unpaired: list[Path] = []

    def _folder(self, directory: Path, group_pattern: str | None) -> FolderSource:
        for sub in ("images", "masks"):
            if not (directory / sub).is_dir():
                raise InputError(directory, f"has no {sub}/ folder", _DOWNLOAD_HINT)
        return FolderSource(directory / "images", directory / "masks", image_suffixes=(".jpg",),
                            mask_suffix=".png", group_pattern=group_pattern)

    def samples(self) -> list[Sample]:
        """All paired samples, sorted by ``source_id``; ``group`` is the tile (``tile1`` ...)."""
        samples: list[Sample] = []
        self.unpaired = []
        for tile, folder in self._parts.items():
            part = folder.samples()
            if tile is not None:  # Kaggle layout: names repeat across tiles, so prefix the tile
                part = [replace(s, source_id=f"{tile}_{s.source_id}", group=tile) for s in part]
            samples.extend(part)
            self.unpaired.extend(folder.unpaired)
        return sorted(samples, key=lambda s: s.source_id)

    def __repr__(self) -> str:
        return f"DubaiSource({str(self.root)!r})"
