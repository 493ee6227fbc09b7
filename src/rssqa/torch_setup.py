"""Process-wide torch settings: the seeds every stage starts from, the CPU threads it runs on,
and building a model whose weights are about to be loaded without drawing random ones first."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run torch on ``threads`` CPU threads inside the block, restoring the setting after
    (None leaves it alone). Small networks train faster on one thread of a shared machine."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# The initialisers torch's layers and timm's EfficientNet call while a model is built.
_INITIALISERS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
                 "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                 "orthogonal_")
_one_block_at_a_time = threading.RLock()  # a nested block is harmless


@contextmanager
def weights_to_be_loaded() -> Iterator[None]:
    """Build models inside the block without drawing their random initial weights, for a model
    whose every tensor a strict ``load_state_dict`` overwrites next (a trained pool member): it
    halves the time to load a pool. The initialisers are swapped process-wide, so use it only
    where no other thread builds a model to train meanwhile."""
    with _one_block_at_a_time:
        saved = {name: getattr(torch.nn.init, name) for name in _INITIALISERS}
        for name in _INITIALISERS:
            setattr(torch.nn.init, name, _left_as_allocated)
        try:
            yield
        finally:
            for name, initialiser in saved.items():
                setattr(torch.nn.init, name, initialiser)


def _left_as_allocated(tensor: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    return tensor
