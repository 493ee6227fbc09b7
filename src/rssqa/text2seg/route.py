"""The shared interface of Text2Seg's routes, and the table that builds one by name.

A route turns one RGB image and the member's class prompts into a K x H x W float32 map of class
scores in [0, 1] (``rssqa.text2seg.scores``); the member resolves overlaps, applies the background
threshold and the class map. Routes that need foundation models take their local folders
(``sam``, ``grounding_dino``, ``clip``); every other setting is a route option.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from rssqa.registry import Registry, check_kwargs

MODEL_KWARGS = ("sam", "grounding_dino", "clip")


class Route(Protocol):
    """``name``: the route's registry name; ``identity``: JSON-able settings and model folders
    (with their digests), what the member's fingerprint records."""

    name: str
    identity: dict

    def class_scores(self, image: np.ndarray) -> np.ndarray:
        """K x H x W class scores of an H x W x 3 uint8 image, one plane per prompt."""


def _load_builtin_routes() -> None:
    # Each module registers its routes on import; they load (with their heavy imports) only when
    # a route is first named.
    import rssqa.text2seg.grounded_sam  # noqa: F401
    import rssqa.text2seg.offline  # noqa: F401
    import rssqa.text2seg.sam_clip  # noqa: F401
    import rssqa.text2seg.surgery_sam  # noqa: F401
    import rssqa.text2seg.vanilla_sam  # noqa: F401


ROUTES: Registry[type] = Registry("Text2Seg route", _load_builtin_routes)


def register_route(cls: type) -> type:
    """Class decorator: registers a route under its ``name``."""
    return ROUTES.add(cls.name, cls)


def create_route(name: str, prompts: Sequence[str], models: dict, options: dict) -> Route:
    """The route ``name`` over ``prompts``, given the model folders it needs (``models``) and its
    options; an unknown route or an unknown option is an InputError (a missing model folder is
    the route's own)."""
    cls = ROUTES.get(name)
    check_kwargs(cls, options, f"Text2Seg route {name!r}", supplied_by_caller=("prompts", *MODEL_KWARGS))
    parameters = inspect.signature(cls).parameters
    needed = {key: models.get(key) for key in MODEL_KWARGS if key in parameters}
    return cls(prompts=list(prompts), **needed, **options)
