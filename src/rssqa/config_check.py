"""A config held against the registries: every name it gives a method, member kind, data
source, encoder or assessor exists, and the settings it gives each fit. Every command reads its
config through :func:`read_config`, so none accepts a config that ``rssqa build`` would refuse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rssqa.config import ComponentConfig, ExperimentConfig, load_config
from rssqa.errors import InputError, RssqaError, UnknownNameError
from rssqa.pool.records import member_names
from rssqa.registry import check_kwargs, nearest_first


def read_config(path: Path | str, overrides: dict | None = None) -> ExperimentConfig:
    """The experiment config in ``path``, checked as the stages would check it; every mistake
    one InputError naming the file."""
    config = load_config(path, overrides)
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


# Keys of ``data`` that rssqa.data.labelled.load_source reads itself; the rest go to the source.
_GROUPING_KEYS = ("kind", "group_by", "block_tiles")


def _check_source(data: dict) -> None:
    from rssqa.data.sources.registry import SOURCES

    kind = data.get("kind", "demo")
    if not isinstance(kind, str):
        raise InputError(None, f"data.kind must be text, got {kind!r}", "e.g. kind: folder")
    if kind == "demo":  # the embedded demo data, read by rssqa.data.sources.demo, takes no settings
        return
    if kind not in SOURCES:
        known = nearest_first(kind, sorted([*SOURCES.names(), "demo"]))
        raise UnknownNameError(None, f"unknown source kind {kind!r} in data.kind",
                               f"use one of: {', '.join(known)}")
    SOURCES.check(kind, {k: v for k, v in data.items() if k not in _GROUPING_KEYS})


def check_pool(methods: list[ComponentConfig]) -> list[str]:
    """Each ``pool.methods`` entry is a registered method or member kind whose kwargs fit; returns
    the members' names (``member_names``)."""
    from rssqa.segzoo.base import METHODS
    from rssqa.pool.registry import MEMBER_KINDS

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
