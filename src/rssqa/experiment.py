"""A trained experiment, opened in one place: the config read once, then its store, pool,
semantic encoder, assessor, the raster settings the pool was trained with and the assessor's
conformal intervals.

``rssqa recommend`` (images and scenes), ``rssqa serve``, ``rssqa demo`` and the Python API all
open an experiment here, so they answer alike::

    from rssqa.experiment import open_experiment
    from rssqa.recommend import Recommender

    experiment = open_experiment("configs/dubai.yaml")
    result = Recommender.of(experiment).assess_file("my_image.png")
    print(result.recommended, result.ranking())
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rssqa.assess.base import Assessor
from rssqa.assess.conformal import CONFORMAL_FILE, Intervals, load_intervals
from rssqa.assess.registry import load_assessor
from rssqa.cache import folder_fingerprint
from rssqa.config import ExperimentConfig, Layout
from rssqa.config_check import read_config
from rssqa.data.classmap import ClassMap
from rssqa.encoders import SemanticEncoder, build_encoder
from rssqa.errors import InputError
from rssqa.pool.member import PoolMember
from rssqa.pool.training import load_pool
from rssqa.raster.settings import RasterSettings
from rssqa.sqed.store import SQEDStore
from rssqa.trained_settings import check_trained_settings

DEFAULT_LEVEL = 0.9  # coverage of the conformal intervals shown with every score


@dataclass
class TrainedExperiment:
    """Everything a trained experiment holds for assessing new images. ``interval_note`` says
    what the intervals are, or why there are none; ``assessor_fingerprint`` changes whenever the
    assessor is trained again, so that results kept from an earlier run can be told apart."""

    config: ExperimentConfig
    store: SQEDStore
    pool: list[PoolMember]
    encoder: SemanticEncoder
    assessor: Assessor
    assessor_name: str
    classmap: ClassMap
    raster: RasterSettings
    intervals: Intervals | None
    interval_note: str
    assessor_fingerprint: str | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def layout(self) -> Layout:
        return self.config.layout

    @property
    def interval_warning(self) -> str | None:
        """Why the assessor's saved calibration gives no intervals (damaged, or made for other
        methods): worth telling even a quiet run, unlike an assessor that never had one."""
        saved = self.layout.assessors / self.assessor_name / CONFORMAL_FILE
        return self.interval_note if self.intervals is None and saved.is_file() else None

    @property
    def methods(self) -> list[str]:
        return [member.name for member in self.pool]

    @property
    def tile_size(self) -> int:
        return self.config.tile_size


def open_experiment(config: str | Path | ExperimentConfig, assessor: str | None = None,
                    level: float = DEFAULT_LEVEL) -> TrainedExperiment:
    """The experiment a config trained, with ``assessor`` (default: the config's). A stage not
    yet run, a setting that contradicts what was trained, or a damaged file is one InputError
    naming it and the command to run."""
    config = config if isinstance(config, ExperimentConfig) else read_config(config)
    name = trained_assessor(config, assessor)
    store = SQEDStore.open(config.layout.sqed)
    check_trained_settings(config, store, [name])  # before any model loads
    pool = load_pool(config.layout.pool, store.methods)
    saved = config.layout.assessors / name
    intervals, note = load_intervals(saved, [m.name for m in pool], level)
    return TrainedExperiment(
        config=config, store=store, pool=pool, encoder=build_encoder(config),
        assessor=load_assessor(saved), assessor_name=name,
        classmap=store.classmap,
        raster=RasterSettings.load(config.layout.pool), intervals=intervals, interval_note=note,
        assessor_fingerprint=folder_fingerprint(saved))


def trained_assessor(config: ExperimentConfig, assessor: str | None = None) -> str:
    """``assessor`` (default: the config's) if the experiment has a store and has trained it;
    otherwise one line naming the stage to run, and the assessors it has trained."""
    layout, name = config.layout, assessor or config.assessor.name
    if not (layout.sqed / "manifest.json").is_file():
        raise InputError(layout.sqed, "holds no SQED store", "run `rssqa build -c CONFIG` first")
    if not (layout.assessors / name).is_dir():
        trained = sorted(p.name for p in layout.assessors.iterdir()  # not a save under way
                         if p.is_dir() and not p.name.startswith(".")) \
            if layout.assessors.is_dir() else []
        raise InputError(layout.assessors / name, f"no trained assessor {name!r}",
                         f"trained here: {', '.join(trained)}; run `rssqa train` first" if trained
                         else "run `rssqa train -c CONFIG` first")
    return name
