"""Pool training on several processes with torchrun: DDP over gloo on CPUs, NCCL on GPUs.

    torchrun --nproc_per_node 2 -m rssqa.segzoo.distributed configs/dubai.yaml
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv-endpoint host:29500 -m rssqa.segzoo.distributed ...

Every process runs the same trainer (``rssqa.segzoo.train``) on the same seeded batch order and
augmentation; each takes its share of every global batch (``pool.train.batch_size`` stays the
batch of one optimiser step, whatever the process count) and DDP averages the gradients, so all
processes hold the same weights after every step. On GPUs BatchNorm is synchronised across
processes (SyncBatchNorm); gloo has no SyncBatchNorm, so on CPUs each process normalises over its
own share. Only rank 0 writes the pool folder; the others write an identical copy to a scratch
folder that is seeded from the pool folder, so caching and mid-training resumption decide the
same on every rank. Rank 0 records the run and whether the ranks ended with equal weights in
``<pool>/distributed.json``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

DISTRIBUTED_FILE = "distributed.json"


@dataclass(frozen=True)
class Ranks:
    """This process's place in the process group (one process without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def device(self) -> torch.device:
        if self.world_size > 1 and dist.get_backend() == "nccl":
            return torch.device("cuda", self.local_rank)
        return torch.device("cpu")


def current() -> Ranks:
    if not (dist.is_available() and dist.is_initialized()):
        return Ranks()
    return Ranks(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))


def data_parallel(model: nn.Module) -> nn.Module:
    """``model`` itself in one process; under torchrun, moved to this rank's device and wrapped
    in DDP (which also copies rank 0's weights to every rank)."""
    ranks = current()
    if ranks.world_size == 1:
        return model
    if ranks.device.type == "cuda":
        torch.cuda.set_device(ranks.device)
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model.to(ranks.device))
        return nn.parallel.DistributedDataParallel(model, device_ids=[ranks.device.index])
    return nn.parallel.DistributedDataParallel(model)


def shard(batch: np.ndarray) -> np.ndarray:
    """This rank's share of a global batch of tile indices. A batch too small to give every
    rank two tiles (BatchNorm after global pooling needs two) is run whole on every rank: the
    averaged gradient is then that of the whole batch, as in one process."""
    ranks = current()
    if ranks.world_size == 1 or len(batch) < 2 * ranks.world_size:
        return batch
    return np.array_split(batch, ranks.world_size)[ranks.rank]


def to_device(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    device = current().device
    return tuple(tensor.to(device) for tensor in tensors)


def init_process_group() -> Ranks:
    """Join torchrun's process group: NCCL where this rank has a GPU, gloo otherwise."""
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    return current()


def train_pool_distributed(config, verbose: bool = True) -> dict:
    """``rssqa.pipeline.train_pool`` on every rank (rank 0 into the pool folder, the others into
    scratch copies); returns the record written to ``<pool>/distributed.json``."""
    from rssqa.pipeline import Layout, train_pool

    ranks, pool_dir = current(), Layout(config.output_dir).pool
    if ranks.is_main:
        members = train_pool(config, verbose=verbose)
    else:
        with tempfile.TemporaryDirectory(prefix=f"rssqa-rank{ranks.rank}-") as scratch:
            if pool_dir.is_dir():
                shutil.copytree(pool_dir, Path(scratch) / "pool")
            members = train_pool(dataclasses.replace(config, output=scratch), verbose=False)
    trained = [m for m in members if hasattr(m, "model")]
    record = {"world_size": ranks.world_size, "backend": dist.get_backend() if dist.is_initialized()
              else None, "global_batch": config.pool.train.batch_size,
              # Equal weights although each rank's losses came from its own share of every batch:
              # the gradients were averaged across ranks.
              "ranks_in_sync": {m.name: _same_on_every_rank(m.model) for m in trained},
              "last_epoch_loss_per_rank": {m.name: _gathered(m.meta["epoch_losses"][-1]) for m in trained}}
    if ranks.is_main:
        (pool_dir / DISTRIBUTED_FILE).write_text(json.dumps(record, indent=2))
    return record


def _same_on_every_rank(model: nn.Module) -> bool:
    """Whether every rank holds exactly these weights (a checksum compared across ranks)."""
    if current().world_size == 1:
        return True
    total = torch.tensor([float(sum(p.detach().double().sum() for p in model.parameters()))],
                         dtype=torch.float64, device=current().device)
    gathered = [torch.zeros_like(total) for _ in range(current().world_size)]
    dist.all_gather(gathered, total)
    return all(bool(torch.equal(g, total)) for g in gathered)


def _gathered(value: float) -> list[float]:
    """``value`` from every rank, in rank order."""
    if current().world_size == 1:
        return [value]
    values = [None] * current().world_size
    dist.all_gather_object(values, value)
    return values


def main(argv: list[str] | None = None) -> int:
    from rssqa.config import load_config
    from rssqa.errors import InputError

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: torchrun --nproc_per_node N -m rssqa.segzoo.distributed CONFIG", file=sys.stderr)
        return 2
    ranks = init_process_group()
    try:
        record = train_pool_distributed(load_config(args[0]), verbose=ranks.is_main)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        dist.destroy_process_group()
    if ranks.is_main:
        print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
