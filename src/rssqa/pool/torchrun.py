"""Pool training on several processes: ``torchrun -m rssqa.pool.torchrun CONFIG``.

Every rank trains the whole pool as ``rssqa build`` would (``rssqa.pool.training``), sharing each
batch through DDP (``rssqa.pool.distributed``); rank 0 writes the pool folder and records the run
in ``<pool>/distributed.json``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from rssqa.config import load_config
from rssqa.errors import InputError
from rssqa.pool.distributed import DISTRIBUTED_FILE, current, init_process_group
from rssqa.pool.training import train_pool


def train_pool_distributed(config, verbose: bool = True) -> dict:
    """``rssqa.pool.training.train_pool`` on every rank (rank 0 into the pool folder, the others
    into scratch copies); returns the record written to ``<pool>/distributed.json``."""
    ranks, pool_dir = current(), config.layout.pool
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
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: torchrun --nproc_per_node N -m rssqa.pool.torchrun CONFIG", file=sys.stderr)
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
