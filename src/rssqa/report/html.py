"""One self-contained HTML page from tables and figures.

Figures are embedded as base64 PNG so the report is a single file that can be mailed, attached to
an issue or opened offline; nothing is fetched when it is viewed.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rssqa.errors import InputError

_NAN_CELL = re.compile(r"^\s*nan(\s*\[\s*nan\s*,\s*nan\s*\])?\s*$", re.IGNORECASE)

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f2f2f2; }
td:first-child, th:first-child { text-align: left; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .3em; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: .9em; color: #555; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5em 1em; }
"""


@dataclass
class Section:
    """A heading, optional paragraphs (plain text, blank-line separated), tables and figures.

    tables: (caption, DataFrame) pairs; figures: (caption, PNG path) pairs.
    """

    title: str
    text: str = ""
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, Path]] = field(default_factory=list)


def write_html_report(path: str | Path, title: str, sections: list[Section],
                      float_format: str = "{:.4f}") -> Path:
    """Write ``sections`` as one HTML file at ``path`` (parents created); returns the path."""
    path = Path(path)
    body = [f"<h1>{html.escape(title)}</h1>"]
    for section in sections:
        body.append(render_section(section, float_format))
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def render_section(section: Section, float_format: str = "{:.4f}") -> str:
    parts = [f"<section><h2>{html.escape(section.title)}</h2>"]
    for paragraph in filter(None, (p.strip() for p in section.text.split("\n\n"))):
        parts.append(f"<p>{html.escape(paragraph)}</p>")
    for caption, table in section.tables:
        parts.append(render_table(table, caption, float_format))
    for caption, image in section.figures:
        parts.append(render_figure(image, caption))
    parts.append("</section>")
    return "\n".join(parts)


def render_table(table: pd.DataFrame, caption: str = "", float_format: str = "{:.4f}") -> str:
    """An HTML table; a default 0..n-1 index is left out (it means nothing to a reader), and
    formatted cells with no value ("nan [nan, nan]") read "n/a"."""
    table = table.map(lambda cell: "n/a" if isinstance(cell, str) and _NAN_CELL.match(cell)
                      else cell) if len(table) else table
    rendered = table.to_html(float_format=float_format.format, escape=True, border=0,
                             na_rep="–", index=not isinstance(table.index, pd.RangeIndex))
    if caption:
        rendered = rendered.replace(">", f"><caption>{html.escape(caption)}</caption>", 1)
    return rendered


def render_figure(image: str | Path, caption: str = "") -> str:
    image = Path(image)
    if not image.is_file():
        raise InputError(image, "figure file does not exist", "create the plot before the report")
    if image.suffix.lower() != ".png":
        raise InputError(image, "only PNG figures can be embedded", "save the figure as .png")
    encoded = base64.b64encode(image.read_bytes()).decode("ascii")
    alt = html.escape(caption or image.stem)
    parts = [f'<figure><img alt="{alt}" src="data:image/png;base64,{encoded}">']
    if caption:
        parts.append(f"<figcaption>{html.escape(caption)}</figcaption>")
    parts.append("</figure>")
    return "".join(parts)
