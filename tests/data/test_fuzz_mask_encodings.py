"""Fuzzing the mask encoder: any array, of any dtype, shape and values, against colour, index and
threshold class maps either becomes an HxW uint8 class mask or raises the project's InputError."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rssqa.data.classmap import ClassMap
from rssqa.data.mask_encodings import MaskPixels
from rssqa.errors import InputError

FUZZ = settings(max_examples=int(os.environ.get("RSSQA_FUZZ_EXAMPLES", "80")), deadline=None,
                database=None, suppress_health_check=[HealthCheck.too_slow])

CLASSMAPS = [
    ClassMap(names=["a", "b"], colours=["#000000", "#FFFFFF"]),
    ClassMap(names=["a", "b", "c"], colours=["#FF0000", "#00FF00", "#0000FF"],
             ignore_colours=["#000000"], channel_threshold=128),
    ClassMap(names=["a", "b", "c"], encodings=("index",), ignore_values=[7]),
    ClassMap(names=["bg", "fg"], encodings=("index",), values=[0, 255]),
    ClassMap(names=["below", "above"], encodings=("threshold",), threshold=128),
    ClassMap(names=["a", "b"], colours=["#000000", "#FFFFFF"], encodings=("colour", "index")),
]
DTYPES = st.sampled_from([np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32,
                          np.uint64, np.int64, np.float16, np.float32, np.float64, np.complex64])
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)


def arrays(dtypes=DTYPES, shapes=SHAPES):
    return dtypes.flatmap(lambda dtype: hnp.arrays(dtype, shapes))


def encode_or_refuse(classmap: ClassMap, mask: np.ndarray) -> None:
    try:
        labels = classmap.encode(mask, path="fuzz.png")
    except InputError:
        return
    assert labels.dtype == np.uint8 and labels.shape == np.shape(mask)[:2]
    known = set(range(classmap.num_classes)) | {classmap.ignore_index}
    assert set(np.unique(labels).tolist()) <= known


@FUZZ
@given(st.sampled_from(CLASSMAPS), arrays())
def test_any_array_is_encoded_or_refused(classmap, mask):
    encode_or_refuse(classmap, mask)


@FUZZ
@given(st.sampled_from(CLASSMAPS),
       arrays(st.sampled_from([np.uint8, np.uint16, np.int64, np.float32]),
              hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=6)))
def test_image_shaped_arrays_are_encoded_or_refused(classmap, mask):
    encode_or_refuse(classmap, mask)


@FUZZ
@given(st.sampled_from(CLASSMAPS),
       st.one_of(st.none(), hnp.arrays(np.uint8, st.tuples(st.integers(0, 5), st.integers(0, 5),
                                                           st.just(3)))),
       st.one_of(st.none(), arrays(shapes=hnp.array_shapes(min_dims=2, max_dims=2, min_side=0,
                                                           max_side=5))))
def test_decoded_pixels_of_any_kind_are_encoded_or_refused(classmap, rgb, band):
    """What the image reader hands over (a colour part, a band, either or neither)."""
    try:
        labels = classmap.encode_pixels(MaskPixels(rgb, band), path="fuzz.png")
    except InputError:
        return
    assert labels.dtype == np.uint8 and labels.ndim == 2


def test_a_valid_mask_still_encodes():
    """The fuzzed refusals must not refuse good masks."""
    colour = np.zeros((2, 3, 3), np.uint8)
    colour[0, 0] = 255
    assert CLASSMAPS[0].encode(colour).tolist() == [[1, 0, 0], [0, 0, 0]]
    assert CLASSMAPS[3].encode(np.array([[0, 255]], np.uint8)).tolist() == [[0, 1]]
    assert CLASSMAPS[4].encode(np.array([[127.5, 128.0]], np.float32)).tolist() == [[0, 1]]


def test_a_float16_band_is_checked_without_an_overflow_warning():
    """Found by fuzzing: comparing a float16 band with 65535 cast it to float16 (inf)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert CLASSMAPS[2].encode(np.array([[1, 2]], np.float16)).tolist() == [[1, 2]]
        with pytest.raises(InputError, match=r"60000 \(1 px\)"):
            CLASSMAPS[2].encode(np.array([[60000.0]], np.float16))
