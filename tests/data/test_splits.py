from pathlib import Path

import pytest

from rssqa.data.splits import select_groups, split_by_source
from rssqa.data.types import Sample
from rssqa.errors import InputError


def _samples(groups: int = 3, per_group: int = 9) -> list[Sample]:
    return [Sample(f"tile{g}_part{p}", Path(f"tile{g}_part{p}.jpg"), None, f"tile{g}")
            for g in range(1, groups + 1) for p in range(1, per_group + 1)]


def test_split_holds_out_the_asked_number_per_group_deterministically():
    samples = _samples()
    split = split_by_source(samples, test_per_group=3, seed=7)
    assert set(split) == {s.source_id for s in samples}
    for group in ("tile1", "tile2", "tile3"):
        assert sum(split[s.source_id] == "test" for s in samples if s.group == group) == 3
    assert split_by_source(list(reversed(samples)), 3, seed=7) == split
    others = [split_by_source(samples, 3, seed=s) for s in range(8, 12)]
    assert any(o != split for o in others)


def test_a_groups_split_does_not_depend_on_the_other_groups():
    samples = _samples()
    alone = split_by_source(select_groups(samples, ["tile2"]), 3, seed=0)
    together = split_by_source(samples, 3, seed=0)
    assert alone == {k: v for k, v in together.items() if k.startswith("tile2_")}


def test_split_rejects_more_test_images_than_a_group_has():
    with pytest.raises(InputError, match="between 0 and 9"):
        split_by_source(_samples(), test_per_group=10, seed=0)


def test_select_groups_keeps_listed_groups_and_names_the_known_ones():
    samples = _samples(groups=10, per_group=1)
    assert [s.group for s in select_groups(samples, ["tile2", "tile10"])] == ["tile2", "tile10"]
    with pytest.raises(InputError, match=r"'tile11'.*known groups: tile1, tile2, .*tile9, tile10"):
        select_groups(samples, ["tile11"])
