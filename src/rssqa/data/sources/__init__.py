"""Where labelled imagery comes from: one reader per dataset plus a generic folder reader.

A source has ``samples() -> list[Sample]`` and a ``classmap`` (None for unlabelled imagery).
Configs name a source by kind::

    source: {kind: dubai, root: ../shared/data/dubai}
    source: {kind: folder, images_dir: scenes/img, masks_dir: scenes/lbl,
             classmap: {classes: [{name: road, colour: "#FFFF00"}], ignore: ["#000000"]}}
    source: {kind: potsdam, root: data/Potsdam, bands: IRRG, labels: eroded}

The published datasets (``vaihingen``, ``potsdam``, ``loveda``, ``uavid``, ``floodnet``,
``deepglobe``, ``openearthmap``) are read in the folder layout their publishers ship, with their
own class maps; each says in its docstring what layout it expects and where to get it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from rssqa.data.classmap import ClassMap
from rssqa.data.sources.deepglobe import DeepGlobeLandCoverSource
from rssqa.data.sources.dubai import DubaiSource
from rssqa.data.sources.floodnet import FloodNetSource
from rssqa.data.sources.folder import FolderSource
from rssqa.data.sources.isprs import PotsdamSource, VaihingenSource
from rssqa.data.sources.loveda import LoveDASource
from rssqa.data.sources.openearthmap import OpenEarthMapSource
from rssqa.data.sources.registry import SOURCES
from rssqa.data.sources.spacenet import SpaceNetRoadsSource
from rssqa.data.sources.uavid import UAVidSource
from rssqa.data.types import Sample


class Source(Protocol):
    classmap: ClassMap | None

    def samples(self) -> list[Sample]: ...


def create_source(kind: str, **kwargs) -> Source:
    """Build the source named ``kind`` from config keyword arguments (a ``classmap`` may be given
    as a mapping, as it is in YAML)."""
    if isinstance(kwargs.get("classmap"), Mapping):
        kwargs["classmap"] = ClassMap.from_dict(kwargs["classmap"])
    return SOURCES.create(kind, **kwargs)


__all__ = ["DeepGlobeLandCoverSource", "DubaiSource", "FloodNetSource", "FolderSource",
           "LoveDASource", "OpenEarthMapSource", "PotsdamSource", "SOURCES", "Source",
           "SpaceNetRoadsSource", "UAVidSource", "VaihingenSource", "create_source"]
