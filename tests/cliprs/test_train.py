"""Training drives open_clip's data, loss and schedule; checkpoints every N steps, resumes
mid-epoch, exports a local-dir model, and runs as two DDP processes on CPU (gloo)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from rssqa.cliprs.train import ClipTrainConfig, config_from_argv, train_clip
from rssqa.encoders import create_encoder
from rssqa.errors import InputError

from .conftest import write_pairs


def _config(tiny_clip_dir: Path, tsv: Path, out: Path, **overrides) -> ClipTrainConfig:
    values = dict(model=f"local-dir:{tiny_clip_dir}", train_data=str(tsv), output_dir=str(out),
                  batch_size=8, epochs=2, lr=1e-3, warmup=1, save_every_n_steps=2, log_every_n_steps=1,
                  lock_image=False, lock_text=False, threads=1)
    return ClipTrainConfig(**{**values, **overrides})


def _logged_steps(out: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (out / "train_log.jsonl").read_text().splitlines()]


def test_training_checkpoints_exports_and_changes_the_weights(tiny_clip_dir, tmp_path):
    config = _config(tiny_clip_dir, write_pairs(tmp_path / "data"), tmp_path / "run")

    model_dir = train_clip(config, verbose=False)

    assert _logged_steps(tmp_path / "run") == [1, 2, 3, 4, 5, 6]  # 24 pairs / 8 = 3 steps x 2 epochs
    assert [p.name for p in sorted((tmp_path / "run" / "checkpoints").iterdir())] == [
        "step_00000004", "step_00000006"]  # every 2 steps, the last 2 kept
    before = create_encoder("open_clip", model=f"local-dir:{tiny_clip_dir}")
    after = create_encoder("open_clip", model=f"local-dir:{model_dir}")
    pixels = torch.zeros(1, 3, 32, 32)
    assert not torch.allclose(before(pixels).pooled, after(pixels).pooled)
    assert yaml.safe_load((tmp_path / "run" / "train_config.yaml").read_text())["batch_size"] == 8


def test_a_finished_run_is_not_trained_again(tiny_clip_dir, tmp_path):
    config = _config(tiny_clip_dir, write_pairs(tmp_path / "data"), tmp_path / "run", epochs=1)
    train_clip(config, verbose=False)
    stamp = (tmp_path / "run" / "model" / "open_clip_model.safetensors").stat().st_mtime_ns

    train_clip(config, verbose=False)

    assert (tmp_path / "run" / "model" / "open_clip_model.safetensors").stat().st_mtime_ns == stamp


def test_an_interrupted_run_resumes_mid_epoch_from_its_last_checkpoint(tiny_clip_dir, tmp_path):
    out = tmp_path / "run"
    config = _config(tiny_clip_dir, write_pairs(tmp_path / "data"), out, save_every_n_steps=4,
                     keep_checkpoints=5)
    train_clip(config, verbose=False)
    # Simulate a crash after step 5: only the step-4 checkpoint (epoch 1, batch 1) survives.
    shutil.rmtree(out / "model")
    shutil.rmtree(out / "checkpoints" / "step_00000006")
    (out / "train_summary.json").unlink()
    (out / "train_log.jsonl").write_text("")

    train_clip(config, verbose=False)

    assert _logged_steps(out) == [5, 6]
    assert json.loads((out / "train_summary.json").read_text())["steps"] == 6


def test_checkpoints_of_other_settings_are_not_resumed(tiny_clip_dir, tmp_path):
    tsv = write_pairs(tmp_path / "data")
    train_clip(_config(tiny_clip_dir, tsv, tmp_path / "run", epochs=1), verbose=False)
    shutil.rmtree(tmp_path / "run" / "model")

    with pytest.raises(InputError, match="other settings"):
        train_clip(_config(tiny_clip_dir, tsv, tmp_path / "run", epochs=1, lr=0.1), verbose=False)


def test_cli_flags_override_the_yaml_config(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump({"model": "ViT-B-32", "train_data": "a.tsv", "output_dir": "o",
                                    "batch_size": 32, "lock_image": True}))

    config = config_from_argv(["--config", str(path), "--batch-size", "8", "--no-lock-image"])

    assert (config.model, config.batch_size, config.lock_image) == ("ViT-B-32", 8, False)
    with pytest.raises(InputError, match="unknown key.*lr_max"):
        ClipTrainConfig.from_mapping({"model": "m", "train_data": "t", "output_dir": "o", "lr_max": 1})


def test_two_process_ddp_on_cpu_with_gloo(tiny_clip_dir, tmp_path):
    tsv = write_pairs(tmp_path / "data", n=32)
    config = _config(tiny_clip_dir, tsv, tmp_path / "run", epochs=1)
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in vars(config).items()}))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "rssqa.cliprs.train", "--config", str(path)],
        capture_output=True, text=True, timeout=300, env=env)

    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "run" / "train_summary.json").read_text())
    assert summary["world_size"] == 2
    assert summary["steps"] == 2  # 32 pairs / (8 per process x 2 processes)
    assert (tmp_path / "run" / "model" / "open_clip_model.safetensors").is_file()


def test_locked_image_layers_run_in_eval_mode_and_keep_their_statistics(tmp_path):
    from rssqa.cliprs.model import LitConfig, build_lit_clip
    from rssqa.cliprs.train import _frozen_parts_to_eval, _lock

    clip, _ = build_lit_clip(LitConfig(image_size=32))
    _lock(clip, ClipTrainConfig(model="m", train_data="t", output_dir="o", lock_image_unlocked_groups=1))
    clip.train()
    _frozen_parts_to_eval(clip)
    trunk = clip.visual.trunk
    before = trunk.blocks[3][0].bn1.running_mean.clone()

    clip.encode_image(torch.randn(4, 3, 32, 32))

    assert not trunk.blocks[3][0].training and trunk.bn2.training  # locked block vs unlocked head
    assert not clip.text.transformer.training
    torch.testing.assert_close(trunk.blocks[3][0].bn1.running_mean, before)
    with pytest.raises(InputError, match="strip the activations"):
        _lock(clip, ClipTrainConfig(model="m", train_data="t", output_dir="o", lock_image_freeze_bn_stats=True))


def test_a_vit_clip_trains_with_its_lower_blocks_locked(tiny_clip_dir, tmp_path):
    from safetensors.torch import load_file

    config = _config(tiny_clip_dir, write_pairs(tmp_path / "data", n=16), tmp_path / "run", epochs=1,
                     lock_image=True, lock_image_unlocked_groups=1, lock_text=True)

    model_dir = train_clip(config, verbose=False)

    before = load_file(tiny_clip_dir / "open_clip_model.safetensors")
    after = load_file(model_dir / "open_clip_model.safetensors")
    assert torch.equal(before["visual.transformer.resblocks.0.mlp.c_fc.weight"],
                       after["visual.transformer.resblocks.0.mlp.c_fc.weight"])
    assert torch.equal(before["transformer.resblocks.0.mlp.c_fc.weight"],
                       after["transformer.resblocks.0.mlp.c_fc.weight"])  # text tower locked
    assert not torch.equal(before["visual.proj"], after["visual.proj"])
    assert not torch.equal(before["text_projection"], after["text_projection"])


def test_webdataset_shards_train_as_for_open_clips_trainer(tiny_clip_dir, tmp_path):
    import webdataset as wds
    from PIL import Image

    shards = tmp_path / "shards"
    shards.mkdir()
    rng = np.random.default_rng(0)
    for shard in range(2):
        with wds.TarWriter(str(shards / f"{shard:05d}.tar")) as sink:
            for i in range(8):
                image = Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8))
                sink.write({"__key__": f"{shard}_{i}", "png": image, "txt": f"sample {i % 4}"})
    config = _config(tiny_clip_dir, tmp_path / "unused.tsv", tmp_path / "run", epochs=1,
                     train_data=str(shards / "{00000..00001}.tar"), dataset_type="webdataset",
                     train_num_samples=16)

    train_clip(config, verbose=False)

    assert json.loads((tmp_path / "run" / "train_summary.json").read_text())["steps"] == 2


def test_the_shipped_cluster_config_is_a_valid_training_config():
    path = Path(__file__).resolve().parents[2] / "configs" / "cliprs_train_vit_l14.yaml"

    config = config_from_argv(["--config", str(path), "--batch-size", "128"])

    assert (config.model, config.dataset_type, config.batch_size) == ("ViT-L-14", "webdataset", 128)
