"""The scene options of `rssqa recommend` checked before anything loads: a bad ``--workers``,
``--max-pixels``, ``--overlap`` or ``--scheduler`` is one line in well under a second. Kept
apart from the scene code so that checking them imports none of it (plain images never do)."""

from __future__ import annotations

import socket

from rssqa.errors import InputError

SCHEDULER_TIMEOUT_S = 5  # seconds to wait for a --scheduler to answer
# Schemes whose address is a host and a TCP port that a plain socket can try.
TCP_SCHEMES = ("tcp", "tls")


def check_scene_options(scheduler: str | None = None, workers: int | None = None,
                        overlap: int | None = None, tile_size: int | None = None,
                        max_pixels: int | None = None) -> None:
    """One line naming the option at fault, in well under a second, before anything loads:
    ``--workers`` / ``--max-pixels`` below 1, an ``--overlap`` that is odd, negative or not
    below the experiment's ``tile_size``, a ``--scheduler`` where nothing answers."""
    for option, value in (("--workers", workers), ("--max-pixels", max_pixels)):
        if value is not None and value < 1:
            raise InputError(None, f"{option} must be at least 1, not {value}",
                             f"give a positive number, or leave {option} out for its default")
    if overlap is not None:
        _check_overlap(overlap, tile_size)
    if scheduler is not None:
        _check_scheduler(scheduler)


def _check_overlap(overlap: int, tile_size: int | None) -> None:
    below_tile = tile_size is None or overlap < tile_size
    if overlap < 0 or overlap % 2 or not below_tile:
        limit = f" and less than the tile size {tile_size}" if tile_size is not None else ""
        raise InputError(None, f"--overlap {overlap} must be even, at least 0{limit}",
                         "e.g. --overlap 64 for 256-px tiles, or leave it out for a quarter of the tile")


def _check_scheduler(address: str) -> None:
    """A TCP connection to the scheduler's host and port, with a short timeout (dask's own
    first attempt waits 30 s, then fails with a traceback)."""
    scheme, _, rest = address.rpartition("://")
    if (scheme or "tcp") not in TCP_SCHEMES:
        return  # inproc://, ucx://, ws://: left to dask's client, which also times out
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(None, f"--scheduler {address} is not a scheduler address",
                         "give it as tcp://host:port, e.g. tcp://10.0.0.5:8786")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=SCHEDULER_TIMEOUT_S).close()
    except (OSError, ValueError) as error:
        raise InputError(None, f"--scheduler {address}: nothing answers there within "
                         f"{SCHEDULER_TIMEOUT_S} s ({type(error).__name__}: {error})",
                         "start the scheduler (`dask scheduler`) or correct the address") from error
