"""Assessors by name, so configs and the CLI say ``assessor: prior`` and never import classes.

An assessor class registers itself with ``@register_assessor(name, **defaults)`` (stack the
decorator to register one class under several names with different defaults). The name is also
the ``kind`` its saved ``assessor.json`` records, which is how ``load_assessor`` finds the class.
A new baseline is one module under ``assess/baselines/`` plus one import line in that package's
``__init__``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rssqa.assess.base import Assessor
from rssqa.assess.checkpoint import MANIFEST, read_manifest
from rssqa.errors import CheckpointError


@dataclass(frozen=True)
class _Entry:
    cls: type[Assessor]
    defaults: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, _Entry] = {}


def register_assessor(name: str, **defaults: Any) -> Callable[[type[Assessor]], type[Assessor]]:
    """Class decorator: ``create_assessor(name, **kw)`` builds ``cls(**defaults, **kw)``."""

    def decorator(cls: type[Assessor]) -> type[Assessor]:
        if name in _REGISTRY:
            raise ValueError(f"assessor {name!r} is registered twice")
        _REGISTRY[name] = _Entry(cls, dict(defaults))
        return cls

    return decorator


def available_assessors() -> list[str]:
    _load_builtin_assessors()
    return sorted(_REGISTRY)


def create_assessor(name: str, **kwargs: Any) -> Assessor:
    """A new, unfitted assessor; ``kwargs`` override the registered defaults."""
    entry = _lookup(name)
    return entry.cls(**{**entry.defaults, **kwargs})


def assessor_class(name: str) -> type[Assessor]:
    """The class registered as ``name`` (nothing is constructed)."""
    return _lookup(name).cls


def seeded_kwargs(name: str, kwargs: dict[str, Any], seed: int) -> dict[str, Any]:
    """``kwargs`` with ``seed`` put where the assessor's constructor takes it: a ``seed``
    parameter, or a ``config`` mapping (RS-SQA, the selectors); unchanged for a deterministic
    assessor, which has neither."""
    parameters = inspect.signature(assessor_class(name)).parameters
    kwargs = dict(kwargs)
    if "seed" in parameters:
        kwargs["seed"] = seed
    elif "config" in parameters:
        config = kwargs.get("config") or {}
        config = config.to_dict() if hasattr(config, "to_dict") else dict(config)
        kwargs["config"] = {**config, "seed": seed}
    return kwargs


def load_assessor(directory: str | Path) -> Assessor:
    """Load any saved assessor: the kind recorded in its ``assessor.json`` picks the class."""
    kind = read_manifest(directory)["kind"]
    try:
        entry = _lookup(kind)
    except KeyError as error:
        raise CheckpointError(Path(directory) / MANIFEST, str(error.args[0]),
                              "install the rssqa version or plug-in that saved it") from None
    return entry.cls.load(directory)


def _lookup(name: str) -> _Entry:
    _load_builtin_assessors()
    if name not in _REGISTRY:
        raise KeyError(f"unknown assessor {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def _load_builtin_assessors() -> None:
    # Importing these modules runs their @register_assessor decorators, once.
    import rssqa.assess.baselines  # noqa: F401
    import rssqa.assess.rssqa  # noqa: F401
    import rssqa.assess.selectors  # noqa: F401
