"""Text2Seg as a pool member: zero-shot segmentation from class names, no training.

Config: ``{name: text2seg, kwargs: {route: offline, clip: runs/cliprs_dubai/clip_rs/model,
prompts: {Building: "...", Road: "...", ...}, background: Land}}``. ``prompts`` maps class-map
names to the text that describes them (classes left out are never predicted); ``background``
names the class that takes every pixel no prompt's mask covers, and every pixel whose best
prompt scores below ``background_threshold`` (without it, such pixels go to the lowest class
index). Model folders: ``sam``, ``grounding_dino``, ``clip`` (see
``rssqa.text2seg.route`` for which route needs which); ``options`` holds route settings.

What the assessor sees. The per-pixel class-score map before the argmax (C x H x W, one plane per
class of the class map; the background class's plane is at least the threshold) is this member's
classifier input: its mean over the tile is the pooled pre-classifier feature (C numbers, RS-SQA's
segmentation branch), and the map normalised to sum to 1 over the classes is the member's
probabilities (its confidence signals).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rssqa.cache import fingerprint
from rssqa.data.classmap import ClassMap
from rssqa.errors import InputError
from rssqa.pool.registry import MEMBER_KINDS
from rssqa.pool.member import Segmentation, TileRef
from rssqa.text2seg.route import create_route

# Keeps classes without a prompt (and pixels no class claims) at a probability near zero
# without dividing by zero.
_FLOOR = 1e-4
# The background's score where no mask of any prompt covers the pixel: above every score of 0,
# so such a pixel is background even with a background threshold of 0.
_UNCLAIMED = 0.01


@MEMBER_KINDS.register("text2seg")
class Text2SegMember:
    """Zero-shot segmentation from class prompts (Text2Seg routes; no training).

    A pool member like any other (``rssqa.pool.member.PoolMember``): ``route`` names one of
    ``rssqa.text2seg.route``'s routes, ``prompts`` maps class names to text, model folders are
    local (``sam``, ``grounding_dino``, ``clip``)."""

    kind = "text2seg"
    PATH_KWARGS = ("sam", "grounding_dino", "clip")  # recorded as absolute paths with the pool

    def __init__(self, classmap: ClassMap, prompts: dict[str, str], route: str = "offline",
                 label: str | None = None, background: str | None = None,
                 background_threshold: float = 0.0, sam: str | Path | None = None,
                 grounding_dino: str | Path | None = None, clip: str | Path | None = None,
                 options: dict | None = None):
        self.name = label or f"text2seg-{route}"
        self.num_classes = classmap.num_classes
        self.prompt_classes = _class_indices(classmap, list(prompts), self.name)
        self.background = None if background is None else _class_indices(classmap, [background],
                                                                          self.name)[0]
        self.background_threshold = float(background_threshold)
        models = {"sam": sam, "grounding_dino": grounding_dino, "clip": clip}
        self.route = create_route(route, list(prompts.values()), models, dict(options or {}))
        self.meta = {"kind": self.kind, "label": self.name, "num_classes": self.num_classes,
                     "prompts": dict(prompts), "background": background,
                     "background_threshold": self.background_threshold,
                     "classes": list(classmap.names), **self.route.identity}
        self.meta["fingerprint"] = fingerprint(self.meta)

    def check(self, ref: TileRef) -> None:
        """Any RGB tile will do: nothing to check."""

    def class_score_map(self, image: np.ndarray) -> np.ndarray:
        """C x H x W class scores of one image before the argmax (see the module docstring)."""
        planes = self.route.class_scores(np.ascontiguousarray(image, dtype=np.uint8))
        scores = np.zeros((self.num_classes, *image.shape[:2]), np.float32)
        for plane, c in zip(planes, self.prompt_classes):
            np.maximum(scores[c], plane, out=scores[c])  # two prompts may name one class
        if self.background is not None:
            floor = np.where(planes.max(axis=0) > 0, self.background_threshold,
                             max(self.background_threshold, _UNCLAIMED))
            np.maximum(scores[self.background], floor, out=scores[self.background])
        return scores

    def segment(self, images: np.ndarray, refs: list[TileRef] | None = None) -> Segmentation:
        """Each tile on its own, so a tile's result never depends on its batch."""
        score_maps = np.stack([self.class_score_map(image) for image in np.asarray(images)])
        floored = score_maps + _FLOOR
        probabilities = floored / floored.sum(axis=1, keepdims=True)
        return Segmentation(masks=score_maps.argmax(axis=1).astype(np.uint8),
                            probabilities=probabilities.astype(np.float32),
                            features=score_maps.mean(axis=(2, 3)).astype(np.float32))


def _class_indices(classmap: ClassMap, names: list[str], member: str) -> list[int]:
    known = list(classmap.names)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError(None, f"pool member {member!r} names classes {unknown} that the class "
                         "map does not have", f"use the class map's names: {', '.join(known)}")
    if not names:
        raise InputError(None, f"pool member {member!r} has no prompts",
                         "give prompts: {<class name>: <text describing it>, ...}")
    return [known.index(name) for name in names]
