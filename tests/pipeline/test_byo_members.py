"""Bring your own models: saved predictions (index, colour, probabilities) as pool members,
built into a SQED, assessed by the black-box assessor, used by the recommender; bad predictions
reported and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from rssqa.config import load_config
from rssqa.data.classmap import ClassMap
from rssqa.errors import InputError
from rssqa.stages import build_store
from rssqa.pool.training import load_pool
from rssqa.pool.member import TileRef
from rssqa.pool.predictions import PredictionsMember
from tests.conftest import CLASSMAP, CLASSES, _hex_rgb, make_labelled_folder, tiny_config_dict

COLOURS = np.array([_hex_rgb(c[1]) for c in CLASSES], np.uint8)
# Share of pixels each member gets wrong: the index member is the best, the colour one the worst.
FLIPS = {"idx": 0.05, "col": 0.30, "prob": 0.15}


def true_classes(root: Path, stem: str) -> np.ndarray:
    rgb = np.asarray(Image.open(root / "masks" / f"{stem}.png").convert("RGB"))
    return np.argmax((rgb[..., None, :] == COLOURS).all(axis=-1), axis=-1).astype(np.uint8)


def noisy(labels: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    flip = rng.random(labels.shape) < share
    return np.where(flip, (labels + rng.integers(1, 3, labels.shape)) % 3, labels).astype(np.uint8)


def write_predictions(root: Path, out: Path, seed: int = 0) -> dict[str, Path]:
    """Three prediction folders for every image of ``root``: index PNG, colour PNG, C x H x W npy."""
    rng = np.random.default_rng(seed)
    folders = {name: out / name for name in FLIPS}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    for image in sorted((root / "images").glob("*.png")):
        labels = true_classes(root, image.stem)
        Image.fromarray(noisy(labels, FLIPS["idx"], rng)).save(folders["idx"] / f"{image.stem}.png")
        Image.fromarray(COLOURS[noisy(labels, FLIPS["col"], rng)]).save(folders["col"] / f"{image.stem}.png")
        predicted = noisy(labels, FLIPS["prob"], rng)
        probabilities = np.full((3,) + labels.shape, 0.1, np.float32)
        np.put_along_axis(probabilities, predicted[None], 0.8, axis=0)
        np.save(folders["prob"] / f"{image.stem}.npy", probabilities)
    return folders


def byo_config(data: Path, folders: dict[str, Path], output: Path) -> dict:
    config = tiny_config_dict(data, output)
    formats = {"idx": "index", "col": "colour", "prob": "probabilities"}
    config["pool"] = {"methods": [{"name": "predictions", "kwargs": {
        "label": label, "dir": str(folders[label]), "format": formats[label]}} for label in FLIPS]}
    config["sqed"] = {"test_fraction": 0.25, "batch_size": 8}
    return config


@pytest.fixture(scope="module")
def byo(tmp_path_factory):
    root = tmp_path_factory.mktemp("byo")
    data = make_labelled_folder(root / "data")
    folders = write_predictions(data, root / "preds")
    path = root / "byo.yaml"
    path.write_text(yaml.safe_dump(byo_config(data, folders, root / "run")))
    config = load_config(path)
    return data, folders, config, build_store(config, verbose=False)


def test_three_prediction_folders_build_a_store_without_training(byo):
    data, _, config, store = byo
    assert store.methods == ["idx", "col", "prob"]
    assert len(store.tiles) == 12 * 4  # every image goes to the SQED: nothing trains
    oa = store.labels("oa").mean(axis=0)
    for j, label in enumerate(store.methods):
        assert oa[j] == pytest.approx(1 - FLIPS[label], abs=0.03)
    assert not (config.layout.pool / "idx" / "model.safetensors").exists()


def test_members_without_features_or_probabilities_are_recorded_sensibly(byo):
    store = byo[3]
    test = store.inputs("test")
    assert store.array("seg_idx").shape == (len(store.tiles), 0)
    assert test.seg_features["col"].shape == (len(test), 0)
    assert np.allclose(test.confidence["idx"], [1.0, 0.0])  # mask-only: certain by definition
    maxprob, entropy = test.confidence["prob"].mean(axis=0)
    assert maxprob == pytest.approx(0.8, abs=1e-5) and entropy > 0.5
    structure = test.signals.structure
    assert structure.shape[:2] == (len(test), 3) and np.isfinite(structure).all()
    # the noisiest member's masks are the most fragmented
    assert structure[:, 1, 0].mean() > structure[:, 2, 0].mean() > structure[:, 0, 0].mean()


def test_stored_structure_matches_the_one_computed_from_predictions(byo):
    from rssqa.sqed.store import SQEDStore
    from rssqa.structure import mask_structure

    store = SQEDStore(byo[3].root)
    assert np.allclose(store.structure()[:, 1], mask_structure(np.asarray(store.predictions("col"))))


def test_blackbox_assessor_ranks_members_by_their_output(byo, tmp_path):
    from scipy.stats import spearmanr

    from rssqa.assess.registry import create_assessor, load_assessor

    store = byo[3]
    assessor = create_assessor("blackbox", config={"rounds": 50, "min_leaf": 5}).fit(store.inputs("train"))
    test = store.inputs("test")
    predicted = assessor.predict(test)
    assert predicted.shape == (len(test), 3)
    assert spearmanr(predicted.ravel(), test.targets.ravel())[0] > 0.6
    assessor.save(tmp_path / "bb")
    assert np.allclose(load_assessor(tmp_path / "bb").predict(test), predicted)


def test_recommender_reads_predictions_by_image_name_and_skips_what_is_missing(byo, tmp_path):
    from rssqa.assess.registry import create_assessor
    from rssqa.encoders import build_encoder
    from rssqa.recommend import Recommender

    data, folders, config, store = byo
    pool = load_pool(config.layout.pool, store.methods)
    assessor = create_assessor("agreement").fit(store.inputs("train"))
    recommender = Recommender(pool, build_encoder(config), assessor,
                              ClassMap.from_dict(CLASSMAP), config.tile_size)
    images = tmp_path / "new"
    images.mkdir()
    for stem in ("g1_img1", "g2_img2"):
        (images / f"{stem}.png").write_bytes((data / "images" / f"{stem}.png").read_bytes())
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(images / "unseen.png")
    recommender.run(sorted(images.iterdir()), tmp_path / "out", verbose=False)
    result = json.loads((tmp_path / "out" / "recommendations.json").read_text())
    assert set(result["recommended"]) == {"g1_img1", "g2_img2"}
    assert "unseen" in result["skipped"][0]["error"]
    labels = np.asarray(Image.open(tmp_path / "out" / "g1_img1_labels.png"))
    pick = result["recommended"]["g1_img1"]
    if pick == "idx":  # a mask-only member's recommended segmentation is its own saved mask
        assert np.array_equal(labels, np.asarray(Image.open(folders["idx"] / "g1_img1.png")))


def make_member(folder: Path, fmt: str) -> PredictionsMember:
    return PredictionsMember("m", folder, fmt, ClassMap.from_dict(CLASSMAP))


def ref(stem: str, shape=(64, 64)) -> TileRef:
    return TileRef(stem, shape, 0, 0, 32)


def test_bad_predictions_are_errors_naming_the_file(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(folder / "small.png")
    Image.fromarray(np.full((64, 64), 7, np.uint8)).save(folder / "value7.png")
    colours = np.zeros((64, 64, 3), np.uint8) + np.array([255, 0, 255], np.uint8)
    Image.fromarray(colours).save(folder / "magenta.png")
    np.save(folder / "four.npy", np.full((4, 64, 64), 0.25, np.float32))
    np.save(folder / "logits.npy", np.full((3, 64, 64), 3.0, np.float32))
    cases = [(make_member(folder, "index"), "absent", "absent.*"),
             (make_member(folder, "index"), "small", "48x64"),
             (make_member(folder, "index"), "value7", "7"),
             (make_member(folder, "colour"), "magenta", "FF00FF"),
             (make_member(folder, "probabilities"), "four", "4 class maps"),
             (make_member(folder, "probabilities"), "logits", "logits")]
    for member, stem, expected in cases:
        with pytest.raises(InputError, match=expected) as error:
            member.check(ref(stem))
        assert stem in str(error.value.path)


def test_hwc_probabilities_and_windows_are_cut_where_the_tile_lies(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    labels = np.random.default_rng(1).integers(0, 3, (64, 64))
    np.save(folder / "a.npy", np.eye(3, dtype=np.float32)[labels])  # H x W x C one-hot
    member = PredictionsMember("m", folder, "probabilities", ClassMap.from_dict(CLASSMAP), layout="hwc")
    out = member.segment(np.zeros((1, 32, 32, 3), np.uint8), [TileRef("a", (64, 64), 32, 16, 32)])
    assert np.array_equal(out.masks[0], labels[16:48, 32:64])
    assert out.probabilities.shape == (1, 3, 32, 32) and out.features is None


def test_a_build_skips_images_with_bad_predictions_and_keeps_the_others(tmp_path):
    data = make_labelled_folder(tmp_path / "data", groups=2, per_group=3)
    folders = write_predictions(data, tmp_path / "preds")
    (folders["idx"] / "g1_img2.png").unlink()
    Image.fromarray(COLOURS[np.zeros((40, 64), np.uint8)]).save(folders["col"] / "g2_img1.png")
    config_dict = byo_config(data, folders, tmp_path / "run")
    config_dict["data"]["group_pattern"] = None
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config_dict))
    store = build_store(load_config(path), verbose=False)
    skipped = {entry["source_id"]: entry["error"] for entry in store.manifest["skipped"]}
    assert set(skipped) == {"g1_img2", "g2_img1"}
    assert "g1_img2.*" in skipped["g1_img2"] and "g2_img1.png" in skipped["g2_img1"]
    assert set(store.tiles["source_id"]) == {"g1_img1", "g1_img3", "g2_img2", "g2_img3"}


@pytest.mark.slow
def test_every_default_assessor_fits_and_predicts_on_members_without_features(byo, one_thread):
    from rssqa.assess.registry import load_assessor
    from rssqa.stages import default_assessors, train_assessors

    config, store = byo[2], byo[3]
    test = store.inputs("test")
    for name, directory in train_assessors(config, store, default_assessors(config),
                                           verbose=False).items():
        predicted = load_assessor(directory).predict(test)
        assert predicted.shape == (len(test), 3) and np.isfinite(predicted).all(), name


@pytest.mark.parametrize("planar", [True, False])
def test_multiband_tiff_probabilities_read_either_band_layout(tmp_path, planar):
    tifffile = pytest.importorskip("tifffile")
    folder = tmp_path / "p"
    folder.mkdir()
    labels = np.random.default_rng(2).integers(0, 3, (64, 64))
    one_hot = np.eye(3, dtype=np.float32)[labels]  # H x W x C
    if planar:
        tifffile.imwrite(folder / "a.tif", np.moveaxis(one_hot, -1, 0), photometric="minisblack",
                         planarconfig="separate")
    else:
        tifffile.imwrite(folder / "a.tif", one_hot, photometric="minisblack", planarconfig="contig")
    member = make_member(folder, "probabilities")
    out = member.segment(np.zeros((1, 32, 32, 3), np.uint8), [TileRef("a", (64, 64), 0, 32, 32)])
    assert np.array_equal(out.masks[0], labels[32:64, 0:32])
