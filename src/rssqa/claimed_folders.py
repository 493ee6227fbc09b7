"""Output folders whose layout rssqa fixes (an experiment, a benchmark) are rssqa's only where
nothing of somebody else's is in the way.

An experiment writes fixed names at the top of the config's ``output:`` folder (``pool/``,
``sqed/``, ``assessors/``, ``reports/``, ``splits.json``, ``sqed_report.txt``,
``run_<command>.json``), a benchmark its ``report.html``, ``tables/``, ``figures/`` and
``predictions/``. Pointed at a folder that already holds such a name rssqa did not write
(``output: .`` in a project with its own ``reports/``), a run would write over it. So every
command that writes there first claims the folder: one rssqa marked, or that holds an earlier
run's records, is rssqa's, as is one where none of those names is taken; otherwise the command
stops before writing anything, naming what is in the way. Other files in the folder are never
touched either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rssqa.cache import read_record
from rssqa.errors import InputError
from rssqa.files import atomic_write_text


@dataclass(frozen=True)
class FolderKind:
    """What a folder of this kind holds, the setting that names it, the marker rssqa leaves in
    it, the names it writes at its top (glob patterns), and how to recognise one made before
    the marker."""

    holds: str
    setting: str
    marker: str
    names: tuple[str, ...]
    made_earlier: Callable[[Path], bool]


def claim_folder(folder: str | Path, kind: FolderKind) -> Path:
    """Mark ``folder`` as rssqa's ``kind`` of folder, or raise one InputError naming the entries
    rssqa would write over; returns the folder."""
    folder = Path(folder)
    if (folder / kind.marker).is_file():
        return folder
    taken = [] if folder.is_dir() and kind.made_earlier(folder) else _names_in_the_way(folder, kind)
    if taken:
        shown = ", ".join(taken[:4]) + (f" and {len(taken) - 4} more" if len(taken) > 4 else "")
        raise InputError(folder, f"already holds {shown}, not written by rssqa, where "
                         f"{kind.holds} writes its own",
                         f"set {kind.setting} to a new or empty folder, or move them")
    folder.mkdir(parents=True, exist_ok=True)
    marker = {"written_by": "rssqa", "holds": kind.holds}
    atomic_write_text(folder / kind.marker, json.dumps(marker))
    return folder


def _names_in_the_way(folder: Path, kind: FolderKind) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(entry.name for entry in folder.iterdir()
                  if any(entry.match(name) for name in kind.names))


def _an_earlier_experiment(folder: Path) -> bool:
    """One of the records every build leaves, with rssqa's content: a run record, the split
    assignment, the build's report."""
    if any("command" in record and "config" in record
           for record in map(_record, folder.glob("run_*.json"))):
        return True
    splits = _record(folder / "splits.json")
    if "rule" in splits and "groups" in splits:
        return True
    try:
        return (folder / "sqed_report.txt").read_text(errors="replace").startswith("rssqa build:")
    except OSError:
        return False


def _an_earlier_benchmark(folder: Path) -> bool:
    return _record(folder / "run_benchmark.json").get("command") == "benchmark"


def _record(path: Path) -> dict:
    return read_record(path) or {}


# (An experiment's recommend/ keeps its own record of what rssqa wrote: rssqa.owned_outputs.)
EXPERIMENT = FolderKind("an experiment", "`output:` in the config", ".rssqa-experiment",
                        ("pool", "sqed", "assessors", "reports", "splits.json", "sqed_report.txt",
                         "sqed_report.attempt.txt", "run_*.json"), _an_earlier_experiment)
BENCHMARK = FolderKind("a benchmark", "`--output` (or the benchmark config's `output:`)",
                       ".rssqa-benchmark",
                       ("report.html", "tables", "figures", "predictions", "run_benchmark.json"),
                       _an_earlier_benchmark)
