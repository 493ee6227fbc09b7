import numpy as np
import pytest
from PIL import Image

from rssqa.data.io import image_size, read_image, read_mask
from rssqa.errors import InputError

from .fakes import colour_mask, random_index


def test_palette_mask_with_its_own_palette_order_decodes_by_colour(classmap, tmp_path):
    index = random_index(6, 7)
    # Palette slot 0 is green, 1 black, 2 red: slot numbers mean nothing across files.
    slots = np.array([2, 0, 1])[index].astype(np.uint8)
    mask = Image.frombytes("P", (7, 6), slots.tobytes())
    mask.putpalette([0, 255, 0, 0, 0, 0, 255, 0, 0])
    mask.save(tmp_path / "palette.png")
    assert Image.open(tmp_path / "palette.png").mode == "P"
    expected = np.where(index == 2, 255, index)
    np.testing.assert_array_equal(read_mask(tmp_path / "palette.png", classmap), expected)


def test_rgba_and_grey_images_become_rgb(tmp_path):
    rgba = np.random.default_rng(0).integers(0, 256, (5, 6, 4), dtype=np.uint8)
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    np.testing.assert_array_equal(read_image(tmp_path / "rgba.png"), rgba[..., :3])
    Image.fromarray(rgba[..., 0]).save(tmp_path / "grey.png")
    grey = read_image(tmp_path / "grey.png")
    assert grey.shape == (5, 6, 3) and (grey == rgba[..., :1]).all()


def test_truncated_jpeg_is_an_input_error_naming_the_file(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "whole.jpg")
    data = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    assert image_size(tmp_path / "cut.jpg") == (64, 64)  # the header is intact
    with pytest.raises(InputError, match=r"cut\.jpg.*re-export or remove it"):
        read_image(tmp_path / "cut.jpg")


def test_not_an_image_and_missing_file(tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(InputError, match="notes.png"):
        read_image(tmp_path / "notes.png")
    with pytest.raises(InputError, match="does not exist"):
        image_size(tmp_path / "absent.png")


def test_mask_size_mismatch_names_both_sizes(classmap, tmp_path):
    Image.fromarray(colour_mask(random_index(4, 5))).save(tmp_path / "mask.png")
    with pytest.raises(InputError, match=r"mask is 4x5 .* its image is 6x5"):
        read_mask(tmp_path / "mask.png", classmap, expected_shape=(6, 5))


def test_sixteen_bit_image_is_refused_with_conversion_hint(tmp_path):
    Image.fromarray(np.full((4, 5), 1000, dtype=np.uint16)).save(tmp_path / "dem.tif")
    with pytest.raises(InputError, match=r"dem\.tif.*not 8-bit RGB.*gdal_translate"):
        read_image(tmp_path / "dem.tif")


def test_four_band_tiff_is_refused_not_silently_cut_to_rgb(tmp_path):
    # Pillow would read this RGB+NIR-like TIFF as RGB and drop the 4th band without a word.
    Image.new("RGBX", (5, 4)).save(tmp_path / "rgbn.tif")
    with pytest.raises(InputError, match=r"rgbn\.tif.* 4 band"):
        read_image(tmp_path / "rgbn.tif")
    Image.new("CMYK", (5, 4)).save(tmp_path / "cmyk.tif")
    with pytest.raises(InputError, match="CMYK"):
        read_image(tmp_path / "cmyk.tif")


def test_image_size_is_height_then_width(tmp_path):
    Image.new("RGB", (7, 3)).save(tmp_path / "wide.png")
    assert image_size(tmp_path / "wide.png") == (3, 7)


def test_atomic_writes_get_the_same_permissions_as_ordinary_files(tmp_path):
    from rssqa.utils import atomic_write_text

    atomic_write_text(tmp_path / "atomic.json", "{}")
    (tmp_path / "plain.json").write_text("{}")
    assert (tmp_path / "atomic.json").stat().st_mode == (tmp_path / "plain.json").stat().st_mode


def test_a_cmyk_jpeg_is_read_as_rgb(tmp_path):
    from PIL import Image

    from rssqa.data.io import read_image

    Image.new("CMYK", (12, 8), (0, 255, 255, 0)).save(tmp_path / "print.jpg")  # pure red in CMYK
    pixels = read_image(tmp_path / "print.jpg")
    assert pixels.shape == (8, 12, 3) and pixels.dtype.name == "uint8"
    assert pixels[..., 0].mean() > 200 and pixels[..., 1:].mean() < 60
