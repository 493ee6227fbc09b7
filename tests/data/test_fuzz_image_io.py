"""Fuzzing the image and mask readers: whatever bytes a file holds, reading it either succeeds
with the promised array or raises the project's own InputError, never a Pillow or numpy error."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from rssqa.data.classmap import ClassMap
from rssqa.data.io import image_size, read_image, read_mask
from rssqa.errors import InputError

# RSSQA_FUZZ_EXAMPLES=5000 for a long hunt; no example database is left in the working tree.
FUZZ = settings(max_examples=int(os.environ.get("RSSQA_FUZZ_EXAMPLES", "60")), deadline=None,
                database=None, suppress_health_check=[HealthCheck.too_slow])
SUFFIXES = [".png", ".jpg", ".tif", ".bmp", ".gif", ".webp"]
COLOUR_MAP = ClassMap(names=["a", "b"], colours=["#000000", "#FFFFFF"])
INDEX_MAP = ClassMap(names=["a", "b", "c"], encodings=("index",))
THRESHOLD_MAP = ClassMap(names=["below", "above"], encodings=("threshold",), threshold=128)


def read_everything(path: Path) -> None:
    """Every reader on ``path``: each returns what it promises or raises InputError."""
    try:
        height, width = image_size(path)
        assert height >= 0 and width >= 0
    except InputError:
        pass
    try:
        image = read_image(path)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    except InputError:
        pass
    for classmap in (COLOUR_MAP, INDEX_MAP, THRESHOLD_MAP):
        try:
            mask = read_mask(path, classmap)
            assert mask.dtype == np.uint8 and mask.ndim == 2
        except InputError:
            pass


def written(data: bytes, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    return Path(name)


def check_bytes(data: bytes, suffix: str) -> None:
    path = written(data, suffix)
    try:
        read_everything(path)
    finally:
        path.unlink()


# Arrays Pillow can save, with the formats that take them.
MODES = {"RGB": (np.uint8, 3, [".png", ".jpg", ".tif", ".bmp", ".webp"]),
         "RGBA": (np.uint8, 4, [".png", ".tif", ".webp"]),
         "L": (np.uint8, 1, [".png", ".jpg", ".tif", ".bmp", ".gif"]),
         "LA": (np.uint8, 2, [".png", ".tif"]),
         "I;16": (np.uint16, 1, [".png", ".tif"]),
         "I": (np.int32, 1, [".tif"]),
         "F": (np.float32, 1, [".tif"]),
         "1": (bool, 1, [".png", ".tif", ".bmp"]),
         "P": (np.uint8, 1, [".png", ".gif", ".tif", ".bmp"]),
         "CMYK": (np.uint8, 4, [".jpg", ".tif"])}


@st.composite
def encoded_images(draw) -> tuple[bytes, str]:
    """A small image in one of Pillow's modes, saved in a format that takes it."""
    mode = draw(st.sampled_from(sorted(MODES)))
    dtype, bands, suffixes = MODES[mode]
    suffix = draw(st.sampled_from(suffixes))
    height, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**16))
    values = np.random.default_rng(seed).integers(0, 256, (height, width, bands))
    if mode == "1":
        image = Image.fromarray(values[..., 0] > 127)
    elif mode in {"I;16", "I", "F"}:
        image = Image.fromarray((values[..., 0] * draw(st.sampled_from([1, 3, 257]))).astype(dtype))
    elif mode == "P":
        image = Image.fromarray(values[..., 0].astype(np.uint8), "L").convert("P")
    else:
        array = values.astype(np.uint8)
        image = Image.fromarray(array[..., 0] if bands == 1 else array)
        image = image.convert(mode) if image.mode != mode else image
    buffer = io.BytesIO()
    image.save(buffer, format=Image.registered_extensions()[suffix])
    return buffer.getvalue(), suffix


@FUZZ
@given(st.binary(max_size=512), st.sampled_from(SUFFIXES))
def test_random_bytes_are_an_input_error(data, suffix):
    check_bytes(data, suffix)


@FUZZ
@given(encoded_images())
def test_every_mode_is_read_or_refused(encoded):
    check_bytes(*encoded)


@FUZZ
@given(encoded_images(), st.floats(0, 1), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)),
                                                    max_size=4))
def test_truncated_or_damaged_files_are_an_input_error(encoded, keep, damage):
    data, suffix = encoded
    data = bytearray(data[:max(1, int(len(data) * keep))])
    for where, value in damage:  # flip a few bytes, the header's included
        data[min(len(data) - 1, int(where * len(data)))] = value
    check_bytes(bytes(data), suffix)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint16", "int16", "uint32", "int32",
                                   "float32", "float64", "complex64"])
@pytest.mark.parametrize("bands", [1, 2, 3, 4, 5])
def test_tiffs_of_any_dtype_and_band_count_are_read_or_refused(tmp_path, dtype, bands):
    tifffile = pytest.importorskip("tifffile")
    values = np.random.default_rng(bands).integers(0, 255, (6, 7, bands)).astype(dtype)
    path = tmp_path / "odd.tif"
    tifffile.imwrite(path, values[..., 0] if bands == 1 else values,
                     photometric="minisblack" if bands != 3 else "rgb", planarconfig="contig")
    read_everything(path)


def test_an_empty_file_is_an_input_error(tmp_path):
    for suffix in SUFFIXES:
        with pytest.raises(InputError, match="cannot be read as an image"):
            read_image(written(b"", suffix))


# Inputs the fuzzing found that Pillow answers with ValueError instead of OSError.
DAMAGED_TIFF = (b"II*\x00\x08\x00\x00\x00\n\x00\x00\x01\x04\x00\x01\x00\x00\x00\x01\x00\x00\x00"
                b"\x01\x01\x01\x00\x01\x00\x00\x00\x01\x00\x00\x00\x02\x01\x03\x00\x01\x00\x00\x00"
                b" \x00\x00\x00\x03\x01\x03\x00\x01\x00\x00\x00\x01\x00\x00\x00\x06\x01\x03\x00\x01"
                b"\x00\x00\x00\x01\x00\x00\x00\x11\x01\x04\x00\x01\x00\x00\x00\x86\x00\x00\x00\x16"
                b"\x01\x04\x00\x01\x00\x00\x00\x01\x00\x00\x00\x17\x01\x04\x00\x01\x00\x00\x00\x04"
                b"\x00\x00\x00\x1c")  # ImageLength retyped to BYTE: "Invalid dimensions"


def truncated_ihdr_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[11] = 5  # the IHDR chunk claims 5 bytes instead of 13: "Truncated IHDR chunk"
    return bytes(data)


@pytest.mark.parametrize("data, suffix", [(DAMAGED_TIFF, ".tif"), (truncated_ihdr_png(), ".png")],
                         ids=["tiff-invalid-dimensions", "png-truncated-ihdr"])
def test_damaged_headers_found_by_fuzzing_are_input_errors(data, suffix):
    path = written(data, suffix)
    try:
        for read in (image_size, read_image, lambda p: read_mask(p, COLOUR_MAP)):
            with pytest.raises(InputError, match="cannot be read as an image .ValueError"):
                read(path)
    finally:
        path.unlink()


def test_a_folder_named_like_an_image_is_not_reported_missing(tmp_path):
    folder = tmp_path / "x.png"
    folder.mkdir()
    for read in (image_size, read_image, lambda p: read_mask(p, COLOUR_MAP)):
        with pytest.raises(InputError, match="is a folder, not an image"):
            read(folder)
