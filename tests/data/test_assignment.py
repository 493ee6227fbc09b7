"""Seeded shares of groups for the pool and the SQED test split, grid blocks, and splits.json."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rssqa.data.assignment import SplitRule, pool_samples, sqed_samples, sqed_split, write_assignment
from rssqa.data.grouping import apply_grouping, blocks, grid_samples
from rssqa.data.splits import choose_share, split_by_fraction
from rssqa.data.tiling import iter_tile_data, plan_tiles
from rssqa.data.types import Sample
from rssqa.errors import InputError


def _numbered(count: int = 20) -> list[Sample]:
    """A folder of numbered images: each image its own group."""
    return [Sample(f"{i:03d}", Path(f"{i:03d}.png"), None, f"{i:03d}") for i in range(count)]


def _grouped(groups: int = 5, per_group: int = 3) -> list[Sample]:
    return [Sample(f"s{g}_{i}", Path(f"s{g}_{i}.png"), None, f"s{g}")
            for g in range(groups) for i in range(per_group)]


def test_pool_fraction_takes_a_seeded_share_and_the_sqed_the_rest():
    samples = _numbered(20)
    rule = SplitRule(seed=3, pool_fraction=0.5)
    pool, sqed = pool_samples(samples, rule), sqed_samples(samples, rule)
    assert len(pool) == 10 and len(sqed) == 10
    assert {s.source_id for s in pool}.isdisjoint(s.source_id for s in sqed)
    assert set(pool_samples(list(reversed(samples)), rule)) == set(pool)  # not order-dependent
    assert any(pool_samples(samples, SplitRule(seed=s, pool_fraction=0.5)) != pool for s in range(4, 8))


def test_shares_move_whole_groups():
    samples = _grouped(groups=5, per_group=3)
    pool = pool_samples(samples, SplitRule(pool_fraction=0.4))
    assert len({s.group for s in pool}) == 2 and len(pool) == 6
    split = split_by_fraction(samples, 0.2, seed=0)
    for group in {s.group for s in samples}:
        assert len({split[s.source_id] for s in samples if s.group == group}) == 1
    assert sum(v == "test" for v in split.values()) == 3


def test_test_fraction_splits_by_source_image_eight_to_two():
    samples = _numbered(10)
    split = sqed_split(samples, SplitRule(seed=1, test_fraction=0.2))
    assert sorted(split) == [s.source_id for s in samples]
    assert sum(v == "test" for v in split.values()) == 2
    assert split == split_by_fraction(list(reversed(samples)), 0.2, seed=1)


def test_defaults_per_group_with_named_groups_fraction_without():
    named = SplitRule(pool_groups=("s0",), sqed_groups=("s1", "s2"))
    assert named.test_rule == ("test_per_group", 2)
    assert named.build_info() == {"groups": ["s1", "s2"], "seed": 0, "test_per_group": 2}
    assert SplitRule(pool_fraction=0.5).test_rule == ("test_fraction", 0.2)
    assert SplitRule(pool_fraction=0.5, test_per_group=1).test_rule == ("test_per_group", 1)


@pytest.mark.parametrize("kwargs, message", [
    ({"pool_groups": ("a",), "pool_fraction": 0.5}, "not both"),
    ({"test_per_group": 1, "test_fraction": 0.2}, "both set"),
])
def test_contradicting_settings_are_input_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        SplitRule(**kwargs)


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5, -0.1])
def test_a_fraction_outside_zero_one_is_an_input_error(fraction):
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        choose_share(_numbered(4), fraction, 0, "pool")


def test_a_share_never_takes_all_or_nothing_and_needs_two_groups():
    assert len(choose_share(_numbered(3), 0.01, 0, "pool")) == 1
    assert len(choose_share(_numbered(3), 0.99, 0, "pool")) == 2
    with pytest.raises(InputError, match="at least two groups.*group_by: grid"):
        choose_share(_numbered(1), 0.5, 0, "pool")


def test_splits_json_lists_each_image_and_its_role(tmp_path):
    samples = _numbered(10)
    rule = SplitRule(seed=0, pool_fraction=0.5)
    sqed = sqed_samples(samples, rule)
    split = sqed_split(sqed, rule)
    write_assignment(tmp_path / "splits.json", samples, rule, split)
    record = json.loads((tmp_path / "splits.json").read_text())
    assert record["rule"] == {"groups": [], "seed": 0, "test_fraction": 0.2, "pool_fraction": 0.5}
    assert record["counts"] == {"pool": 5, "sqed-train": 4, "sqed-test": 1}
    roles = {sid: role for members in record["groups"].values() for sid, role in members.items()}
    assert {sid for sid, r in roles.items() if r == "pool"} == {s.source_id for s in pool_samples(samples, rule)}


def test_blocks_cover_the_tile_grid_and_keep_remainders_that_hold_a_tile():
    # 10 x 7 tiles of 32 px plus a 5-px sliver: blocks of 4 x 4 tiles -> 3 x 2 blocks
    windows = blocks(7 * 32 + 5, 10 * 32 + 5, 32, 4)
    assert len(windows) == 6
    assert windows[0] == (0, 0, 128, 128) and windows[-1] == (256, 128, 69, 101)


def _large_image(tmp_path, height=200, width=260) -> Sample:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "scene.png")
    mask = np.zeros((height, width, 3), np.uint8)
    mask[:, : width // 2] = (255, 0, 0)
    Image.fromarray(mask).save(tmp_path / "scene_mask.png")
    return Sample("scene", tmp_path / "scene.png", tmp_path / "scene_mask.png", "scene")


def test_grid_blocks_give_the_same_tiles_as_the_whole_image(tmp_path, classmap):
    scene = _large_image(tmp_path)
    blocks_ = grid_samples([scene], tile_size=32, block_tiles=2)
    assert len(blocks_) == 4 * 3 and len({b.group for b in blocks_}) == 12
    assert blocks_[1].source_id == "scene_r0c1" and blocks_[1].window == (64, 0, 64, 64)
    whole = {(t.x, t.y) for t in plan_tiles([scene], 32)}
    parts = [(b, t) for b in blocks_ for t in plan_tiles([b], 32)]
    assert {(b.window[0] + t.x, b.window[1] + t.y) for b, t in parts} == whole
    tiles = {(d.tile.source_id, d.tile.x, d.tile.y): d for d in iter_tile_data(blocks_, 32, classmap)}
    full = {(d.tile.x, d.tile.y): d for d in iter_tile_data([scene], 32, classmap)}
    piece = tiles[("scene_r1c2", 32, 0)]
    np.testing.assert_array_equal(piece.image, full[(160, 64)].image)
    np.testing.assert_array_equal(piece.mask, full[(160, 64)].mask)


def test_grid_refuses_groups_of_several_images_and_unknown_groupings(tmp_path):
    with pytest.raises(InputError, match="one image per group"):
        grid_samples(_grouped(), 32)
    with pytest.raises(InputError, match="source, grid"):
        apply_grouping(_numbered(2), "blocks", 32)
    assert apply_grouping(_grouped(), "source", 32) == _grouped()
