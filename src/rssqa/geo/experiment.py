"""A trained experiment as a scene needs it, named by a small picklable reference so that Dask
workers can load it themselves (once per worker process) instead of receiving models."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rssqa.raster.settings import RasterSettings
from rssqa.recommend import Recommender
from rssqa.assess.conformal import Intervals


@dataclass(frozen=True)
class ExperimentRef:
    """The experiment config that trained the pool, the assessor to use (None: the config's),
    the conformal level of the interval map, and the torch threads per process (None: leave)."""

    config: Path
    assessor: str | None = None
    level: float = 0.9
    threads: int | None = None


@dataclass
class SceneExperiment:
    recommender: Recommender
    settings: RasterSettings
    intervals: Intervals | None
    interval_warning: str | None = None  # TrainedExperiment.interval_warning


def load_scene_experiment(ref: ExperimentRef) -> SceneExperiment:
    """The pool, encoder, assessor and class map ``rssqa recommend`` uses, the raster settings
    stored with the pool, and the assessor's conformal calibration where it has one."""
    import torch

    from rssqa.experiment import open_experiment

    if ref.threads is not None:
        torch.set_num_threads(ref.threads)
    experiment = open_experiment(ref.config, ref.assessor, ref.level)
    return SceneExperiment(Recommender.of(experiment), experiment.raster, experiment.intervals,
                           experiment.interval_warning)


@lru_cache(maxsize=2)
def cached_experiment(ref: ExperimentRef) -> SceneExperiment:
    """One load per process: a worker given many scenes of one experiment loads it once."""
    return load_scene_experiment(ref)
