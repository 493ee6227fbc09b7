"""Typed experiment configuration, loaded from YAML and validated with messages that say where.

One YAML file describes a whole experiment: the labelled source, which groups train the pool and
which build the SQED, the pool's methods, the semantic encoder and the assessor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from rssqa.errors import InputError
from rssqa.typed_config import below, load_yaml_config, not_positive, refuse


TARGETS = ("oa", "miou", "f1")  # the labels rssqa.data.sqed.SQEDStore records per tile and method


@dataclass(frozen=True)
class TrainConfig:
    """How ``rssqa.segzoo.train.train_method`` trains a pool member (kept here, beside the other
    configs, so that reading a config never imports torch)."""

    epochs: int = 4
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    aux_weight: float = 0.4
    pretrained: bool = True
    seed: int = 0
    threads: int | None = None

    def __post_init__(self) -> None:
        refuse(below(self, 1, "epochs", "batch_size", "threads") + not_positive(self, "lr")
               + below(self, 0, "weight_decay", "aux_weight"), "fix pool.train in the config")


@dataclass
class MethodConfig:
    name: str
    kwargs: dict = field(default_factory=dict)


@dataclass
class PoolConfig:
    groups: list[str] = field(default_factory=list)
    # Instead of named groups: this seeded share of the groups (source images) trains the pool.
    fraction: float | None = None
    methods: list[MethodConfig] = field(default_factory=list)
    train: TrainConfig = field(default_factory=TrainConfig)


@dataclass
class SQEDConfig:
    groups: list[str] = field(default_factory=list)  # none named: the groups the pool left
    # Test images: test_per_group of each group (2 by default with named groups), or a seeded
    # test_fraction of the groups (0.2 by default without); see rssqa.data.assignment.
    test_per_group: int | None = None
    test_fraction: float | None = None
    batch_size: int = 16
    # Below tile_size: overlapping tiles from the train split's images, for assessors to fit on.
    train_stride: int | None = None

    def __post_init__(self) -> None:
        refuse(below(self, 1, "batch_size", "train_stride", "test_per_group"), "fix sqed in the config")


@dataclass
class ComponentConfig:
    """A registry entry by name plus its keyword arguments."""

    name: str
    kwargs: dict = field(default_factory=dict)


@dataclass
class ExperimentConfig:
    name: str = "experiment"
    seed: int = 0
    tile_size: int = 256
    output: str = "runs/experiment"
    # The labelled source as ``rssqa.data.sources.create_source`` takes it: ``{kind: dubai, root: ...}``,
    # ``{kind: folder, images_dir: ..., masks_dir: ..., classmap: ...}``, or ``{kind: demo}``.
    data: dict = field(default_factory=lambda: {"kind": "demo"})
    pool: PoolConfig = field(default_factory=PoolConfig)
    sqed: SQEDConfig = field(default_factory=SQEDConfig)
    encoder: ComponentConfig = field(default_factory=lambda: ComponentConfig("efficientnet-lite0"))
    assessor: ComponentConfig = field(default_factory=lambda: ComponentConfig("rssqa"))
    # The accuracy assessors predict and selectors maximise: "oa" as in the paper, or "miou" /
    # "f1" where OA sits near 1 on tiles that are mostly background and hides what matters.
    target: str = "oa"
    # GeoTIFF sources and scenes: {bands: [3, 2, 1], scale: {percentiles: [2, 98]}, nodata: 0}
    # (rssqa.geo.settings.RasterSettings), stored with the trained pool so scenes are read alike.
    raster: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.raster:
            from rssqa.geo.settings import RasterSettings

            RasterSettings.from_dict(self.raster)  # refused here, not after the pool trains
        if isinstance(self.tile_size, bool) or self.tile_size <= 0:
            raise InputError(None, f"tile_size must be a positive number of pixels, got "
                             f"{self.tile_size}", "use e.g. tile_size: 256")
        if self.target not in TARGETS:
            raise InputError(None, f"target {self.target!r} is not an accuracy the SQED records",
                             f"use one of {', '.join(TARGETS)}")
        shared = sorted(set(self.pool.groups) & set(self.sqed.groups))
        if shared:
            raise InputError(None, f"group(s) {', '.join(shared)} are in both pool.groups and "
                             "sqed.groups", "the pool must never see the images it is assessed "
                             "on: list each group once")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def output_dir(self) -> Path:
        return Path(self.output)


def load_config(path: Path | str, overrides: dict | None = None) -> ExperimentConfig:
    return load_yaml_config(ExperimentConfig, path, "experiment config", "configs/dubai.yaml",
                            overrides)


def builtin_config(name: str) -> Path:
    """Path of a config shipped inside the package (``demo``)."""
    from importlib.resources import files

    return Path(str(files("rssqa") / "configs" / f"{name}.yaml"))
