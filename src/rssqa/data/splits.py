"""Choosing which groups to use and which source images to hold out.

Splits are made over source images, never over tiles, so the tiles of one image never sit on
both sides; neighbouring images of one group may still overlap in content, which is why a
benchmark that must not share ground selects whole groups for each stage (see ``select_groups``).
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np

from rssqa.data.types import Sample
from rssqa.errors import InputError

Split = Literal["train", "test"]


def natural_key(name: str) -> list:
    """'tile2' before 'tile10'."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def select_groups(samples: Iterable[Sample], groups: Sequence[str]) -> list[Sample]:
    """The samples whose group is in ``groups``; naming a group no sample has is an error."""
    samples = list(samples)
    known = {s.group for s in samples}
    unknown = [g for g in groups if g not in known]
    if unknown:
        raise InputError(None, f"unknown group(s) {', '.join(map(repr, unknown))}",
                         f"known groups: {', '.join(sorted(known, key=natural_key))}")
    wanted = set(groups)
    return [s for s in samples if s.group in wanted]


def split_by_source(samples: Iterable[Sample], test_per_group: int, seed: int) -> dict[str, Split]:
    """``source_id -> "train" | "test"``: ``test_per_group`` images of every group go to test.

    Each group draws from its own generator, seeded by ``seed`` and the group's name, so a
    group's split depends only on its own images and ``seed``: not on sample order, and not on
    which other groups were selected.
    """
    by_group: dict[str, list[str]] = defaultdict(list)
    for sample in samples:
        by_group[sample.group].append(sample.source_id)
    ids = [i for members in by_group.values() for i in members]
    if len(ids) != len(set(ids)):
        raise ValueError("samples repeat a source_id; each source image must appear once")
    smallest = min((len(m) for m in by_group.values()), default=0)
    if not 0 <= test_per_group <= smallest:
        raise InputError(None, f"test_per_group is {test_per_group}, but the smallest group has "
                         f"{smallest} image(s)", f"choose a value between 0 and {smallest}")

    assignment: dict[str, Split] = {}
    for group, members in by_group.items():
        members = sorted(members)
        rng = np.random.default_rng([seed, zlib.crc32(group.encode())])
        test = set(rng.choice(len(members), size=test_per_group, replace=False).tolist())
        assignment.update({sid: "test" if i in test else "train" for i, sid in enumerate(members)})
    return assignment


def _groups_in_order(samples: Iterable[Sample]) -> list[str]:
    return sorted({s.group for s in samples}, key=natural_key)


def _share_count(fraction: float, total: int, what: str) -> int:
    """How many of ``total`` groups a ``fraction`` takes: rounded, and never all nor none."""
    if not 0 < fraction < 1:
        raise InputError(None, f"{what} is {fraction}", "give a share strictly between 0 and 1, "
                         "e.g. 0.5")
    if total < 2:
        raise InputError(None, f"{what} needs at least two groups (source images) to share out, "
                         f"but there are {total}", "add images, or use group_by: grid to cut a "
                         "large image into blocks")
    return min(max(round(fraction * total), 1), total - 1)


def choose_share(samples: Iterable[Sample], fraction: float, seed: int, purpose: str,
                 what: str = "fraction") -> list[str]:
    """A seeded ``fraction`` of the samples' groups (whole groups, so none straddles the cut).

    The generator is seeded by ``seed`` and ``purpose`` (e.g. ``"pool"``), so different uses of
    one seed draw independently; the result does not depend on sample order.
    """
    groups = _groups_in_order(samples)
    count = _share_count(fraction, len(groups), what)
    rng = np.random.default_rng([seed, zlib.crc32(purpose.encode())])
    chosen = set(rng.permutation(len(groups))[:count].tolist())
    return [g for i, g in enumerate(groups) if i in chosen]


def split_by_fraction(samples: Iterable[Sample], test_fraction: float, seed: int) -> dict[str, Split]:
    """``source_id -> "train" | "test"``: a seeded ``test_fraction`` of the groups go to test.

    Whole groups move together (each image is its own group when a source has no groups), so the
    split is by source image, or by scene, sequence or spatial block where the source has those.
    """
    samples = list(samples)
    test = set(choose_share(samples, test_fraction, seed, "sqed-test", "sqed.test_fraction"))
    return {s.source_id: "test" if s.group in test else "train" for s in samples}
