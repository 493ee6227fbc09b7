"""Shared fixtures: a tiny generated labelled dataset and an experiment config over it."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Three classes whose pixels differ in colour, so even a briefly trained model learns something.
CLASSES = [("building", "#FF0000", (180, 60, 60)), ("land", "#00FF00", (120, 110, 80)),
           ("water", "#0000FF", (30, 60, 140))]
IGNORE = "#000000"


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def make_labelled_folder(root: Path, groups: int = 4, per_group: int = 3, size: int = 64, seed: int = 0) -> Path:
    """images/gG_imgI.png and masks/gG_imgI.png: blocky class layouts, noisy class-tinted pixels."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    for g in range(1, groups + 1):
        for i in range(1, per_group + 1):
            labels = rng.integers(0, len(CLASSES), (size // 16, size // 16)).repeat(16, 0).repeat(16, 1)
            mean = np.array([c[2] for c in CLASSES], float)[labels]
            image = np.clip(mean + rng.normal(0, 25 + 10 * g, mean.shape), 0, 255).astype(np.uint8)
            mask = np.array([_hex_rgb(c[1]) for c in CLASSES], np.uint8)[labels]
            mask[:2, :2] = _hex_rgb(IGNORE)
            Image.fromarray(image).save(root / "images" / f"g{g}_img{i}.png")
            Image.fromarray(mask).save(root / "masks" / f"g{g}_img{i}.png")
    return root


CLASSMAP = {"classes": [{"name": n, "colour": c} for n, c, _ in CLASSES], "ignore": [IGNORE]}


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return make_labelled_folder(tmp_path_factory.mktemp("tiny_data"))


def tiny_config_dict(data_root: Path, output: Path, methods=("fpn", "deeplabv3plus")) -> dict:
    return {
        "name": "tiny", "seed": 0, "tile_size": 32, "output": str(output),
        "data": {"kind": "folder", "images_dir": str(data_root / "images"),
                 "masks_dir": str(data_root / "masks"), "group_pattern": r"^(g\d+)_",
                 "classmap": CLASSMAP},
        "pool": {"groups": ["g1", "g2"], "methods": [{"name": m} for m in methods],
                 "train": {"epochs": 1, "batch_size": 8, "pretrained": False}},
        "sqed": {"groups": ["g3", "g4"], "test_per_group": 1, "batch_size": 8},
        "encoder": {"name": "efficientnet-lite0", "kwargs": {"input_size": 64, "pretrained": False}},
        "assessor": {"name": "rssqa", "kwargs": {"config": {"epochs": 4, "hidden": 32, "warmup_epochs": 1,
                                                            "lr_step": 2}}},
    }


@pytest.fixture
def tiny_config(tiny_dataset, tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config_dict(tiny_dataset, tmp_path / "run")))
    return path


@contextmanager
def torch_threads(count: int = 1):
    """Tiny networks run faster on one thread than fighting over a busy machine's cores."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@pytest.fixture
def one_thread():
    with torch_threads(1):
        yield


def trained_tiny_experiment(root: Path) -> Path:
    """`rssqa build` + `rssqa train --assessors prior` on tiny labelled data under ``root``; the
    experiment config's path."""
    from typer.testing import CliRunner

    from rssqa.cli import app

    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config_dict(make_labelled_folder(root / "data"), root / "run")))
    with torch_threads(1):
        for args in (["build", "-c", path, "--quiet"], ["train", "-c", path, "--assessors", "prior", "--quiet"]):
            result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
            assert result.exit_code == 0, result.output
    return path


def experiment_copy(config: Path, into: Path) -> tuple[Path, Path]:
    """A copy of the experiment ``config`` trained (its ``run`` folder) under ``into``: the copy's
    config and output folder, so that a test may change or write into it freely."""
    import shutil

    shutil.copytree(config.parent / "run", into / "run")
    path = into / config.name
    path.write_text(yaml.safe_dump(yaml.safe_load(config.read_text()) | {"output": str(into / "run")}))
    return path, into / "run"


def folder_checksums(*folders: Path) -> dict[Path, str]:
    """sha256 of every file under ``folders``: compare before and after a command to show that it
    lost or changed nothing of what was there."""
    import hashlib

    sums = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                sums[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def changed_files(before: dict[Path, str], after: dict[Path, str]) -> list[Path]:
    """Files of ``before`` that are gone or differ in ``after``."""
    return sorted(path for path, digest in before.items() if after.get(path) != digest)
