"""Many scenes at once: each scene one Dask task, on a local cluster or a remote scheduler.

A task carries only the scene job and an :class:`ExperimentRef`; each worker process loads the
experiment once and keeps it for the scenes that follow. Scenes are independent and every
output is a pure function of the scene and the experiment, so a cluster run writes the same
bytes as a run in this process (with the same torch thread count per process).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from rssqa.errors import InputError
from rssqa.geo.experiment import ExperimentRef, cached_experiment
from rssqa.geo.options import SCHEDULER_TIMEOUT_S
from rssqa.geo.scene import SceneJob, recommend_scene
from rssqa.progress import progress_bar


@dataclass
class SceneOutcome:
    """A scene's summary, or the one-line reason it could not be processed; ``warnings``: what
    was recovered on the way (a damaged resume file redone, a calibration that could not be
    used), one line each, naming the file."""

    job: SceneJob
    summary: dict | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def run_scene_task(job: SceneJob, ref: ExperimentRef, overwrite: bool = False,
                   progress=None) -> SceneOutcome:
    """One scene with the experiment this process holds; a scene's own problem (unreadable,
    wrong bands, no valid pixel) is reported, not raised, so the other scenes carry on.
    ``progress``: a rich Progress for the scene's tiles (None on a worker: silent)."""
    experiment = cached_experiment(ref)
    warnings = [experiment.interval_warning] if experiment.interval_warning else []
    try:
        summary = recommend_scene(job, experiment.recommender, experiment.settings, experiment.intervals,
                                  progress=progress, overwrite=overwrite, warn=warnings.append)
    except InputError as error:
        return SceneOutcome(job, error=str(error), warnings=warnings)
    except Exception as error:  # noqa: BLE001 - one bad scene must not end the others
        return SceneOutcome(job, error=f"{job.path}: {type(error).__name__}: {error}", warnings=warnings)
    return SceneOutcome(job, summary, warnings=warnings)


def recommend_scenes(jobs: list[SceneJob], ref: ExperimentRef, scheduler: str | None = None,
                     workers: int | None = None, overwrite: bool = False,
                     verbose: bool = True) -> list[SceneOutcome]:
    """Process every scene; in job order. ``scheduler`` (``tcp://host:8786``) uses that
    cluster; otherwise ``workers`` single-threaded local processes (default: one per scene, up
    to the CPU count), or this process alone when that is one."""
    workers = local_processes(len(jobs), workers)
    if scheduler is None and workers <= 1:
        return _in_process(jobs, ref, overwrite, verbose)
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        with connect(scheduler) as client:
            return run_on_client(client, jobs, ref, overwrite, verbose)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit=0) as cluster, Client(cluster) as client:
        return run_on_client(client, jobs, ref, overwrite, verbose)


def local_processes(scenes: int, workers: int | None = None) -> int:
    """How many local processes run ``scenes`` scenes: ``workers`` (default: the CPU count),
    never more than there are scenes (a worker without a scene would only cost its start-up)."""
    return max(1, min(workers or os.cpu_count() or 1, scenes))


def connect(scheduler: str):
    """A client of the scheduler at ``scheduler``, or one line naming the address when no Dask
    scheduler answers there within SCHEDULER_TIMEOUT_S (dask's own default waits 30 s, then a
    traceback; a port that answers another protocol can even fail with a MemoryError)."""
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001 - whatever the failure, the address is at fault
        raise InputError(None, f"--scheduler {scheduler}: no Dask scheduler answered there within "
                         f"{SCHEDULER_TIMEOUT_S} s ({type(error).__name__}: {error})",
                         "start one there (`dask scheduler`), or give its tcp://host:port") from error


def _in_process(jobs: list[SceneJob], ref: ExperimentRef, overwrite: bool,
                verbose: bool) -> list[SceneOutcome]:
    outcomes = []
    with progress_bar(verbose) as progress:
        task = progress.add_task("scenes", total=len(jobs))
        for job in jobs:
            outcomes.append(run_scene_task(job, ref, overwrite, progress))
            progress.advance(task)
    return outcomes


def run_on_client(client, jobs: list[SceneJob], ref: ExperimentRef, overwrite: bool = False,
                  verbose: bool = False) -> list[SceneOutcome]:
    """Every scene as one task on ``client``'s cluster; outcomes in job order."""
    from dask.distributed import as_completed

    futures = [client.submit(run_scene_task, job, ref, overwrite, pure=False) for job in jobs]
    with progress_bar(verbose) as progress:  # tiles are counted on the workers, scenes here
        task = progress.add_task(f"scenes on {len(client.scheduler_info()['workers'])} workers",
                                 total=len(jobs))
        for _ in as_completed(futures):
            progress.advance(task)
    return client.gather(futures)
