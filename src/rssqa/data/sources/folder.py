"""Any folder of images, optionally with a parallel folder of masks paired by file stem."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.data.sources.registry import SOURCES
from rssqa.data.types import Sample
from rssqa.errors import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


def _files_by_stem(directory: Path, suffixes: Sequence[str], role: str) -> dict[str, Path]:
    if not directory.is_dir():
        problem = "is a file, not a folder" if directory.exists() else "folder does not exist"
        raise InputError(directory, f"{role} {problem}", "check the path in your config")
    wanted = {s.lower() for s in suffixes}
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.suffix.lower() not in wanted:
            continue
        if path.stem in found:
            raise InputError(path, f"has the same name as {found[path.stem].name}, so it is unclear "
                             f"which {role} is meant", "keep one file per name")
        found[path.stem] = path
    return found


@SOURCES.register("folder")
class FolderSource:
    """Images in ``images_dir``; their masks, if any, in ``masks_dir`` under the same file stem.

    ``group_pattern`` is a regular expression searched in each file stem; its first capture group
    (or the whole match) is the sample's group, the unit kept whole by every split. By default each
    image is its own group. Images that have no mask when ``masks_dir`` is given are skipped with a
    warning and listed in :attr:`unpaired`.
    """

    def __init__(self, images_dir: str | Path, masks_dir: str | Path | None = None,
                 image_suffixes: Sequence[str] = IMAGE_SUFFIXES, mask_suffix: str = ".png",
                 group_pattern: str | None = None, classmap: ClassMap | None = None):
        self.images_dir = Path(images_dir)
        self.masks_dir = None if masks_dir is None else Path(masks_dir)
        self.image_suffixes = tuple(image_suffixes)
        self.mask_suffix = mask_suffix
        self.classmap = classmap
        try:
            self.group_pattern = None if group_pattern is None else re.compile(group_pattern)
        except re.error as error:
            raise InputError(None, f"group_pattern {group_pattern!r} is not a valid regular "
                             f"expression ({error})", r"e.g. '^(tile\d+)_'") from None
        self.unpaired: list[Path] = []

    def _group(self, path: Path) -> str:
        if self.group_pattern is None:
            return path.stem
        match = self.group_pattern.search(path.stem)
        if match is None:
            raise InputError(path, f"name does not match group_pattern {self.group_pattern.pattern!r}",
                             "fix the pattern or rename the file")
        return match.group(1) if match.groups() else match.group(0)

    def samples(self) -> list[Sample]:
        """Every usable sample, sorted by ``source_id`` (the file stem)."""
        images = _files_by_stem(self.images_dir, self.image_suffixes, "image")
        if not images:
            raise InputError(self.images_dir, "contains no images ending in "
                             f"{', '.join(self.image_suffixes)}",
                             "point images_dir at the folder that holds them, or set image_suffixes")
        masks = None
        if self.masks_dir is not None:
            masks = _files_by_stem(self.masks_dir, (self.mask_suffix,), "mask")
            self.unpaired = [path for stem, path in images.items() if stem not in masks]
            if len(self.unpaired) == len(images):
                raise InputError(self.masks_dir, f"holds no mask named like any of the {len(images)} "
                                 f"images (expected e.g. {next(iter(images))}{self.mask_suffix})",
                                 "masks must share their image's file stem")
            if self.unpaired:
                names = ", ".join(p.name for p in self.unpaired[:5])
                more = f" and {len(self.unpaired) - 5} more" if len(self.unpaired) > 5 else ""
                warnings.warn(f"{self.images_dir}: skipping {len(self.unpaired)} image(s) without a "
                              f"mask in {self.masks_dir}: {names}{more}", stacklevel=2)
        return [
            Sample(source_id=stem, image_path=path,
                   mask_path=None if masks is None else masks[stem], group=self._group(path))
            for stem, path in sorted(images.items())
            if masks is None or stem in masks
        ]

    def __repr__(self) -> str:
        masks = None if self.masks_dir is None else str(self.masks_dir)
        return f"{type(self).__name__}({str(self.images_dir)!r}, masks_dir={masks!r})"
