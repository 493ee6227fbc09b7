"""The trained experiment a server holds: loaded once at start-up, then applied per upload.

Opened by ``rssqa.experiment.open_experiment``, as ``rssqa recommend`` opens it, so the page and
the command line give the same answers.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from rssqa.assess.conformal import Intervals
from rssqa.data.classmap import ClassMap
from rssqa.experiment import DEFAULT_LEVEL, open_experiment
from rssqa.geo.scene import SceneJob, recommend_scene
from rssqa.raster.settings import RasterSettings
from rssqa.recommend import ImageAssessment, Recommender


@dataclass
class Experiment:
    """Everything needed to answer an upload; ``interval_note`` says what the bars' whiskers
    mean, or why there are none; ``raster`` is how the pool was trained to see GeoTIFFs (bands,
    stretch, nodata), so an uploaded TIFF is read as its training images were."""

    name: str
    recommender: Recommender
    classmap: ClassMap
    assessor_name: str
    interval_note: str
    raster: RasterSettings = field(default_factory=RasterSettings)

    @property
    def intervals(self) -> Intervals | None:
        """The recommender's calibration: the one its assessments carry."""
        return self.recommender.intervals

    def with_intervals(self, intervals: Intervals | None, note: str) -> Experiment:
        """This experiment answering with another calibration (the models are shared)."""
        recommender = copy.copy(self.recommender)
        recommender.intervals = intervals
        return dataclasses.replace(self, recommender=recommender, interval_note=note)

    @property
    def methods(self) -> list[str]:
        return list(self.recommender.methods)

    @property
    def tile_size(self) -> int:
        return self.recommender.tile_size

    def assess(self, image: np.ndarray, name: str, tile_picks: bool = False
               ) -> tuple[ImageAssessment, float]:
        """The assessment with every method's mask (and with ``tile_picks``, what a scene keeps
        of each tile), and the seconds it took."""
        began = time.perf_counter()
        with torch.inference_mode():
            result = self.recommender.assess(image, name=name, all_masks=True,
                                             tile_picks=tile_picks)
        return result, time.perf_counter() - began

    def write_scene(self, job: SceneJob, assessed: ImageAssessment | None = None) -> dict:
        """``rssqa recommend``'s scene outputs for ``job`` (maps, cells, STAC item), read with
        the pool's raster settings; returns the scene's summary. ``assessed``: the upload's own
        assessment, which the scene reuses where it holds the same tiles (no nodata)."""
        with torch.inference_mode():
            return recommend_scene(job, self.recommender, self.raster, self.intervals,
                                   assessed=assessed)


def load_experiment(config_path: str | Path, assessor: str | None = None,
                    level: float = DEFAULT_LEVEL) -> Experiment:
    """The experiment ``config_path`` trained (``rssqa.experiment.open_experiment``), ready to
    answer uploads; a missing stage names the command to run."""
    trained = open_experiment(config_path, assessor, level)
    return Experiment(trained.name, Recommender.of(trained), trained.classmap, trained.assessor_name,
                      trained.interval_note, trained.raster)
