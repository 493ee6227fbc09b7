import numpy as np
import pytest

from rssqa.data.classmap import DUBAI_CLASSES, ClassMap
from rssqa.errors import InputError

from .fakes import colour_mask


def test_encode_maps_colours_and_ignore(classmap):
    index = np.array([[0, 1, 2], [2, 1, 0]])
    encoded = classmap.encode(colour_mask(index))
    assert encoded.dtype == np.uint8
    np.testing.assert_array_equal(encoded, [[0, 1, 255], [255, 1, 0]])


def test_decode_inverts_encode_and_paints_ignore_black(classmap):
    rgb = colour_mask(np.array([[0, 1, 2]]))
    np.testing.assert_array_equal(classmap.decode(classmap.encode(rgb)), rgb)


def test_unknown_colour_error_names_file_colour_and_count(classmap, tmp_path):
    rgb = colour_mask(np.zeros((4, 4), dtype=int))
    rgb[0, :3] = (1, 2, 3)
    with pytest.raises(InputError) as caught:
        classmap.encode(rgb, path=tmp_path / "bad_mask.png")
    message = str(caught.value)
    assert "bad_mask.png" in message and "#010203 (3 px)" in message
    assert "ignore list" in message


def test_from_dict_round_trips_and_accepts_lower_case(classmap):
    config = {"classes": [{"name": "red", "colour": "#ff0000"}, {"name": "green", "color": "00FF00"}],
              "ignore": ["#000000"]}
    assert ClassMap.from_dict(config) == classmap
    assert ClassMap.from_dict(classmap.to_dict()) == classmap


@pytest.mark.parametrize("config", [
    {"classes": [{"name": "a", "colour": "#FF0000"}, {"name": "b", "colour": "#FF0000"}]},
    {"classes": [{"name": "a", "colour": "red"}]},
    {"classes": [{"name": "a"}]},
    {"classes": [{"name": "a", "colour": "#FF0000"}], "ignore_index": 0},
    {"labels": []},
])
def test_bad_class_map_config_is_an_input_error(config):
    with pytest.raises(InputError):
        ClassMap.from_dict(config)


def test_dubai_classes():
    assert DUBAI_CLASSES.num_classes == 6
    assert DUBAI_CLASSES.names[0] == "Building"
    rgb = np.array([[[0x3C, 0x10, 0x98], [0x9B, 0x9B, 0x9B], [0, 0, 0]]], dtype=np.uint8)
    np.testing.assert_array_equal(DUBAI_CLASSES.encode(rgb), [[0, 5, 255]])
