"""A bounded worker pool: at most ``workers`` assessments run at once, at most ``max_queue``
wait, and anything beyond is refused at once with 429 instead of piling up in memory.

The models are shared by every worker (read-only at inference), so memory grows with the number
of running assessments, not with the number of uploads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from rssqa.serve.upload import UploadError

T = TypeVar("T")


class BoundedWorkers:
    def __init__(self, workers: int, max_queue: int):
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rssqa-assess")
        self._capacity = workers + max_queue
        self._pending = 0
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        """Assessments running or waiting now."""
        return self._pending

    async def run(self, function: Callable[..., T], *args) -> T:
        """Run ``function(*args)`` on a worker thread once one is free; 429 if the queue is full."""
        with self._lock:
            if self._pending >= self._capacity:
                raise UploadError(429, f"the server is busy ({self._pending} images queued): "
                                  "try again in a moment")
            self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)
        finally:
            with self._lock:
                self._pending -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
