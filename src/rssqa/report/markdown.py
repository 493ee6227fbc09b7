"""The same sections as the HTML report, as a markdown file.

Markdown is what a results file in a repository (BENCHMARKS.md, an issue comment) takes; figures
are linked relative to the report rather than embedded, so they must stay beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from rssqa.report.html import Section


def write_markdown_report(path: str | Path, title: str, sections: list[Section],
                          float_format: str = ".4g") -> Path:
    """Write ``sections`` as one markdown file at ``path`` (parents created); returns the path."""
    path = Path(path)
    lines = [f"# {title}", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for paragraph in filter(None, (p.strip() for p in section.text.split("\n\n"))):
            lines += [paragraph, ""]
        for caption, table in section.tables:
            if caption:
                lines += [f"**{caption}**", ""]
            lines += [_markdown_table(table, float_format), ""]
        for caption, image in section.figures:
            link = Path(os.path.relpath(Path(image).resolve(), path.parent.resolve())).as_posix()
            lines += [f"![{caption or Path(image).stem}]({link})", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _markdown_table(table: pd.DataFrame, float_format: str) -> str:
    # A multi-level index would print as tuples; one column per level reads as the HTML does.
    if isinstance(table.index, pd.MultiIndex):
        return table.reset_index().to_markdown(index=False, floatfmt=float_format)
    return table.to_markdown(floatfmt=float_format)
