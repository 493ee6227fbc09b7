"""The source kinds a config's ``data: {kind: ...}`` may name; each reader registers itself with
``@SOURCES.register(kind)``."""

from __future__ import annotations

from rssqa.registry import Registry


def _load_builtin_sources() -> None:
    import rssqa.data.sources  # noqa: F401  (importing the package imports every reader)


SOURCES: Registry[type] = Registry("source kind", _load_builtin_sources)
