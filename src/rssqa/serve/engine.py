"""The trained experiment a server holds: loaded once at start-up, then applied per upload.

The same parts ``rssqa recommend`` loads (the store's pool, the config's encoder, a trained
assessor, the store's class map), so the page and the command line give the same answers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from rssqa.data.classmap import ClassMap
from rssqa.errors import InputError
from rssqa.geo.settings import RasterSettings
from rssqa.recommend import ImageAssessment, Recommender
from rssqa.serve.intervals import Intervals, load_intervals


@dataclass
class Experiment:
    """Everything needed to answer an upload; ``interval_note`` says what the bars' whiskers
    mean, or why there are none; ``raster`` is how the pool was trained to see GeoTIFFs (bands,
    stretch, nodata), so an uploaded TIFF is read as its training images were."""

    name: str
    recommender: Recommender
    classmap: ClassMap
    assessor_name: str
    intervals: Intervals | None
    interval_note: str
    raster: RasterSettings = field(default_factory=RasterSettings)

    @property
    def methods(self) -> list[str]:
        return list(self.recommender.methods)

    @property
    def tile_size(self) -> int:
        return self.recommender.tile_size

    def assess(self, image: np.ndarray, name: str) -> tuple[ImageAssessment, float]:
        """The assessment with every method's mask, and the seconds it took."""
        began = time.perf_counter()
        with torch.inference_mode():
            result = self.recommender.assess(image, name=name, all_masks=True)
        return result, time.perf_counter() - began


def load_experiment(config_path: str | Path, assessor: str | None = None,
                    level: float = 0.9) -> Experiment:
    """Load the experiment ``config_path`` trained; a missing stage names the command to run."""
    from rssqa.assess.registry import load_assessor
    from rssqa.config import load_config
    from rssqa.data.sqed import SQEDStore
    from rssqa.pipeline import Layout, build_encoder, load_pool
    from rssqa.trained_settings import check_trained_settings

    config = load_config(config_path)
    layout = Layout(config.output_dir)
    name = assessor or config.assessor.name
    assessor_dir = layout.assessors / name
    if not (layout.sqed / "manifest.json").is_file():
        raise InputError(layout.sqed, "holds no SQED store", f"run `rssqa build {config_path}` first")
    if not assessor_dir.is_dir():
        raise InputError(assessor_dir, f"no trained {name!r} assessor",
                         f"run `rssqa train {config_path} --assessors {name}` first")
    store = SQEDStore.open(layout.sqed)
    check_trained_settings(config, layout, store)  # before any model loads
    recommender = Recommender(load_pool(layout.pool, store.methods), build_encoder(config),
                              load_assessor(assessor_dir),
                              ClassMap.from_dict(store.manifest["classmap"]), config.tile_size)
    intervals, note = load_intervals(assessor_dir, recommender.methods, level)
    return Experiment(config.name, recommender, recommender.classmap, name, intervals, note)
