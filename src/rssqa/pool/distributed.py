"""Pool training on several processes with torchrun: DDP over gloo on CPUs, NCCL on GPUs.

    torchrun --nproc_per_node 2 -m rssqa.pool.torchrun configs/dubai.yaml
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv-endpoint host:29500 -m rssqa.pool.torchrun ...

Every process runs the same trainer (``rssqa.pool.train``) on the same seeded batch order and
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

import os
from dataclasses import dataclass

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
