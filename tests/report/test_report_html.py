import base64
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from rssqa.errors import InputError
from rssqa.report.html import Section, write_html_report


def _png(path):
    figure = Figure(figsize=(1, 1))
    figure.subplots().plot([0, 1], [0, 1])
    figure.savefig(path)
    return path


def test_report_is_one_file_with_tables_and_embedded_figures(tmp_path):
    figure = _png(tmp_path / "fig.png")
    table = pd.DataFrame({"PLCC": [0.81234, np.nan], "SROCC": [0.7, 0.6]},
                         index=["rs-sqa", "<b>brisque</b>"])
    out = write_html_report(tmp_path / "out" / "report.html", "Benchmark & co",
                            [Section("Table 3", "first paragraph\n\nsecond", [("accuracy", table)],
                                     [("scatter", figure)])])
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "Benchmark &amp; co" in page
    assert "0.8123" in page and "–" in page  # float format and missing value
    assert "&lt;b&gt;brisque&lt;/b&gt;" in page  # names are escaped, not rendered
    assert "<caption>accuracy</caption>" in page
    assert page.count("<p>") == 2
    embedded = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(embedded) == figure.read_bytes()
    assert "src=\"http" not in page and "fig.png" not in page  # nothing linked from outside


def test_missing_figure_is_a_clear_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_html_report(tmp_path / "r.html", "t", [Section("s", figures=[("x", tmp_path / "no.png")])])
