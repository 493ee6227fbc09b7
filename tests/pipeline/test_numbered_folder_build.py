"""Issue 12's target: a folder of numbered images with anti-aliased binary masks builds with only
a threshold class map and ``pool: {fraction: 0.5}`` set on the README's example config."""

import json
import re
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from rssqa.cli import app
from rssqa.sqed.store import SQEDStore

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> dict:
    """The experiment YAML shown in the README's "Using it on your own data"."""
    text = README.read_text()
    section = text[text.index("## Using it on your own data"):]
    return yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1))


def numbered_folder(root: Path, count: int = 10, size: int = 64) -> Path:
    """images/001.png ...; masks/001.png: a white building on black, drawn at 4x and downsampled,
    so its edges are anti-aliased grey levels between 0 and 255."""
    rng = np.random.default_rng(0)
    for folder in ("images", "masks"):
        (root / folder).mkdir(parents=True)
    for i in range(1, count + 1):
        big = Image.new("L", (size * 4, size * 4), 0)
        x, y = rng.integers(0, size * 2, 2)
        ImageDraw.Draw(big).ellipse([x, y, x + size * 2, y + size * 2], fill=255)
        mask = big.resize((size, size), Image.BILINEAR)
        labels = np.asarray(mask) >= 128
        image = np.where(labels[..., None], (170, 70, 60), (60, 120, 70)) + rng.normal(0, 20, (size, size, 3))
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(root / "images" / f"{i:03d}.png")
        mask.save(root / "masks" / f"{i:03d}.png")
    return root


def test_numbered_images_with_anti_aliased_masks_build(tmp_path, one_thread):
    data = numbered_folder(tmp_path / "data")
    grey = np.unique(np.asarray(Image.open(data / "masks" / "001.png")))
    assert ((grey > 0) & (grey < 255)).any()  # the masks really are anti-aliased

    config = readme_example()
    config["data"].update(images_dir=str(data / "images"), masks_dir=str(data / "masks"),
                          classmap={"threshold": 128, "classes": ["background", "building"]})
    config["pool"]["fraction"] = 0.5
    # tiny sizes for a CPU test (as tests/conftest.py's tiny_config_dict)
    config.update(output=str(tmp_path / "run"), tile_size=32,
                  encoder={"name": "efficientnet-lite0", "kwargs": {"input_size": 64, "pretrained": False}})
    config["pool"].update(methods=[{"name": "fpn"}],
                          train={"epochs": 1, "batch_size": 8, "pretrained": False})
    path = tmp_path / "my.yaml"
    path.write_text(yaml.safe_dump(config))

    result = CliRunner().invoke(app, ["build", "-c", str(path), "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output

    splits = json.loads((tmp_path / "run" / "splits.json").read_text())
    assert splits["counts"] == {"pool": 5, "sqed-train": 4, "sqed-test": 1}
    assert splits["rule"]["pool_fraction"] == 0.5 and splits["rule"]["test_fraction"] == 0.2
    manifest = json.loads((tmp_path / "run" / "sqed" / "manifest.json").read_text())
    assert manifest["classmap"]["threshold"] == 128 and manifest["skipped"] == []
    tiles = SQEDStore(tmp_path / "run" / "sqed").tiles
    assert len(tiles) == 5 * 4  # five SQED images of four 32-px tiles each
    sqed_ids = {sid for members in splits["groups"].values() for sid, role in members.items()
                if role.startswith("sqed")}
    assert set(tiles["source_id"]) == sqed_ids
    assert set(tiles.loc[tiles["split"] == "test", "source_id"]) == {
        sid for members in splits["groups"].values() for sid, role in members.items() if role == "sqed-test"}


def test_group_by_grid_cuts_one_large_image_into_blocks_that_splits_keep_whole(tmp_path):
    from rssqa.config import ExperimentConfig
    from rssqa.typed_config import from_dict
    from rssqa.data.labelled import load_source
    from rssqa.data.assignment import pool_samples, sqed_samples, sqed_split

    data = numbered_folder(tmp_path / "data", count=1, size=256)
    config = from_dict(ExperimentConfig, {
        "tile_size": 32, "seed": 0,
        "data": {"kind": "folder", "images_dir": str(data / "images"), "masks_dir": str(data / "masks"),
                 "classmap": {"threshold": 128, "classes": ["background", "building"]},
                 "group_by": "grid", "block_tiles": 2},
        "pool": {"fraction": 0.5}})
    samples, _ = load_source(config)
    assert len(samples) == 16 and len({s.group for s in samples}) == 16  # 4 x 4 blocks of 2 x 2 tiles
    rule = config.split_rule
    pool, sqed = pool_samples(samples, rule), sqed_samples(samples, rule)
    assert len(pool) == 8 and {s.window for s in pool}.isdisjoint(s.window for s in sqed)
    assert sum(v == "test" for v in sqed_split(sqed, rule).values()) == 2  # 0.2 of 8 blocks
