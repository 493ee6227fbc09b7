"""Typed experiment configuration, loaded from YAML and validated with messages that say where.

One YAML file describes a whole experiment: the labelled source, which groups train the pool and
which build the SQED, the pool's methods, the semantic encoder and the assessor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from rssqa.errors import InputError
from rssqa.raster.settings import RasterSettings
from rssqa.typed_config import below, load_yaml_config, not_positive, refuse


TARGETS = ("oa", "miou", "f1")  # the labels rssqa.sqed.store.SQEDStore records per tile and method
TARGET_NAMES = {"oa": "OA", "miou": "mIoU", "f1": "F1"}  # as tables and messages write them
CLASS_IOU = "iou:"  # a target "iou:road": the IoU of one class, from the store's masks


def target_name(target: str) -> str:
    """A target as tables and messages write it: "OA", "mIoU", "F1" or "road IoU"."""
    name = class_of(target)
    return TARGET_NAMES[target] if name is None else f"{name} IoU"


def is_target(value: object) -> bool:
    """Whether ``value`` names an accuracy rssqa can predict: one of ``TARGETS`` or "iou:<class>"
    (whether the class exists is the experiment's to say)."""
    return isinstance(value, str) and (value in TARGETS or class_of(value) is not None)


def class_of(target: str) -> str | None:
    """The class a class-IoU target ("iou:road") names; None for the other targets."""
    return target[len(CLASS_IOU):] if target.startswith(CLASS_IOU) else None


DEFAULT_TEST_PER_GROUP = 2    # named SQED groups: images of each held out for test
DEFAULT_TEST_FRACTION = 0.2   # otherwise: the paper's 8:2 split by source image


@dataclass(frozen=True)
class SplitRule:
    """The settings that choose the splits, as the experiment config gives them."""

    seed: int = 0
    pool_groups: tuple[str, ...] = ()
    pool_fraction: float | None = None
    sqed_groups: tuple[str, ...] = ()
    test_per_group: int | None = None
    test_fraction: float | None = None

    def __post_init__(self) -> None:
        if self.pool_groups and self.pool_fraction is not None:
            raise InputError(None, "pool.groups and pool.fraction are both set",
                             "name the pool's groups or give its share, not both")
        if self.test_per_group is not None and self.test_fraction is not None:
            raise InputError(None, "sqed.test_per_group and sqed.test_fraction are both set",
                             "hold out a number of images per group or a share of the groups")

    @property
    def test_rule(self) -> tuple[str, float]:
        """``("test_per_group", n)`` or ``("test_fraction", f)``, defaults resolved."""
        if self.test_fraction is not None:
            return "test_fraction", self.test_fraction
        if self.test_per_group is not None or self.sqed_groups:
            return "test_per_group", (DEFAULT_TEST_PER_GROUP if self.test_per_group is None
                                      else self.test_per_group)
        return "test_fraction", DEFAULT_TEST_FRACTION

    def build_info(self) -> dict:
        """What the SQED manifest records of this rule (named groups and per-group test count
        keep the keys older stores were fingerprinted with)."""
        name, value = self.test_rule
        info = {"groups": list(self.sqed_groups), "seed": self.seed, name: value}
        if self.pool_fraction is not None:
            info["pool_fraction"] = self.pool_fraction
        return info


@dataclass(frozen=True)
class Layout:
    """Where an experiment keeps each stage's output."""

    root: Path

    @property
    def pool(self) -> Path:
        return self.root / "pool"

    @property
    def sqed(self) -> Path:
        return self.root / "sqed"

    @property
    def assessors(self) -> Path:
        return self.root / "assessors"

    @property
    def reports(self) -> Path:
        return self.root / "reports"


@dataclass(frozen=True)
class PoolTrainConfig:
    """How ``rssqa.pool.train.train_method`` trains a pool member (kept here, beside the other
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
class ComponentConfig:
    """A registry entry by name plus its keyword arguments."""

    name: str
    kwargs: dict = field(default_factory=dict)


@dataclass
class PoolConfig:
    groups: list[str] = field(default_factory=list)
    # Instead of named groups: this seeded share of the groups (source images) trains the pool.
    fraction: float | None = None
    methods: list[ComponentConfig] = field(default_factory=list)
    train: PoolTrainConfig = field(default_factory=PoolTrainConfig)


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
    # "f1" where OA sits near 1 on tiles that are mostly background and hides what matters, or
    # "iou:<class>" where one class is what matters (a road analyst's "iou:road").
    target: str = "oa"
    # GeoTIFF sources and scenes: {bands: [3, 2, 1], scale: {percentiles: [2, 98]}, nodata: 0}
    # (rssqa.raster.settings.RasterSettings), stored with the trained pool so scenes are read alike.
    raster: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.tile_size, bool) or self.tile_size <= 0:
            raise InputError(None, f"tile_size must be a positive number of pixels, got "
                             f"{self.tile_size}", "use e.g. tile_size: 256")
        if not is_target(self.target):
            raise InputError(None, f"target {self.target!r} is not an accuracy the SQED records",
                             f"use one of {', '.join(TARGETS)} or {CLASS_IOU}<class> (one class's IoU)")
        shared = sorted(set(self.pool.groups) & set(self.sqed.groups))
        if shared:
            raise InputError(None, f"group(s) {', '.join(shared)} are in both pool.groups and "
                             "sqed.groups", "the pool must never see the images it is assessed "
                             "on: list each group once")
        # Derived once, here, for every stage to read (the config is not changed after loading).
        # A bad raster section is refused now, not after the pool trains.
        self.raster_settings = RasterSettings.from_dict(self.raster) if self.raster else None
        self.split_rule = SplitRule(self.seed, tuple(self.pool.groups), self.pool.fraction,
                                    tuple(self.sqed.groups), self.sqed.test_per_group,
                                    self.sqed.test_fraction)
        self.layout = Layout(Path(self.output))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def output_dir(self) -> Path:
        return Path(self.output)


def load_config(path: Path | str, overrides: dict | None = None) -> ExperimentConfig:
    """The experiment config in the YAML file ``path`` (plus ``overrides``), every mistake of shape
    or value one InputError naming the file. An empty file is refused (it would silently mean the
    demo data and ``runs/experiment``). Names given to registries are checked one floor up
    (``rssqa.config_check.read_config``), where the registries are."""
    return load_yaml_config(ExperimentConfig, path, "experiment config", "configs/dubai.yaml",
                            overrides, refuse_empty=not overrides)


def builtin_config(name: str) -> Path:
    """Path of a config shipped inside the package (``demo``)."""
    from importlib.resources import files

    return Path(str(files("rssqa") / "configs" / f"{name}.yaml"))
