"""One tiny trained experiment (pool, SQED, the prior assessor) shared by the serve tests, and
helpers that make upload files in memory."""

from __future__ import annotations

import io

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from rssqa.cli import app
from tests.conftest import make_labelled_folder, tiny_config_dict


def _invoke(*args) -> None:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def served_config(tmp_path_factory):
    """`rssqa build` + `rssqa train --assessors prior` on the tiny data, once per session."""
    import torch

    root = tmp_path_factory.mktemp("serve_experiment")
    data = make_labelled_folder(root / "data")
    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config_dict(data, root / "run")))
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _invoke("build", path, "--quiet")
        _invoke("train", path, "--assessors", "prior", "--quiet")
    finally:
        torch.set_num_threads(previous)
    return path


@pytest.fixture(scope="session")
def experiment(served_config):
    from rssqa.serve.engine import load_experiment

    return load_experiment(served_config, "prior")


def image_bytes(size=(64, 48), fmt="PNG", seed=0, mode="RGB") -> bytes:
    """A noisy image of ``size`` (width, height) encoded as ``fmt``."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    if mode != "RGB":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()
