"""A damaged pool checkpoint never ends a command in a traceback: a corrupt trained model names
the folder to delete (and is left where it is), an unreadable resume checkpoint is discarded with
a warning and the method trains from its first epoch."""

from __future__ import annotations

import shutil

import pytest
import yaml

from tests.conftest import tiny_config_dict
from tests.pipeline.test_bad_inputs import invoke, one_line_error


@pytest.fixture(scope="module")
def trained_run(tiny_dataset, tmp_path_factory):
    """One tiny FPN trained once (1 epoch on 32-px tiles); each test gets a copy of its run."""
    import torch

    root = tmp_path_factory.mktemp("trained")
    config = root / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config_dict(tiny_dataset, root / "run", methods=("fpn",))))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = invoke("train-pool", config, "--quiet")
    finally:
        torch.set_num_threads(threads)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def run_copy(trained_run, tmp_path, tiny_dataset):
    shutil.copytree(trained_run / "run", tmp_path / "run")
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config_dict(tiny_dataset, tmp_path / "run", methods=("fpn",))))
    return config, tmp_path / "run" / "pool" / "fpn"


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
@pytest.mark.parametrize("command", ["train-pool", "build"])
def test_a_corrupt_trained_model_names_the_folder_to_delete(run_copy, command, damage):
    config, folder = run_copy
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes({"truncated": data[:len(data) // 3], "garbage": b"\x07" * 4096, "empty": b""}[damage])
    damaged = weights.read_bytes()
    one_line_error(invoke(command, config, "--quiet"), 2, "model.safetensors", "is corrupt or truncated",
                   f"delete the folder {folder}", "rssqa build")
    assert weights.read_bytes() == damaged  # the user's file, left for them to inspect
    assert (folder / "meta.json").exists()


def test_an_unreadable_resume_checkpoint_is_discarded_and_training_starts_over(run_copy):
    config, folder = run_copy
    for name in ("model.safetensors", "meta.json"):  # as if killed during its first run
        (folder / name).unlink()
    (folder / "resume.pt").write_bytes(b"PK\x03\x04 half a zip archive")
    with pytest.warns(UserWarning, match="resume.pt: cannot resume from it"):
        result = invoke("train-pool", config, "--quiet")
    assert result.exit_code == 0, result.output
    assert (folder / "model.safetensors").exists() and not (folder / "resume.pt").exists()
