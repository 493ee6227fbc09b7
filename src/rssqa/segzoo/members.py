"""Pool members that rssqa does not train: created from a ``pool.methods`` entry, and kept as a
small ``member.json`` in the experiment's pool folder so that ``rssqa recommend`` and ``rssqa
serve`` (which load the pool from that folder) find them as they find trained methods.

``{name: predictions, kwargs: {...}}`` is a folder of saved predictions
(``rssqa.segzoo.predictions``); ``{name: torch, kwargs: {...}}`` a user's PyTorch model
(``rssqa.segzoo.torch_member``). Every other name is a registry method that rssqa trains.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from rssqa.data.classmap import ClassMap
from rssqa.registry import check_kwargs
from rssqa.segzoo.member import MEMBER_KINDS, PoolMember
from rssqa.utils import atomic_write_text

MEMBER_FILE = "member.json"
_PATH_KWARGS = ("dir", "weights", "program", "sam", "grounding_dino", "clip")  # made absolute


def is_external(name: str) -> bool:
    return name in MEMBER_KINDS


def create_member(kind: str, kwargs: dict, classmap: ClassMap) -> PoolMember:
    """The member a ``{name: kind, kwargs: ...}`` entry describes (given the experiment's class
    map when its constructor takes one); unknown or missing kwargs are an error listing the
    accepted ones."""
    cls = MEMBER_KINDS.get(kind)
    check_kwargs(cls, kwargs, f"pool member {{name: {kind}}}", supplied_by_caller=("classmap",))
    if "classmap" in inspect.signature(cls).parameters:
        return cls(classmap=classmap, **kwargs)
    return cls(**kwargs)


def save_member(directory: Path, kind: str, kwargs: dict, classmap: ClassMap) -> None:
    """Record an external member in ``directory/member.json`` (paths made absolute)."""
    recorded = {key: str(Path(value).expanduser().resolve()) if key in _PATH_KWARGS and value
                else value for key, value in kwargs.items()}
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_text(directory / MEMBER_FILE, json.dumps(
        {"kind": kind, "kwargs": recorded, "classmap": classmap.to_dict()}, indent=2))


def load_member(directory: Path) -> PoolMember:
    """The member ``save_member`` recorded in ``directory``."""
    spec = json.loads((Path(directory) / MEMBER_FILE).read_text())
    return create_member(spec["kind"], spec["kwargs"], ClassMap.from_dict(spec["classmap"]))
