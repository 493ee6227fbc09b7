"""``rssqa recommend`` on GeoTIFF scenes: option checks, jobs from file names, the plan, the run,
and what is printed (results on stdout; skip reasons and warnings on stderr, naming the file)."""

from __future__ import annotations

import socket
from pathlib import Path

from rich.console import Console

from rssqa.errors import InputError
from rssqa.geo.experiment import ExperimentRef
from rssqa.geo.plan import MAX_SCENE_PIXELS, plan_scenes, plan_text
from rssqa.geo.scaleout import SCHEDULER_TIMEOUT_S, SceneOutcome, local_processes, recommend_scenes
from rssqa.geo.scene import SCENE_SUFFIXES, SceneJob

# Schemes whose address is a host and a TCP port that a plain socket can try.
TCP_SCHEMES = ("tcp", "tls")


def is_scene(path: Path) -> bool:
    return Path(path).suffix.lower() in SCENE_SUFFIXES


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


def scene_jobs(paths: list[Path], out_dir: Path, overlap: int | None,
               keys: list[str] | None = None) -> list[SceneJob]:
    """One job per scene with the output stem ``keys`` gives it (None: from the file names,
    unique even where file stems repeat)."""
    from rssqa.recommend import output_names

    keys = keys if keys is not None else [key for _, key in output_names(paths)]
    return [SceneJob(Path(path), Path(out_dir), key, overlap) for path, key in zip(paths, keys)]


def recommend_scene_files(paths: list[Path], config: Path, assessor: str | None, out_dir: Path,
                          overwrite: bool = False, scheduler: str | None = None,
                          workers: int | None = None, overlap: int | None = None,
                          quiet: bool = False, console: Console | None = None,
                          keys: list[str] | None = None, err_console: Console | None = None,
                          max_pixels: int | None = None) -> list[SceneOutcome]:
    """Plan the scenes (refusing, from their headers, those over ``max_pixels``; None:
    MAX_SCENE_PIXELS), print the plan, run the rest, and print one line per scene: results on
    ``console``, skip reasons and warnings on ``err_console``. Never raises for a scene's own
    problem: the caller decides the exit code from the outcomes (in ``paths`` order, ``error``
    set where skipped). ``keys``: each scene's output stem (None: from the file names)."""
    from rssqa.config import load_config

    console, err_console = console or Console(), err_console or Console(stderr=True)
    cfg = load_config(config)
    jobs = scene_jobs(paths, Path(out_dir).resolve(), overlap, keys)
    plans, refused = plan_scenes(jobs, cfg.tile_size, max_pixels or MAX_SCENE_PIXELS)
    ran: dict[SceneJob, SceneOutcome] = {}
    if plans:
        processes = None if scheduler else local_processes(len(plans), workers)
        _say(console, plan_text(plans, len(cfg.pool.methods), processes))
        threads = None if processes == 1 else 1  # one process alone keeps torch's threads
        ref = ExperimentRef(Path(config).resolve(), assessor, threads=threads)
        ran = {outcome.job: outcome for outcome in recommend_scenes(
            [plan.job for plan in plans], ref, scheduler, workers, overwrite, verbose=not quiet)}
    outcomes = [ran[job] if job in ran else SceneOutcome(job, error=refused[job]) for job in jobs]
    for outcome in outcomes:
        print_outcome(outcome, console, err_console)
    if any(outcome.summary for outcome in outcomes):
        _say(console, f"quality maps, recommended-method maps, best-of segmentations and summaries "
                      f"in {out_dir}")
    return outcomes


def print_outcome(outcome: SceneOutcome, console: Console, err_console: Console) -> None:
    """Its warnings and, when skipped, its reason on ``err_console``; its result on ``console``."""
    for warning in outcome.warnings:
        _say(err_console, f"warning: {warning}")
    if outcome.error:
        _say(err_console, f"skipped {outcome.error}")
        return
    summary = outcome.summary
    tiles = (summary.get("tiles") or {}).get("assessed")
    _say(console, f"{outcome.job.key}: {tiles} tiles, recommended {summary.get('recommended')}; "
                  f"best-of predicted accuracy {_accuracy(summary.get('best_of_predicted_accuracy'))}")


def _accuracy(value) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "unknown"


def _say(console: Console, line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)
