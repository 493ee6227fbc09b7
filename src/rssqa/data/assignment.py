"""Which source images train the pool, which build the SQED, and which of those are test.

Groups may be named (``pool.groups``, ``sqed.groups``) or drawn as a seeded share
(``pool.fraction``); the SQED takes the named groups or, when none are named, every group the pool
did not take, so pool and SQED never share ground. Its test images are ``test_per_group`` images
of each group or a seeded ``test_fraction`` of its groups. The chosen assignment is written next to
the run (``splits.json``) so that it can be read, cited and reused.
"""

from __future__ import annotations

import json
from pathlib import Path

from rssqa.data.splits import (choose_share, natural_key, select_groups, split_by_fraction,
                               split_by_source)
from rssqa.config import SplitRule
from rssqa.data.types import Sample
from rssqa.errors import InputError
from rssqa.files import atomic_write_text



def pool_samples(samples: list[Sample], rule: SplitRule) -> list[Sample]:
    """The samples the pool trains on: its named groups, or a seeded share of all groups."""
    if rule.pool_fraction is None:
        return select_groups(samples, rule.pool_groups)
    chosen = choose_share(samples, rule.pool_fraction, rule.seed, "pool", "pool.fraction")
    return select_groups(samples, chosen)


def sqed_samples(samples: list[Sample], rule: SplitRule) -> list[Sample]:
    """The SQED's samples: its named groups, or every group the pool does not train on."""
    if rule.sqed_groups:
        return select_groups(samples, rule.sqed_groups)
    taken = {s.group for s in pool_samples(samples, rule)}
    rest = [s for s in samples if s.group not in taken]
    if not rest:
        raise InputError(None, "the pool takes every group, so none is left for the SQED",
                         "name sqed.groups, or give the pool fewer groups or a smaller fraction")
    return rest


def sqed_split(samples: list[Sample], rule: SplitRule) -> dict[str, str]:
    """``source_id -> "train" | "test"`` for the SQED's samples, by the rule's test setting."""
    name, value = rule.test_rule
    if name == "test_fraction":
        return split_by_fraction(samples, value, rule.seed)
    return split_by_source(samples, int(value), rule.seed)


def write_assignment(path: Path, samples: list[Sample], rule: SplitRule,
                     split_of: dict[str, str]) -> None:
    """``splits.json``: the rule and, per group, its images and where each went."""
    pool = {s.source_id for s in pool_samples(samples, rule)}
    role = {sid: "pool" for sid in pool} | {sid: f"sqed-{split}" for sid, split in split_of.items()}
    groups: dict[str, dict[str, str]] = {}
    for sample in samples:
        groups.setdefault(sample.group, {})[sample.source_id] = role.get(sample.source_id, "unused")
    record = {"rule": rule.build_info(),
              "counts": {r: sum(v == r for v in role.values())
                         for r in ("pool", "sqed-train", "sqed-test")},
              "groups": {g: groups[g] for g in sorted(groups, key=natural_key)}}
    atomic_write_text(Path(path), json.dumps(record, indent=2))
