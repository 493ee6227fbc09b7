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

from rssqa.errors import InputError

MODEL_KWARGS = ("sam", "grounding_dino", "clip")


class Route(Protocol):
    """``name``: the route's registry name; ``identity``: JSON-able settings and model folders
    (with their digests), what the member's fingerprint records."""

    name: str
    identity: dict

    def class_scores(self, image: np.ndarray) -> np.ndarray:
        """K x H x W class scores of an H x W x 3 uint8 image, one plane per prompt."""


def route_classes() -> dict[str, type]:
    """Route name -> class; imported here so that a route's heavy imports wait for its use."""
    from rssqa.text2seg.grounded_sam import GroundedSamRoute
    from rssqa.text2seg.offline import (
        OfflineRoute,
        SuperpixelClipRoute,
        SuperpixelSurgeryRoute,
    )
    from rssqa.text2seg.sam_clip import SamClipRoute
    from rssqa.text2seg.surgery_sam import SurgerySamRoute
    from rssqa.text2seg.vanilla_sam import VanillaSamRoute

    routes = (GroundedSamRoute, SurgerySamRoute, SamClipRoute, VanillaSamRoute,
              SuperpixelClipRoute, SuperpixelSurgeryRoute, OfflineRoute)
    return {route.name: route for route in routes}


ROUTE_NAMES = ("grounded-sam", "surgery-sam", "sam-clip", "sam", "superpixel-clip",
               "superpixel-surgery", "offline")


def create_route(name: str, prompts: Sequence[str], models: dict, options: dict) -> Route:
    """The route ``name`` over ``prompts``, given the model folders it needs (``models``) and its
    options; an unknown route, a missing model folder or an unknown option is an InputError."""
    classes = route_classes()
    if name not in classes:
        raise InputError(None, f"unknown Text2Seg route {name!r}", f"use one of {', '.join(classes)}")
    cls = classes[name]
    parameters = inspect.signature(cls.__init__).parameters
    accepted = [p for p in parameters if p not in ("self", "prompts", *MODEL_KWARGS)]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise InputError(None, f"Text2Seg route {name!r}: unknown options {unknown}",
                         f"accepted: {', '.join(accepted) or 'none'}")
    needed = {key: models.get(key) for key in MODEL_KWARGS if key in parameters}
    return cls(prompts=list(prompts), **needed, **options)
