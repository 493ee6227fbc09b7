"""Named things of one kind, so that configs and the CLI say ``{name: ..., kwargs: ...}`` and never
import classes.

Six registries, each a :class:`Registry`: segmentation methods, semantic encoders, assessors, data
sources, pool-member kinds and Text2Seg routes. An entry is registered once, with a decorator
(``@ASSESSORS.register("prior")``) or, for ready-made objects such as a
:class:`~rssqa.segzoo.base.SegMethod`, with ``add``; it may
carry default keyword arguments (register one class under several names with other defaults by
stacking the decorator, as pyiqa does with its metrics). A second entry under a taken name is a
programming error and raises at import time. An unknown name is the user's error
(:class:`~rssqa.errors.UnknownNameError`) and lists the known names, the nearest first.

Built-in entries register themselves when their modules are imported; a registry is given the
function that imports them, so that looking a name up never depends on what happened to be
imported before.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from rssqa.errors import InputError, UnknownNameError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered ``target`` (a class, a factory or an object) and its default kwargs."""

    name: str
    target: T
    defaults: dict[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """Entries of one ``kind`` ("assessor", "segmentation method", ...) by name."""

    def __init__(self, kind: str, load_builtins: Callable[[], None] | None = None):
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._load_builtins = load_builtins

    def register(self, name: str, **defaults: Any) -> Callable[[T], T]:
        """Decorator registering a class or factory under ``name`` with default kwargs."""

        def decorator(target: T) -> T:
            self.add(name, target, **defaults)
            return target

        return decorator

    def add(self, name: str, target: T, **defaults: Any) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = Entry(name, target, dict(defaults))
        return target

    def entry(self, name: str) -> Entry[T]:
        self._ensure_loaded()
        if name not in self._entries:
            known = nearest_first(name, sorted(self._entries))
            raise UnknownNameError(None, f"unknown {self.kind} {name!r}", f"use one of: {', '.join(known)}")
        return self._entries[name]

    def get(self, name: str) -> T:
        """The registered target itself (nothing is constructed)."""
        return self.entry(name).target

    def create(self, name: str, **kwargs: Any) -> Any:
        """``target(**defaults, **kwargs)``; kwargs the target does not take, or required ones
        that are missing, are one error naming them and listing what it takes."""
        self.check(name, kwargs)
        entry = self.entry(name)
        return entry.target(**{**entry.defaults, **kwargs})

    def check(self, name: str, kwargs: dict[str, Any], supplied_by_caller: tuple[str, ...] = ()) -> None:
        """What ``create`` would refuse, found without constructing anything: an unknown name,
        kwargs the target does not take or required ones missing (``check_kwargs``)."""
        entry = self.entry(name)
        check_kwargs(entry.target, {**entry.defaults, **kwargs}, f"{self.kind} {name!r}",
                     supplied_by_caller)

    def names(self) -> list[str]:
        self._ensure_loaded()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._ensure_loaded()
        return name in self._entries

    def _ensure_loaded(self) -> None:
        if self._load_builtins is not None:
            # Cleared first: the modules it imports register into this registry meanwhile.
            load, self._load_builtins = self._load_builtins, None
            try:
                load()
            except BaseException:
                self._load_builtins = load  # a failed import is retried, not half-remembered
                raise



def nearest_first(name: object, known: Iterable[str]) -> list[str]:
    """``known``, in its order, with the (up to three) names closest to ``name`` moved to the
    front: what a message about a typo lists, so that ``fnp`` is answered with ``fpn`` first."""
    known = list(known)
    near = difflib.get_close_matches(str(name), known, n=3, cutoff=0.6)
    return near + [other for other in known if other not in near]


def check_kwargs(target: Callable, kwargs: dict[str, Any], what: str,
                 supplied_by_caller: tuple[str, ...] = ()) -> None:
    """Raise one :class:`InputError` when ``kwargs`` do not fit ``target``'s signature: unknown
    names and missing required ones, with what it accepts. ``supplied_by_caller`` are parameters
    the code passes itself (never the user). A target taking ``**kwargs`` accepts any name."""
    given_by_caller = sorted(set(supplied_by_caller) & set(kwargs))
    if given_by_caller:  # the call would pass them twice
        raise InputError(None, f"{what}: {', '.join(given_by_caller)} cannot be set here",
                         "rssqa passes it itself: remove it from the kwargs")
    parameters = inspect.signature(target).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    accepted = [p for p in parameters if p != "self" and p not in supplied_by_caller
                and parameters[p].kind is not inspect.Parameter.VAR_POSITIONAL]
    required = [p for p in accepted if parameters[p].default is inspect.Parameter.empty]
    unknown = sorted((str(key) for key in set(kwargs) - set(accepted)))
    missing = [p for p in required if p not in kwargs]
    problems = ([f"unknown setting(s) {', '.join(unknown)}"] if unknown else []) \
        + ([f"missing setting(s) {', '.join(missing)}"] if missing else [])
    if problems:  # the names nearest the first unknown one first: a typo's fix leads the list
        listed = nearest_first(unknown[0], accepted) if unknown else accepted
        raise InputError(None, f"{what}: {'; '.join(problems)}",
                         f"it takes: {', '.join(listed) or 'nothing'}"
                         + (f" (required: {', '.join(required)})" if required else ""))
