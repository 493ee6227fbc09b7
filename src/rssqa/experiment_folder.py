"""An experiment's output folder is rssqa's only where nothing of somebody else's is in the way.

The stages write fixed names at the top of the config's ``output:`` folder (``pool/``, ``sqed/``,
``assessors/``, ``reports/``, ``splits.json``, ``sqed_report.txt``, ``run_<command>.json``). Pointed
at a folder that already holds such a name rssqa did not write (``output: .`` in a project with
its own ``reports/``), a build would write over it. So every command that writes there first
claims the folder: a folder rssqa marked (``.rssqa-experiment``) or that holds an earlier rssqa
experiment's records is rssqa's, as is one where none of those names is taken; otherwise the
command stops before writing anything, naming what is in the way. Other files in the folder are
never touched either way.
"""

from __future__ import annotations

import json
from pathlib import Path

from rssqa.errors import InputError
from rssqa.files import atomic_write_text

MARKER = ".rssqa-experiment"
FOLDERS = ("pool", "sqed", "assessors", "reports")  # (its recommend/ keeps its own record)
FILES = ("splits.json", "sqed_report.txt", "sqed_report.attempt.txt")
RUN_RECORDS = "run_*.json"


def claim_experiment_folder(folder: str | Path) -> Path:
    """Mark ``folder`` as an rssqa experiment, or raise one InputError naming the entries rssqa
    would write over; returns the folder."""
    folder = Path(folder)
    if not (folder / MARKER).is_file() and not _holds_an_earlier_experiment(folder):
        taken = _names_in_the_way(folder)
        if taken:
            shown = ", ".join(taken[:4]) + (f" and {len(taken) - 4} more" if len(taken) > 4 else "")
            raise InputError(folder, f"already holds {shown}, not written by rssqa, where an "
                             "experiment writes its own",
                             "set `output:` in the config to a new or empty folder, or move them")
    if not (folder / MARKER).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / MARKER, json.dumps({"written_by": "rssqa", "holds": "an experiment"}))
    return folder


def _names_in_the_way(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(entry.name for entry in folder.iterdir()
                  if entry.name in FOLDERS or entry.name in FILES or entry.match(RUN_RECORDS))


def _holds_an_earlier_experiment(folder: Path) -> bool:
    """An experiment folder from before the marker: one of the records every build leaves,
    with rssqa's content (a run record, the split assignment, the build's report)."""
    if not folder.is_dir():
        return False
    records = [_json(path) for path in folder.glob(RUN_RECORDS)]
    if any("command" in record and "config" in record for record in records):
        return True
    splits = _json(folder / "splits.json")
    if "rule" in splits and "groups" in splits:
        return True
    report = folder / "sqed_report.txt"
    try:
        return report.is_file() and report.read_text(errors="replace").startswith("rssqa build:")
    except OSError:
        return False


def _json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
