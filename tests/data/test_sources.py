import pytest

from rssqa.data.classmap import DUBAI_CLASSES
from rssqa.data.sources import DubaiSource, FolderSource, create_source
from rssqa.errors import InputError

from .fakes import write_pair


def test_folder_pairs_by_stem_sorts_and_groups(tmp_path):
    for stem in ["b_2", "a_1", "a_2"]:
        write_pair(tmp_path / "img", tmp_path / "lbl", stem, 4, 4)
    samples = FolderSource(tmp_path / "img", tmp_path / "lbl", group_pattern=r"^([a-z])_").samples()
    assert [s.source_id for s in samples] == ["a_1", "a_2", "b_2"]
    assert [s.group for s in samples] == ["a", "a", "b"]
    assert all(s.mask_path == tmp_path / "lbl" / f"{s.source_id}.png" for s in samples)


def test_default_group_is_the_stem_and_masks_are_optional(tmp_path):
    write_pair(tmp_path / "img", tmp_path / "lbl", "scene", 4, 4)
    (sample,) = FolderSource(tmp_path / "img").samples()
    assert sample.group == "scene" and sample.mask_path is None


def test_images_without_masks_are_skipped_with_a_warning(tmp_path):
    write_pair(tmp_path / "img", tmp_path / "lbl", "kept", 4, 4)
    write_pair(tmp_path / "img", tmp_path / "other", "orphan", 4, 4)
    source = FolderSource(tmp_path / "img", tmp_path / "lbl")
    with pytest.warns(UserWarning, match="orphan.png"):
        samples = source.samples()
    assert [s.source_id for s in samples] == ["kept"]
    assert source.unpaired == [tmp_path / "img" / "orphan.png"]


def test_empty_missing_and_unmatched_folders_are_input_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    with pytest.raises(InputError, match="contains no images"):
        FolderSource(tmp_path / "empty").samples()
    with pytest.raises(InputError, match="does not exist"):
        FolderSource(tmp_path / "absent").samples()
    write_pair(tmp_path / "img", tmp_path / "other", "a", 4, 4)
    (tmp_path / "lbl").mkdir()
    with pytest.raises(InputError, match="no mask named like"):
        FolderSource(tmp_path / "img", tmp_path / "lbl").samples()


def test_a_name_outside_the_group_pattern_is_an_input_error(tmp_path):
    write_pair(tmp_path / "img", tmp_path / "lbl", "scene", 4, 4)
    with pytest.raises(InputError, match=r"scene\.png.*group_pattern"):
        FolderSource(tmp_path / "img", group_pattern=r"^(tile\d+)").samples()


def test_create_source_builds_kinds_from_config(tmp_path):
    write_pair(tmp_path / "img", tmp_path / "lbl", "a", 4, 4)
    source = create_source("folder", images_dir=str(tmp_path / "img"), masks_dir=str(tmp_path / "lbl"),
                           classmap={"classes": [{"name": "red", "colour": "#FF0000"}]})
    assert source.classmap.names == ("red",)
    assert len(source.samples()) == 1
    with pytest.raises(InputError, match="use one of: deepglobe, dubai, floodnet, folder"):
        create_source("landcover_ai", root=".")
    with pytest.raises(InputError, match="images_dr"):
        create_source("folder", images_dr=".")


def _dubai_fixture(tmp_path, kaggle: bool):
    for tile in (1, 2):
        for part in (1, 2, 3):
            name = f"image_part_00{part}"
            folder = tmp_path / f"Tile {tile}" if kaggle else tmp_path
            stem = name if kaggle else f"tile{tile}_{name}"
            images, masks = folder / "images", folder / "masks"
            write_pair(images, masks, stem, 4, 4)
            (images / f"{stem}.png").rename(images / f"{stem}.jpg")  # a PNG named .jpg reads alike
    return DubaiSource(tmp_path)


@pytest.mark.parametrize("kaggle", [False, True], ids=["flat", "kaggle"])
def test_dubai_layouts_give_the_same_ids_and_groups(tmp_path, kaggle):
    source = _dubai_fixture(tmp_path, kaggle)
    samples = source.samples()
    assert source.classmap is DUBAI_CLASSES
    assert [s.source_id for s in samples][:2] == ["tile1_image_part_001", "tile1_image_part_002"]
    assert [s.group for s in samples] == ["tile1"] * 3 + ["tile2"] * 3


def test_dubai_source_says_where_to_get_the_data(tmp_path):
    with pytest.raises(InputError, match="kaggle.com/datasets/humansintheloop"):
        DubaiSource(tmp_path)
