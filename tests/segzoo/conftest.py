"""One torch thread for these tests: their inputs are tiny, and on a shared 2-core machine a second
OpenMP thread mostly waits for its peer at every layer (runs were 10-50x slower with two)."""

import pytest

from tests.conftest import torch_threads


@pytest.fixture(autouse=True)
def single_torch_thread():
    with torch_threads(1):
        yield
