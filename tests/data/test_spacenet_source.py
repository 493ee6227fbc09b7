"""The SpaceNet roads source: two cities, two mask encodings, one binary class map; the real
shared copy (when present) and configs/spacenet_roads.yaml over it."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rssqa.data.classmap import ClassMap
from rssqa.data.io import image_size, read_mask
from rssqa.data.sources import SOURCES, SpaceNetRoadsSource, create_source
from rssqa.data.sources.spacenet import SPACENET_ROAD_CLASSES
from rssqa.errors import InputError
from tests.conftest import SHARED_DATA

SHARED_SPACENET = SHARED_DATA / "spacenet-roads"
CONFIG = Path(__file__).resolve().parents[2] / "configs" / "spacenet_roads.yaml"
needs_shared = pytest.mark.skipif(not SHARED_SPACENET.is_dir(),
                                  reason=f"shared SpaceNet roads data not found at {SHARED_SPACENET}")

YELLOW, BLACK = (255, 255, 0), (0, 0, 0)


def _grey_rgb(values) -> np.ndarray:
    """A grey mask saved as RGB with three equal channels, as the Las Vegas masks are."""
    grey = np.asarray(values, dtype=np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _write_city(root: Path, city: str, stems, mask: np.ndarray) -> None:
    for sub in ("images", "masks"):
        (root / city / sub).mkdir(parents=True, exist_ok=True)
    for stem in stems:
        Image.fromarray(np.full((*mask.shape[:2], 3), 90, np.uint8)).save(root / city / "images" / f"{stem}.png")
        Image.fromarray(mask).save(root / city / "masks" / f"{stem}.png")


def test_anti_aliased_grey_is_cut_between_127_and_128():
    grey = [[0, 1, 126, 127], [128, 129, 200, 255]]
    expected = [[0, 0, 0, 0], [1, 1, 1, 1]]
    np.testing.assert_array_equal(SPACENET_ROAD_CLASSES.encode(_grey_rgb(grey)), expected)
    np.testing.assert_array_equal(SPACENET_ROAD_CLASSES.encode(np.asarray(grey, np.uint8)), expected)


def test_yellow_on_black_is_road_on_background_and_other_colours_are_refused(tmp_path):
    rgb = np.array([[YELLOW, BLACK], [BLACK, YELLOW]], dtype=np.uint8)
    np.testing.assert_array_equal(SPACENET_ROAD_CLASSES.encode(rgb), [[1, 0], [0, 1]])
    rgb[0, 0] = (255, 0, 0)
    with pytest.raises(InputError, match=r"bad\.png.*#FF0000"):
        SPACENET_ROAD_CLASSES.encode(rgb, path=tmp_path / "bad.png")


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_grey_mask_files_read_through_the_threshold(tmp_path, mode):
    grey = np.array([[0, 127, 128, 255]], dtype=np.uint8)
    Image.fromarray(grey).convert(mode).save(tmp_path / "mask.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "mask.png", SPACENET_ROAD_CLASSES), [[0, 0, 1, 1]])


def test_class_map_survives_the_store_manifest_round_trip():
    assert ClassMap.from_dict(SPACENET_ROAD_CLASSES.to_dict()) == SPACENET_ROAD_CLASSES
    assert SPACENET_ROAD_CLASSES.names == ("background", "road")


def test_source_groups_by_city_and_prefixes_ids(tmp_path):
    _write_city(tmp_path, "vegas", ["10217", "10218"], _grey_rgb(np.full((8, 8), 200)))
    _write_city(tmp_path, "shanghai", ["10217"], np.zeros((8, 8, 3), np.uint8))
    source = create_source("spacenet_roads", root=str(tmp_path))
    assert isinstance(source, SpaceNetRoadsSource) and "spacenet_roads" in SOURCES.names()
    samples = source.samples()
    assert [(s.source_id, s.group) for s in samples] == [
        ("shanghai_10217", "shanghai"), ("vegas_10217", "vegas"), ("vegas_10218", "vegas")]
    assert samples[1].mask_path == tmp_path / "vegas" / "masks" / "10217.png"
    only = SpaceNetRoadsSource(tmp_path, cities=["shanghai"]).samples()
    assert [s.source_id for s in only] == ["shanghai_10217"]


def test_a_missing_city_folder_is_an_input_error_naming_the_layout(tmp_path):
    _write_city(tmp_path, "vegas", ["1"], _grey_rgb(np.zeros((8, 8))))
    with pytest.raises(InputError, match=r"shanghai.*SpaceNet roads.*<city>/images"):
        SpaceNetRoadsSource(tmp_path)


@needs_shared
def test_shared_copy_reads_both_cities_as_binary_masks_with_plausible_road_shares():
    samples = SpaceNetRoadsSource(SHARED_SPACENET).samples()
    by_city = {city: [s for s in samples if s.group == city] for city in ("vegas", "shanghai")}
    assert {s.group for s in samples} == {"vegas", "shanghai"}
    assert (len(by_city["vegas"]), len(by_city["shanghai"])) == (36, 35)
    assert "vegas_10217" in {s.source_id for s in samples}
    sides = {"vegas": 1024, "shanghai": 512}
    for city, city_samples in by_city.items():
        shares = []
        for sample in city_samples:
            shape = image_size(sample.image_path)
            assert shape == (sides[city], sides[city])
            mask = read_mask(sample.mask_path, SPACENET_ROAD_CLASSES, expected_shape=shape)
            assert set(np.unique(mask).tolist()) <= {0, 1}, sample.source_id
            shares.append(mask.mean())
        # Buffered road centre-lines: every image has some road, none is mostly road.
        assert 0.002 < min(shares) and max(shares) < 0.3, city
        assert 0.02 < np.mean(shares) < 0.15, city


@needs_shared
def test_vegas_threshold_keeps_the_anti_aliased_edge_pixels_at_128_and_above():
    sample = SpaceNetRoadsSource(SHARED_SPACENET, cities=["vegas"]).samples()[0]
    grey = np.asarray(Image.open(sample.mask_path).convert("L"))
    edges = (grey > 0) & (grey < 255)
    assert edges.any(), "the Las Vegas masks are anti-aliased"
    mask = read_mask(sample.mask_path, SPACENET_ROAD_CLASSES)
    np.testing.assert_array_equal(mask, grey >= 128)


@needs_shared
def test_config_trains_in_vegas_and_holds_out_a_third_of_shanghai_by_image(monkeypatch):
    from rssqa.config_check import read_config
    from rssqa.data.assignment import pool_samples, sqed_samples, sqed_split
    from rssqa.data.labelled import load_source

    monkeypatch.chdir(CONFIG.parents[1])  # the config names the data relative to the repository
    config = read_config(CONFIG)
    samples, classmap = load_source(config)
    assert classmap == SPACENET_ROAD_CLASSES and config.target == "oa"
    pool = pool_samples(samples, config.split_rule)
    sqed = sqed_samples(samples, config.split_rule)
    split = sqed_split(sqed, config.split_rule)
    assert {s.group for s in pool} == {"vegas"} and {s.group for s in sqed} == {"shanghai"}
    test = [sid for sid, part in split.items() if part == "test"]
    assert len(split) == 35 and len(test) == 12
