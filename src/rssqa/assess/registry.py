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
from pathlib import Path
from typing import Any

from rssqa.assess.base import Assessor
from rssqa.assess.checkpoint import MANIFEST, read_manifest
from rssqa.errors import CheckpointError
from rssqa.registry import Registry


def _load_builtin_assessors() -> None:
    # Importing these modules runs their @register_assessor decorators, once.
    import rssqa.assess.baselines  # noqa: F401
    import rssqa.assess.paper_rssqa  # noqa: F401
    import rssqa.assess.stacked  # noqa: F401
    import rssqa.assess.selectors  # noqa: F401


ASSESSORS: Registry[type[Assessor]] = Registry("assessor", _load_builtin_assessors)


def register_assessor(name: str, **defaults: Any) -> Callable[[type[Assessor]], type[Assessor]]:
    """Class decorator: ``create_assessor(name, **kw)`` builds ``cls(**defaults, **kw)``."""
    return ASSESSORS.register(name, **defaults)


def available_assessors() -> list[str]:
    return ASSESSORS.names()


def create_assessor(name: str, **kwargs: Any) -> Assessor:
    """A new, unfitted assessor; ``kwargs`` override the registered defaults."""
    return ASSESSORS.create(name, **kwargs)


def assessor_class(name: str) -> type[Assessor]:
    """The class registered as ``name`` (nothing is constructed)."""
    return ASSESSORS.get(name)


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
    if kind not in ASSESSORS:
        raise CheckpointError(Path(directory) / MANIFEST, f"unknown assessor kind {kind!r}",
                              "install the rssqa version or plug-in that saved it")
    return ASSESSORS.get(kind).load(directory)
