"""One torch thread for these tests: their inputs are tiny, and on a shared 2-core machine a second
OpenMP thread mostly waits for its peer at every layer (runs were 10-50x slower with two)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def single_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
