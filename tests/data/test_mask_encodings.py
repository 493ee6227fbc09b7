"""Index, threshold and mixed mask encodings, read from the files datasets publish."""

import numpy as np
import pytest
from PIL import Image

from rssqa.data.classmap import ClassMap
from rssqa.data.io import read_mask
from rssqa.errors import InputError

LOVEDA_LIKE = {"classes": [{"name": "background", "value": 1}, {"name": "building", "value": 2},
                           {"name": "road", "value": 3}], "ignore": [0]}


def test_threshold_cuts_an_anti_aliased_grey_mask(tmp_path):
    grey = np.array([[0, 30, 127, 128, 200, 255]], dtype=np.uint8)
    Image.fromarray(grey).save(tmp_path / "m.png")
    classmap = ClassMap.from_dict({"threshold": 128, "classes": ["background", "building"]})
    np.testing.assert_array_equal(read_mask(tmp_path / "m.png", classmap), [[0, 0, 0, 1, 1, 1]])
    # the same grey saved as RGB (three equal channels) reads the same
    Image.fromarray(np.repeat(grey[..., None], 3, 2)).save(tmp_path / "rgb.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "rgb.png", classmap), [[0, 0, 0, 1, 1, 1]])


def test_threshold_refuses_a_colour_mask_naming_the_file(tmp_path):
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    Image.fromarray(rgb).save(tmp_path / "colour.png")
    classmap = ClassMap.from_dict({"threshold": 128, "classes": ["no", "yes"]})
    with pytest.raises(InputError, match=r"colour\.png.*in colour"):
        read_mask(tmp_path / "colour.png", classmap)


def test_index_mask_maps_values_and_ignores_no_data(tmp_path):
    values = np.array([[0, 1, 2], [3, 255, 1]], dtype=np.uint8)
    Image.fromarray(values).save(tmp_path / "m.png")
    classmap = ClassMap.from_dict(LOVEDA_LIKE)
    np.testing.assert_array_equal(read_mask(tmp_path / "m.png", classmap), [[255, 0, 1], [2, 255, 0]])


def test_unknown_index_values_are_named_with_counts(tmp_path):
    values = np.array([[1, 9, 9, 7]], dtype=np.uint8)
    Image.fromarray(values).save(tmp_path / "odd.png")
    with pytest.raises(InputError) as caught:
        read_mask(tmp_path / "odd.png", ClassMap.from_dict(LOVEDA_LIKE))
    message = str(caught.value)
    assert "odd.png" in message and "9 (2 px)" in message and "7 (1 px)" in message


def test_default_values_are_class_positions_and_sixteen_bit_masks_read(tmp_path):
    values = np.array([[0, 1], [2, 255]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "m16.png")
    classmap = ClassMap.from_dict({"encoding": "index", "classes": ["a", "b", "c"]})
    np.testing.assert_array_equal(read_mask(tmp_path / "m16.png", classmap), [[0, 1], [2, 255]])


def test_multi_band_tiff_label_reads_band_one(tmp_path):
    ids = np.array([[1, 2], [3, 1]], dtype=np.uint8)
    bands = np.stack([ids, ids * 40 + 3, np.full_like(ids, 77)], axis=2)
    Image.fromarray(bands).save(tmp_path / "label.tif")
    classmap = ClassMap.from_dict(LOVEDA_LIKE)
    np.testing.assert_array_equal(read_mask(tmp_path / "label.tif", classmap), [[0, 1], [2, 0]])


def test_palette_png_index_mask_reads_its_raw_indices(tmp_path):
    ids = np.array([[1, 2, 3]], dtype=np.uint8)
    mask = Image.frombytes("P", (3, 1), ids.tobytes())
    mask.putpalette([0, 0, 0, 200, 10, 10, 10, 200, 10, 10, 10, 200])
    mask.save(tmp_path / "voc.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "voc.png", ClassMap.from_dict(LOVEDA_LIKE)),
                                  [[0, 1, 2]])


def test_a_map_with_colours_and_values_reads_both_kinds_of_mask():
    classmap = ClassMap.from_dict({"classes": [{"name": "road", "colour": "#FFFFFF", "value": 0},
                                               {"name": "house", "colour": "#0000FF", "value": 1}]})
    assert classmap.encodings == ("colour", "index")
    rgb = np.array([[[255, 255, 255], [0, 0, 255]]], dtype=np.uint8)
    np.testing.assert_array_equal(classmap.encode(rgb), [[0, 1]])
    np.testing.assert_array_equal(classmap.encode(np.array([[1, 0]], np.uint8)), [[1, 0]])
    rgb[0, 0] = (9, 9, 9)
    with pytest.raises(InputError, match=r"none of .*as colour.*#090909 \(1 px\).*as index, mask is in colour"):
        classmap.encode(rgb)


def test_channel_threshold_snaps_near_colours():
    classmap = ClassMap.from_dict({"classes": [{"name": "water", "colour": "#0000FF"},
                                               {"name": "barren", "colour": "#FFFFFF"}],
                                   "channel_threshold": 128})
    rgb = np.array([[[3, 1, 250], [254, 200, 255]]], dtype=np.uint8)
    np.testing.assert_array_equal(classmap.encode(rgb), [[0, 1]])


@pytest.mark.parametrize("config", [LOVEDA_LIKE,
                                    {"threshold": 100, "classes": ["off", "on"]},
                                    {"encoding": ["index"], "classes": ["a", "b"], "ignore": [7]},
                                    {"classes": [{"name": "a", "colour": "#FF0000", "value": 3}],
                                     "channel_threshold": 128}])
def test_new_encodings_round_trip(config):
    classmap = ClassMap.from_dict(config)
    assert ClassMap.from_dict(classmap.to_dict()) == classmap


@pytest.mark.parametrize("config", [
    {"threshold": 128, "classes": ["a", "b", "c"]},
    {"classes": [{"name": "a", "value": 1}, {"name": "b"}]},
    {"classes": [{"name": "a", "value": 1}, {"name": "b", "value": 1}]},
    {"classes": [{"name": "a", "value": 1}], "ignore": [1]},
    {"encoding": "palette", "classes": ["a"]},
    {"classes": ["a"], "threshhold": 128},
])
def test_bad_encoding_configs_are_input_errors(config):
    with pytest.raises(InputError):
        ClassMap.from_dict(config)
