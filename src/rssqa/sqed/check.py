"""What a build's source images bring, checked before anything trains.

Every image of each part of a build (the pool's training images, the SQED's train and test
splits) is opened once: its header, its mask (decoded against the class map, at the image's
size) and the number of its tiles holding a labelled pixel. A file that cannot be used is listed
with its reason (a mask colour the class map lacks, with pixel counts; a mask of another size than
its image; anti-aliased edges; an unreadable file), the list is written beside the store, and a
part left without a single labelled tile stops the build with one line naming it, before hours
of training rather than after.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.data.io import read_mask, rgb_image_size
from rssqa.sqed.store import MANIFEST
from rssqa.raster.grid import TileGrid
from rssqa.data.types import Sample
from rssqa.errors import InputError
from rssqa.files import atomic_write_text

SHOWN_PROBLEMS = 5  # files listed on the console; the report lists them all
# What each kind of problem is called in the summary, recognised from its message.
_KINDS = [("anti-aliased", "anti-aliased mask edges"),
          ("does not know", "mask colour or value not in the class map"),
          ("but its image is", "mask of another size than its image"),
          ("cannot be read", "unreadable file"), ("does not exist", "missing file"),
          ("is a folder", "folder instead of a file"), ("band(s)", "not 8-bit RGB"),
          ("no labelled", "no labelled tile"), ("Error: ", "unexpected error")]


def report_path(store_dir: Path) -> Path:
    """Where the build's report lives: beside the store (``runs/x/sqed`` -> ``runs/x/sqed_report.txt``)."""
    store_dir = Path(store_dir)
    return store_dir.parent / f"{store_dir.name}_report.txt"


def attempt_report_path(store_dir: Path) -> Path:
    """Where a rebuild of a finished store reports until it finishes (``sqed_report.attempt.txt``)."""
    final = report_path(store_dir)
    return final.with_name(f"{final.stem}.attempt{final.suffix}")


def draft_report_path(store_dir: Path) -> Path:
    """Where a build that has not finished writes its report: over the report itself when there
    is no finished store to describe, else beside it (``attempt_report_path``), so that a rerun
    that fails leaves the finished store's report as it was. Ask before the build touches the
    store; ``publish_report`` moves the draft into place once the build finishes."""
    finished = (Path(store_dir) / MANIFEST).is_file() and report_path(store_dir).is_file()
    return attempt_report_path(store_dir) if finished else report_path(store_dir)


def publish_report(store_dir: Path, draft: Path) -> Path:
    """The finished build's report ``draft`` becomes the store's; an attempt's report left by an
    earlier failed rerun goes, as the finished build supersedes it."""
    final, attempt = report_path(store_dir), attempt_report_path(store_dir)
    if Path(draft) == attempt and attempt.is_file():
        os.replace(attempt, final)
    attempt.unlink(missing_ok=True)
    return final


def problem_kind(message: str) -> str:
    for needle, kind in _KINDS:
        if needle in message:
            return kind
    return "other"


@dataclass
class Skipped:
    part: str
    source_id: str
    reason: str  # the whole error line: file, problem, what to do
    short: str  # the file's name and the problem, for the console


@dataclass
class BuildCheck:
    """Per part (``pool``, ``train``, ``test``): each usable image's labelled tile count, and why
    the others are skipped."""

    classmap: ClassMap
    tile_size: int
    tiles: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    def check(self, part: str, samples: list[Sample], stride: int | None = None) -> None:
        """Open every sample of ``part``; any failure is the sample's reason, never the build's end."""
        counts = self.tiles.setdefault(part, {})
        for sample in samples:
            try:
                counts[sample.source_id] = self._labelled_tiles(sample, stride or self.tile_size)
            except InputError as error:
                self.skip(part, sample.source_id, error)
            except Exception as error:  # noqa: BLE001 - one bad file must not end the check
                self.skip(part, sample.source_id,
                          InputError(sample.image_path, f"{type(error).__name__}: {error}"))

    def _labelled_tiles(self, sample: Sample, stride: int) -> int:
        if sample.mask_path is None:
            raise InputError(sample.image_path, "has no label mask", "give every image of the build a mask")
        height, width = rgb_image_size(sample.image_path)
        mask = read_mask(sample.mask_path, self.classmap, expected_shape=(height, width))
        if sample.window is not None:
            x, y, width, height = sample.window
            mask = mask[y:y + height, x:x + width]
        labelled = mask != self.classmap.ignore_index
        count = sum(bool(labelled[y:y + self.tile_size, x:x + self.tile_size].any())
                    for x, y in TileGrid(mask.shape[0], mask.shape[1], self.tile_size).complete_tiles(stride))
        if not count:
            too_small = min(mask.shape) < self.tile_size
            raise InputError(sample.mask_path, f"gives no labelled {self.tile_size}-px tile "
                             f"({mask.shape[0]}x{mask.shape[1]} px, "
                             f"{'smaller than one tile' if too_small else 'every pixel ignored'})",
                             "label some of its pixels, or use a smaller tile_size")
        return count

    def skip(self, part: str, source_id: str, error: Exception) -> None:
        """Record that ``source_id`` of ``part`` cannot be used (found now or while building)."""
        self.tiles.setdefault(part, {}).pop(source_id, None)
        short = str(error)
        if isinstance(error, InputError):
            short = f"{error.path.name}: {error.problem}" if error.path else error.problem
        self.skipped.append(Skipped(part, source_id, str(error), short))

    def usable(self, part: str, samples: list[Sample]) -> list[Sample]:
        counts = self.tiles.get(part, {})
        return [s for s in samples if s.source_id in counts]

    def record_built(self, split_of: dict[str, str], source_ids: list[str]) -> None:
        """The SQED splits' counts become the tiles actually built (one id per tile), so that
        images lost while building (unreadable pixels, a member refusing them) count as lost."""
        built = Counter(source_ids)
        for part in set(split_of.values()):
            self.tiles[part] = {s: n for s, n in built.items() if split_of[s] == part}

    def errors(self, parts) -> list[dict]:
        """The files of ``parts`` skipped for an error (not merely for having no labelled tile),
        as the store's manifest lists them."""
        return [{"source_id": s.source_id, "split": s.part, "error": s.reason} for s in self.skipped
                if s.part in parts and problem_kind(s.reason) != "no labelled tile"]

    def empty_parts(self) -> list[str]:
        return [part for part, counts in self.tiles.items() if not sum(counts.values())]

    def summary(self) -> str:
        """Counts per part and per kind of problem: what the console shows."""
        lines = []
        for part, counts in self.tiles.items():
            lost = sum(1 for s in self.skipped if s.part == part)
            lines.append(f"{part}: {len(counts)} usable image(s) with {sum(counts.values())} "
                         f"labelled tile(s); {lost} skipped")
        kinds = Counter(problem_kind(s.reason) for s in self.skipped)
        if kinds:
            lines.append("skipped for: " + ", ".join(f"{kind} ({n})" for kind, n in kinds.most_common()))
        return "\n".join(lines)

    def write(self, path: Path) -> Path:
        """The summary, then every skipped file with its full reason, one per line."""
        lines = [f"rssqa build: {self.tile_size}-px tiles", self.summary(), ""]
        lines += [f"[{s.part}] {s.source_id}: {problem_kind(s.reason)}: {s.reason}" for s in self.skipped]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, "\n".join(lines) + "\n")
        return Path(path)

    def brief(self, path: Path) -> str:
        """A few lines for the console: the summary, the first skipped files, the report's path."""
        lines = [self.summary()]
        lines += [f"  skipped [{s.part}] {s.short}" for s in self.skipped[:SHOWN_PROBLEMS]]
        if len(self.skipped) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(self.skipped) - SHOWN_PROBLEMS} more")
        if self.skipped:
            lines.append(f"every skipped file and its reason: {path}")
        return "\n".join(lines)

    def require_tiles(self, path: Path, stage: str) -> None:
        """Write the report; a part without any labelled tile is one InputError naming it."""
        self.write(path)
        for part in self.empty_parts():
            planned = len(self.tiles[part]) + sum(1 for s in self.skipped if s.part == part)
            kinds = Counter(problem_kind(s.reason) for s in self.skipped if s.part == part)
            why = ", ".join(f"{kind}: {n}" for kind, n in kinds.most_common()) or "no image planned"
            name = "pool training data" if part == "pool" else f"SQED {part} split"
            raise InputError(None, f"the {name} has no labelled {self.tile_size}-px tile: "
                             f"{planned} source image(s) planned, none usable ({why}); "
                             f"stopped {stage}",
                             f"{path} lists every file and its reason; fix or replace those "
                             "files (or the class map, tile_size or splits) and run again")

