import numpy as np
import pytest
from PIL import Image, ImageOps

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
    from rssqa.files import atomic_write_text

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


def _save_with_orientation(pixels: np.ndarray, path, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation  # EXIF Orientation
    Image.fromarray(pixels).save(path, exif=exif, **({"quality": 95} if path.suffix == ".jpg" else {}))


def _two_colour_photo(height=16, width=32) -> np.ndarray:
    """Red on the left half, blue on the right: any turn or flip moves the colours."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (220, 30, 30)
    pixels[:, width // 2:] = (30, 30, 220)
    return pixels


def test_a_camera_jpeg_turned_by_its_exif_orientation_is_read_upright(tmp_path):
    # Orientation 6: the camera stored the scene turned; a viewer turns it 90 degrees clockwise.
    stored = _two_colour_photo()
    _save_with_orientation(stored, tmp_path / "phone.jpg", 6)
    pixels = read_image(tmp_path / "phone.jpg")
    upright = np.rot90(stored, k=-1)
    assert pixels.shape == upright.shape == (32, 16, 3)
    assert image_size(tmp_path / "phone.jpg") == (32, 16)  # header size as displayed, too
    assert np.abs(pixels.astype(int) - upright).mean() < 8  # JPEG noise, not a turn
    assert pixels[:14].mean(axis=(0, 1))[0] > 180 and pixels[18:].mean(axis=(0, 1))[2] > 180


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_reads_as_a_viewer_shows_it(tmp_path, orientation):
    stored = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    _save_with_orientation(stored, tmp_path / "photo.png", orientation)
    viewer = Image.open(tmp_path / "photo.png")
    viewer.load()
    expected = np.asarray(ImageOps.exif_transpose(viewer))
    np.testing.assert_array_equal(read_image(tmp_path / "photo.png"), expected)
    assert image_size(tmp_path / "photo.png") == expected.shape[:2]


def test_a_damaged_exif_block_reads_the_pixels_as_stored(tmp_path):
    stored = _two_colour_photo()
    Image.fromarray(stored).save(tmp_path / "odd.png", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")
    np.testing.assert_array_equal(read_image(tmp_path / "odd.png"), stored)


@pytest.mark.parametrize("mode", ["P", "L", "LA", "1", "RGBA", "CMYK", "YCbCr"])
def test_every_eight_bit_pillow_mode_becomes_the_rgb_pillow_shows(tmp_path, mode):
    rgb = Image.fromarray(_two_colour_photo())
    image = rgb.convert(mode)
    path = tmp_path / ("photo.jpg" if mode in ("CMYK", "YCbCr") else "photo.png")
    if mode == "YCbCr":
        rgb.save(path, quality=95)  # a JPEG stores YCbCr; Pillow opens it as RGB
    else:
        image.save(path, **({"quality": 95} if path.suffix == ".jpg" else {}))
    opened = Image.open(path)
    expected = np.asarray(opened.convert("RGB"))
    pixels = read_image(path)
    assert pixels.dtype == np.uint8 and pixels.shape == (16, 32, 3)
    np.testing.assert_array_equal(pixels, expected)


def test_a_sixteen_bit_png_is_refused_like_a_sixteen_bit_tiff(tmp_path):
    # 12-bit sensor values in a 16-bit PNG would read nearly black if scaled by the PNG range.
    Image.fromarray(np.full((4, 5), 4000, dtype=np.uint16)).save(tmp_path / "dn.png")
    assert Image.open(tmp_path / "dn.png").mode == "I;16"
    with pytest.raises(InputError, match=r"dn\.png.*mode 'I;16', not 8-bit RGB.*gdal_translate"):
        read_image(tmp_path / "dn.png")


def test_header_sizes_decode_no_pixel_even_to_look_for_an_orientation(tmp_path, monkeypatch):
    from PIL import ImageFile

    from rssqa.data.io import rgb_image_size

    Image.fromarray(_two_colour_photo()).save(tmp_path / "plain.png")
    _save_with_orientation(_two_colour_photo(), tmp_path / "turned.jpg", 8)
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self.filename))
    assert image_size(tmp_path / "plain.png") == rgb_image_size(tmp_path / "plain.png") == (16, 32)
    assert image_size(tmp_path / "turned.jpg") == (32, 16)
    assert decoded == []
