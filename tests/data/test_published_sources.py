"""Each published-dataset reader on a tiny fake copy of its exact release layout."""

import shutil

import numpy as np
import pytest
from PIL import Image

from rssqa.data.io import read_mask
from rssqa.data.sources import create_source
from rssqa.errors import InputError

from . import published_fakes as fakes

# kind, maker, config, expected source ids, expected groups, first class name, where it is published
CASES = {
    "vaihingen": (fakes.make_vaihingen, {}, ["area1", "area11", "area3"],
                  ["area1", "area11", "area3"], "impervious_surfaces", "isprs.org"),
    "vaihingen-eroded": (fakes.make_vaihingen, {"labels": "eroded"}, ["area1", "area11", "area3"],
                         ["area1", "area11", "area3"], "impervious_surfaces", "isprs.org"),
    "potsdam": (fakes.make_potsdam, {"labels": "eroded"}, ["2_10", "2_11", "7_13"],
                ["2_10", "2_11", "7_13"], "impervious_surfaces", "isprs.org"),
    "loveda": (fakes.make_loveda, {}, ["train_rural_0", "train_urban_1366", "train_urban_1367",
                                       "val_rural_2522", "val_urban_3514"],
               ["train_rural_0", "train_urban_1366", "train_urban_1367", "val_rural_2522",
                "val_urban_3514"], "background", "zenodo.org/records/5706578"),
    "uavid": (fakes.make_uavid, {}, ["seq16_000000", "seq16_000100", "seq1_000000", "seq1_000100",
                                     "seq2_000000", "seq2_000100"],
              ["seq16", "seq16", "seq1", "seq1", "seq2", "seq2"], "clutter", "uavid.nl"),
    "floodnet": (fakes.make_floodnet, {}, ["test_7606", "train_6336", "train_7577", "val_6651"],
                 ["test_7606", "train_6336", "train_7577", "val_6651"], "background",
                 "BinaLab/FloodNet-Supervised_v1.0"),
    "deepglobe": (fakes.make_deepglobe, {}, ["10452", "119", "855"], ["10452", "119", "855"],
                  "urban_land", "deepglobe.org"),
    "openearthmap": (fakes.make_openearthmap, {}, ["aachen_1", "aachen_2", "san_francisco_4"],
                     ["aachen", "aachen", "san_francisco"], "bareland", "zenodo.org/records/7223446"),
}


def _build(case: str, root):
    maker, config, *_ = CASES[case]
    labels = maker(root)
    if case in ("vaihingen", "potsdam") and config.get("labels", "full") == "full":
        labels = fakes.expected(False)  # only the eroded ground truth paints boundaries black
    return create_source(case.split("-")[0], root=str(root), **config), labels


@pytest.mark.parametrize("case", CASES)
def test_reader_finds_pairs_groups_and_decodes_the_release(case, tmp_path):
    _, _, ids, groups, first_class, _ = CASES[case]
    source, labels = _build(case, tmp_path)
    samples = source.samples()
    assert [s.source_id for s in samples] == ids
    assert [s.group for s in samples] == groups
    assert source.classmap.names[0] == first_class
    for sample in samples:
        assert sample.image_path.is_file() and sample.mask_path.is_file()
        np.testing.assert_array_equal(read_mask(sample.mask_path, source.classmap), labels)


@pytest.mark.parametrize("case", CASES)
def test_an_empty_root_says_what_is_missing_and_where_it_is_published(case, tmp_path):
    url = CASES[case][-1]
    with pytest.raises(InputError, match=rf"missing.*{url}"):
        source = create_source(case.split("-")[0], root=str(tmp_path), **CASES[case][1])
        source.samples()


@pytest.mark.parametrize("case, folder", [
    ("vaihingen-eroded", "ISPRS_semantic_labeling_Vaihingen_ground_truth_eroded_COMPLETE"),
    ("potsdam", "5_Labels_all_noBoundary"), ("loveda", "Val/Rural/masks_png"),
    ("floodnet", "val/val-label-img"), ("uavid", "uavid_val/seq16/Labels"),
])
def test_a_missing_label_folder_is_named(case, folder, tmp_path):
    CASES[case][0](tmp_path)
    shutil.rmtree(tmp_path / folder)
    with pytest.raises(InputError, match=folder.split("/")[-1]):
        create_source(case.split("-")[0], root=str(tmp_path), **CASES[case][1]).samples()


def test_images_without_labels_are_skipped_with_a_warning(tmp_path):
    fakes.make_floodnet(tmp_path)
    (tmp_path / "train" / "train-label-img" / "7577_lab.png").unlink()
    with pytest.warns(UserWarning, match="7577"):
        samples = create_source("floodnet", root=str(tmp_path)).samples()
    assert "train_7577" not in [s.source_id for s in samples]


def test_potsdam_irrg_reads_the_irrg_orthophotos_and_bad_options_are_errors(tmp_path):
    fakes.make_potsdam(tmp_path)
    samples = create_source("potsdam", root=str(tmp_path), bands="IRRG").samples()
    assert all(s.image_path.parent.name == "3_Ortho_IRRG" for s in samples)
    with pytest.raises(InputError, match="RGB or bands: IRRG"):
        create_source("potsdam", root=str(tmp_path), bands="RGBIR")
    with pytest.raises(InputError, match="eroded"):
        create_source("vaihingen", root=str(tmp_path), labels="noBoundary")


def test_a_wrongly_encoded_label_is_reported_with_its_values(tmp_path):
    fakes.make_loveda(tmp_path)
    sample = create_source("loveda", root=str(tmp_path)).samples()[0]
    bad = np.full((fakes.SIZE, fakes.SIZE), 12, np.uint8)
    Image.fromarray(bad).save(sample.mask_path)
    with pytest.raises(InputError, match=r"12 \(64 px\)"):
        read_mask(sample.mask_path, create_source("loveda", root=str(tmp_path)).classmap)
