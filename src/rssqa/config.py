"""Typed experiment configuration, loaded from YAML and validated with messages that say where.

One YAML file describes a whole experiment: the labelled source, which groups train the pool and
which build the SQED, the pool's methods, the semantic encoder and the assessor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rssqa.errors import InputError, RssqaError, UnknownNameError
from rssqa.registry import check_kwargs, nearest_first
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


def load_config(path: Path | str, overrides: dict | None = None,
                check_names: bool = True) -> ExperimentConfig:
    """The experiment config in the YAML file ``path`` (plus ``overrides``), every mistake one
    InputError naming the file. An empty file is refused (it would silently mean the demo data
    and ``runs/experiment``). With ``check_names``, every name the config gives a registry is
    checked as the stages would check it (``check_registered``), so that every command, not
    only the one that uses the entry, refuses a config ``rssqa build`` would refuse; this
    imports the registries, and with them torch."""
    config = load_yaml_config(ExperimentConfig, path, "experiment config", "configs/dubai.yaml",
                              overrides, refuse_empty=not overrides)
    if check_names:
        try:
            check_registered(config)
        except InputError as error:
            raise InputError(path, error.problem, error.hint or "fix the config") from None
    return config


def check_registered(config: ExperimentConfig) -> None:
    """Each registry entry the config names exists and its kwargs fit: the data source kind, the
    pool's methods and member kinds (and that their names are distinct), the encoder, and the
    assessor (cheap to make, so made: its nested settings are checked too). Kwargs are checked
    against signatures, nothing is loaded or trained; an error says where (``pool.methods[1]``)."""
    _check_source(config.data)
    check_pool(config.pool.methods)
    from rssqa.encoders.registry import ENCODERS

    ENCODERS.check(config.encoder.name, config.encoder.kwargs)
    _check_assessor(config.assessor)


# Keys of ``data`` that rssqa.pipeline.load_source reads itself; the rest go to the source.
_GROUPING_KEYS = ("kind", "group_by", "block_tiles")


def _check_source(data: dict) -> None:
    from rssqa.data.sources.registry import SOURCES

    kind = data.get("kind", "demo")
    if not isinstance(kind, str):
        raise InputError(None, f"data.kind must be text, got {kind!r}", "e.g. kind: folder")
    if kind == "demo":  # the embedded demo data, read by rssqa.data.demo, takes no settings
        return
    if kind not in SOURCES:
        known = nearest_first(kind, sorted([*SOURCES.names(), "demo"]))
        raise UnknownNameError(None, f"unknown source kind {kind!r} in data.kind",
                               f"use one of: {', '.join(known)}")
    SOURCES.check(kind, {k: v for k, v in data.items() if k not in _GROUPING_KEYS})


def check_pool(methods: list[MethodConfig]) -> list[str]:
    """Each ``pool.methods`` entry is a registered method or member kind whose kwargs fit; returns
    the members' names (``member_names``)."""
    from rssqa.segzoo.base import METHODS
    from rssqa.segzoo.member import MEMBER_KINDS

    for index, entry in enumerate(methods):
        with _located(f"pool.methods[{index}]"):
            if entry.name in MEMBER_KINDS:
                check_kwargs(MEMBER_KINDS.get(entry.name), entry.kwargs,
                             f"pool member {{name: {entry.name}}}", supplied_by_caller=("classmap",))
            elif entry.name in METHODS:
                method = METHODS.get(entry.name)
                check_kwargs(method.build, {**method.defaults, **entry.kwargs},
                             f"segmentation method {entry.name!r}",
                             supplied_by_caller=("num_classes", "pretrained"))
            else:
                known = nearest_first(entry.name, [*METHODS.names(), *MEMBER_KINDS.names()])
                raise UnknownNameError(None, f"unknown segmentation method {entry.name!r}",
                                       f"use one of: {', '.join(known)}")
    return member_names(methods)


def member_names(methods: list[MethodConfig]) -> list[str]:
    """The name each pool member's accuracy is recorded under: a method's own name, or the
    ``kwargs.label`` of a member rssqa does not train; one error when two share a name."""
    from rssqa.segzoo.member import MEMBER_KINDS

    names = []
    for index, entry in enumerate(methods):
        name = entry.kwargs.get("label") if entry.name in MEMBER_KINDS else entry.name
        if not name or not isinstance(name, str):
            problem = "has no kwargs.label" if not name else f"kwargs.label must be text, got {name!r}"
            raise InputError(None, f"pool.methods[{index}] ({{name: {entry.name}}}) {problem}",
                             "give every member rssqa does not train (predictions, torch, "
                             "text2seg) a label: the name its accuracy is recorded under")
        if name in names:
            raise InputError(None, f"pool.methods[{index}] is named {name!r}, as "
                             f"pool.methods[{names.index(name)}] is",
                             "give each member a distinct name (kwargs.label for members rssqa "
                             "does not train)")
        names.append(name)
    return names


def _check_assessor(assessor: ComponentConfig) -> None:
    from rssqa.assess.registry import ASSESSORS

    ASSESSORS.check(assessor.name, assessor.kwargs)
    with _located("assessor.kwargs"):
        try:
            ASSESSORS.create(assessor.name, **assessor.kwargs)
        except RssqaError:
            raise
        except Exception as error:  # noqa: BLE001 - a constructor refusing a value it was given
            raise InputError(None, f"assessor {assessor.name!r} refuses them "
                             f"({type(error).__name__}: {error})", "fix them") from None


@contextmanager
def _located(where: str) -> Iterator[None]:
    """Prefix the InputError raised inside with where in the config it was found."""
    try:
        yield
    except InputError as error:
        raise type(error)(error.path, f"{where}: {error.problem}", error.hint) from None


def builtin_config(name: str) -> Path:
    """Path of a config shipped inside the package (``demo``)."""
    from importlib.resources import files

    return Path(str(files("rssqa") / "configs" / f"{name}.yaml"))
