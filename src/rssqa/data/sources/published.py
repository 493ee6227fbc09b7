"""What every reader of a published dataset shares: checking the layout, pairing images with labels.

A reader points at a dataset exactly as its publisher ships it (after unpacking the archives) and
never downloads anything. When a folder or file is missing, the error says which, what layout was
expected, and where the dataset is published, so the user can fix the path or fetch the data.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rssqa.data.types import Sample
from rssqa.errors import InputError


@dataclass(frozen=True)
class Publication:
    """A dataset's name, where it is published, and the folder layout its reader expects."""

    name: str
    url: str
    layout: str

    def hint(self) -> str:
        return (f"point root at {self.name} as published ({self.url}), unpacked as {self.layout}; "
                "rssqa does not download it")

    def require_dir(self, path: Path, what: str) -> Path:
        """``path`` if it is a folder; otherwise an InputError naming it and the expected layout."""
        if not path.is_dir():
            raise InputError(path, f"{self.name}: {what} folder is missing", self.hint())
        return path


def files_by_key(directory: Path, pattern: str) -> dict[str, Path]:
    """Files in ``directory`` whose whole name matches ``pattern``, keyed by its first group."""
    regex = re.compile(pattern, re.IGNORECASE)
    found = {}
    for path in sorted(directory.iterdir()):
        match = regex.fullmatch(path.name)
        if match and path.is_file():
            found[match.group(1)] = path
    return found


def pair(images: dict[str, Path], labels: dict[str, Path], source_id: Callable[[str], str],
         group: Callable[[str], str], publication: Publication, where: Path) -> list[Sample]:
    """One sample per image that has a label, sorted by source id.

    Images without a label are skipped with a warning (some releases withhold test labels); a
    folder where no image has its label is an InputError.
    """
    unlabelled = sorted(k for k in images if k not in labels)
    if images and len(unlabelled) == len(images):
        raise InputError(where, f"{publication.name}: none of the {len(images)} images has its "
                         f"label (e.g. {images[unlabelled[0]].name})", publication.hint())
    if unlabelled:
        warnings.warn(f"{where}: skipping {len(unlabelled)} {publication.name} image(s) without a "
                      f"label: {', '.join(unlabelled[:5])}", stacklevel=3)
    samples = [Sample(source_id(k), images[k], labels[k], group(k)) for k in images if k in labels]
    return sorted(samples, key=lambda s: s.source_id)


def pair_parts(parts: Iterable[tuple[str, Path, Path]], image_pattern: str, label_pattern: str,
               publication: Publication, root: Path) -> list[Sample]:
    """Samples of (prefix, image folder, label folder) parts, each image its own group
    ``<prefix>_<key>``; sorted, and at least one (for sets whose images do not overlap)."""
    samples = []
    for prefix, images_dir, labels_dir in parts:
        images = files_by_key(images_dir, image_pattern)
        labels = files_by_key(labels_dir, label_pattern)
        samples += pair(images, labels, lambda k, p=prefix: f"{p}_{k}",
                        lambda k, p=prefix: f"{p}_{k}", publication, images_dir)
    return nonempty(sorted(samples, key=lambda s: s.source_id), publication, root)


def nonempty(samples: Iterable[Sample], publication: Publication, root: Path) -> list[Sample]:
    """``samples`` as a list; none at all is an InputError saying what layout was expected."""
    samples = list(samples)
    if not samples:
        raise InputError(root, f"holds no {publication.name} image with its label",
                         publication.hint())
    return samples
