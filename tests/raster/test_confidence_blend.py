"""Seams blended by the tiles' confidence: the surer tile wins where tiles disagree, nothing
changes where they agree, and the scene's resume parts carry the confidence or are redone."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from rssqa.files import atomic_save_npz
from rssqa.geo import scene as scene_module
from rssqa.geo.tiles import BatchStore, TileBatch
from rssqa.raster.blend import blend_tiles, quantise_confidence
from rssqa.raster.grid import TileGrid


def _sure(value: float) -> np.ndarray:
    return np.full((32, 32), quantise_confidence(np.float32(value)), np.uint8)


def test_the_surer_tile_wins_the_overlap_where_neighbours_disagree():
    grid = TileGrid(40, 56, 32, 8)  # cells x [0, 24), [24, 48), [48, 56); overlaps [20, 28), [44, 52)
    labels = blend_tiles(grid, 3, lambda r, c: np.full((32, 32), c % 2, np.uint8),
                         lambda r, c: _sure(0.6 if c == 1 else 0.95))
    # The unsure middle tile keeps only what no other tile reaches: the sure ones vote up to
    # their windows' ends, 4 px past the cell borders, where the ramp alone switched.
    assert (labels[:, :28] == 0).all() and (labels[:, 28:44] == 1).all() and (labels[:, 44:] == 0).all()
    even = blend_tiles(grid, 3, lambda r, c: np.full((32, 32), c % 2, np.uint8), lambda r, c: _sure(0.8))
    assert (even[:, :24] == 0).all() and (even[:, 24:48] == 1).all()  # equally sure: the ramp decides


def test_where_the_tiles_agree_their_label_stands_whatever_their_confidence():
    rng = np.random.default_rng(0)
    grid = TileGrid(70, 90, 32, 8)
    truth = rng.integers(0, 3, (70, 90)).astype(np.uint8)
    confidence = {position: rng.integers(1, 256, (32, 32)).astype(np.uint8)
                  for position in np.ndindex(grid.rows, grid.cols)}

    def tile(row, col):
        y, x = grid.tile_origin(row, col)
        return truth[y:y + 32, x:x + 32]

    assert np.array_equal(blend_tiles(grid, 3, tile, lambda r, c: confidence[r, c]), truth)


def test_certain_votes_are_the_ramp_alone():
    """A mask-only member (confidence 255) blends as the labels alone did."""
    rng = np.random.default_rng(1)
    grid = TileGrid(70, 90, 32, 8)
    masks = rng.integers(0, 3, (grid.rows, grid.cols, 32, 32)).astype(np.uint8)
    certain = blend_tiles(grid, 3, lambda r, c: masks[r, c], lambda r, c: _sure(1.0))
    assert np.array_equal(certain, blend_tiles(grid, 3, lambda r, c: masks[r, c]))


def test_confidence_is_a_byte_that_never_vanishes():
    quantised = quantise_confidence(np.array([0.0, 0.001, 1 / 3, 0.999, 1.0], np.float32))
    assert quantised.dtype == np.uint8 and quantised.tolist() == [1, 1, 85, 255, 255]


def test_a_resume_part_without_confidence_is_redone_not_blended_as_certain(tmp_path):
    """A batch file of the earlier layout (masks, no confidence) or with confidence that does not
    match its masks is damaged: discarded with a warning, so that its tiles are assessed again."""
    store, warnings = BatchStore(tmp_path / "parts", "key"), []
    empty = np.zeros((2, 1), np.float32)
    masks = np.zeros((2, 32, 32), np.uint8)
    atomic_save_npz(tmp_path / "parts" / "batch_00000000.npz", indices=np.arange(2), scores=empty,
                    selection=empty, masks=masks)  # the layout before confidence
    store.save(TileBatch(2, np.arange(2), empty, empty, masks, np.zeros((2, 32, 31), np.uint8)))
    store.save(TileBatch(4, np.arange(2), empty, empty, masks, np.full((2, 32, 32), 200, np.uint8)))
    assert store.saved(0, warnings.append) is None and store.saved(2, warnings.append) is None
    assert len(warnings) == 2 and not store.has(0) and not store.has(2)
    assert (store.saved(4, warnings.append).confidence == 200).all() and len(warnings) == 2


def test_the_resume_fingerprint_changes_with_the_parts_layout(tmp_path, monkeypatch):
    path = tmp_path / "scene.tif"
    path.write_bytes(b"scene")
    job = scene_module.SceneJob(path, tmp_path, "scene")
    scene = SimpleNamespace(settings=SimpleNamespace(to_dict=dict))
    recommender = SimpleNamespace(identity=lambda: {"methods": ["a"], "members": ["x"]})
    grid = TileGrid(64, 64, 32, 4)
    current = scene_module.run_fingerprint(job, scene, grid, recommender)
    monkeypatch.setattr(scene_module, "PARTS_FORMAT", 1)
    assert scene_module.run_fingerprint(job, scene, grid, recommender) != current
