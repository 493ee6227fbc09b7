"""Pool training under torchrun: two processes over gloo train the tiny pool in DDP and end with
the same weights; in one process the DDP helpers change nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import torch
import yaml

from rssqa.pool.distributed import DISTRIBUTED_FILE, Ranks, current, data_parallel, shard
from rssqa.pool.train import load_trained
from tests.conftest import make_labelled_folder, tiny_config_dict


def test_one_process_trains_as_before():
    model = torch.nn.Conv2d(3, 2, 1)
    assert current() == Ranks() and data_parallel(model) is model
    assert np.array_equal(shard(np.arange(8)), np.arange(8))


def test_two_gloo_processes_train_the_pool_in_sync(tmp_path):
    config = tiny_config_dict(make_labelled_folder(tmp_path / "data"), tmp_path / "run")
    config["pool"]["train"].update(epochs=2, threads=1)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))

    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "rssqa.pool.torchrun", str(path)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})

    assert result.returncode == 0, result.stderr[-3000:]
    pool = tmp_path / "run" / "pool"
    record = json.loads((pool / DISTRIBUTED_FILE).read_text())
    assert record["world_size"] == 2 and record["backend"] == "gloo"
    assert record["ranks_in_sync"] == {"fpn": True, "deeplabv3plus": True}
    for losses in record["last_epoch_loss_per_rank"].values():  # each rank saw its own share
        assert len(losses) == 2 and losses[0] != losses[1]
    for method in ("fpn", "deeplabv3plus"):
        trained = load_trained(pool / method)
        assert len(trained.meta["epoch_losses"]) == 2
    assert not list(pool.rglob("resume.pt"))  # finished: no half-trained state left
