import numpy as np
import pytest
from PIL import Image

from rssqa.data.sources import FolderSource
from rssqa.data.tiling import SkipLog, iter_tile_data, plan_tiles, read_tile
from rssqa.errors import InputError
from rssqa.raster.grid import TileGrid

from .fakes import write_pair


@pytest.mark.parametrize("height,width,size,count",
                         [(10, 10, 5, 4), (11, 14, 5, 4), (4, 10, 5, 0), (5, 5, 5, 1)])
def test_complete_tiles_count_row_major_without_overlap(height, width, size, count):
    grid = TileGrid(height, width, size).complete_tiles()
    assert len(grid) == count
    assert grid == sorted(grid, key=lambda xy: (xy[1], xy[0]))
    covered = np.zeros((height, width), dtype=int)
    for x, y in grid:
        covered[y:y + size, x:x + size] += 1
    assert covered.max() <= 1
    assert covered.sum() == count * size * size  # inside the image, never padded


def test_the_grid_rejects_a_non_positive_size():
    with pytest.raises(ValueError):
        TileGrid(10, 10, 0)


@pytest.fixture
def source(tmp_path):
    write_pair(tmp_path / "img", tmp_path / "lbl", "a", 8, 12, seed=1)
    write_pair(tmp_path / "img", tmp_path / "lbl", "b", 9, 4, seed=2)
    return FolderSource(tmp_path / "img", tmp_path / "lbl")


def test_tiles_carry_the_right_pixels_and_labels(source, classmap):
    samples = source.samples()
    data = list(iter_tile_data(samples, 4, classmap))
    assert [d.tile for d in data] == plan_tiles(samples, 4)
    assert [d.tile.tile_id for d in data][:2] == ["a_x0_y0_s4", "a_x4_y0_s4"]
    image = np.asarray(Image.open(samples[0].image_path))
    np.testing.assert_array_equal(data[1].image, image[0:4, 4:8])
    assert data[1].mask.shape == (4, 4) and set(np.unique(data[1].mask)) <= {0, 1, 255}
    again = read_tile(data[4].tile, samples[0], classmap)
    np.testing.assert_array_equal(again.image, data[4].image)
    np.testing.assert_array_equal(again.mask, data[4].mask)


def test_without_a_class_map_masks_are_not_read(source):
    assert all(d.mask is None for d in iter_tile_data(source.samples(), 4, None))


def test_a_bad_file_is_skipped_with_on_error_and_raises_without(source, classmap):
    samples = source.samples()
    samples[0].image_path.write_bytes(samples[0].image_path.read_bytes()[:60])
    log = SkipLog()
    data = list(iter_tile_data(samples, 4, classmap, on_error=log))
    assert {d.tile.source_id for d in data} == {"b"} and len(data) == 2
    assert [s.source_id for s, _ in log.entries] == ["a"]
    assert "a: " in log.summary() and "a.png" in log.summary()
    with pytest.raises(InputError, match="a.png"):
        list(iter_tile_data(samples, 4, classmap))
