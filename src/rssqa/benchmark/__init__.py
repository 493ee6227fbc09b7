"""The benchmark: baselines, ablations, seeds, bootstrap statistics, conformal coverage and one
HTML report, from one YAML protocol (``rssqa benchmark -c CONFIG``).

The names below load on first use: the command line imports this package's light config module
without paying for torch and the assessors.
"""

from importlib import import_module

_EXPORTS = {"BenchmarkConfig": "config", "RunSpec": "config", "BenchmarkData": "runner",
            "RunResult": "runner"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
