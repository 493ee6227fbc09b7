"""Pool members that rssqa does not train: created from a ``pool.methods`` entry, and kept as a
small ``member.json`` in the experiment's pool folder so that ``rssqa recommend`` and ``rssqa
serve`` (which load the pool from that folder) find them as they find trained methods.

``{name: predictions, kwargs: {...}}`` is a folder of saved predictions
(``rssqa.pool.predictions``); ``{name: torch, kwargs: {...}}`` a user's PyTorch model
(``rssqa.pool.torch_member``). Every other name is a registry method that rssqa trains.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from rssqa.config import ComponentConfig
from rssqa.data.classmap import ClassMap
from rssqa.errors import InputError
from rssqa.registry import check_kwargs
from rssqa.pool.registry import MEMBER_KINDS
from rssqa.pool.member import PoolMember
from rssqa.files import atomic_write_text

MEMBER_FILE = "member.json"


def is_external(name: str) -> bool:
    return name in MEMBER_KINDS


def member_names(methods: list[ComponentConfig]) -> list[str]:
    """The name each pool member's accuracy is recorded under: a method's own name, or the
    ``kwargs.label`` of a member rssqa does not train; one error when two share a name."""
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
    paths = getattr(MEMBER_KINDS.get(kind), "PATH_KWARGS", ())
    recorded = {key: str(Path(value).expanduser().resolve()) if key in paths and value
                else value for key, value in kwargs.items()}
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_text(directory / MEMBER_FILE, json.dumps(
        {"kind": kind, "kwargs": recorded, "classmap": classmap.to_dict()}, indent=2))


def load_member(directory: Path) -> PoolMember:
    """The member ``save_member`` recorded in ``directory``; a damaged record is an InputError
    naming it (``rssqa build`` writes it anew from the config)."""
    path = Path(directory) / MEMBER_FILE
    try:
        spec = json.loads(path.read_text())
        kind, kwargs, classmap = spec["kind"], dict(spec["kwargs"]), spec["classmap"]
    except (OSError, ValueError, KeyError, TypeError) as error:  # ValueError: also JSON, UTF-8
        raise InputError(path, f"is not a readable pool member record ({type(error).__name__}: "
                         f"{error})", "run `rssqa build -c CONFIG` again: it records the member "
                         "anew from pool.methods") from None
    return create_member(kind, kwargs, ClassMap.from_dict(classmap))
