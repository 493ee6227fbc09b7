import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from rssqa.report.html import Section
from rssqa.report.markdown import write_markdown_report


def test_markdown_report_has_sections_tables_and_relative_figure_links(tmp_path):
    figure_path = tmp_path / "figures" / "scatter.png"
    figure_path.parent.mkdir()
    figure = Figure(figsize=(1, 1))
    figure.subplots().plot([0, 1], [0, 1])
    figure.savefig(figure_path)
    table = pd.DataFrame({"PLCC": [0.81234, np.nan]}, index=["rs-sqa", "brisque"])
    per_method = pd.DataFrame({"SROCC": [0.7, 0.6]}, index=pd.MultiIndex.from_tuples(
        [("rs-sqa", "unet"), ("rs-sqa", "fpn")], names=["assessor", "method"]))

    out = write_markdown_report(tmp_path / "report.md", "Benchmark",
                                [Section("Table 3", "first\n\nsecond", [("accuracy", table), ("", per_method)],
                                         [("scatter", figure_path)])])
    text = out.read_text()
    assert text.startswith("# Benchmark\n") and "## Table 3" in text
    assert "first\n\nsecond" in text and "**accuracy**" in text
    assert "| rs-sqa  |" in text and "0.8123" in text
    assert "| assessor   | method   |" in text and "('rs-sqa'" not in text  # one column per level
    assert "![scatter](figures/scatter.png)" in text  # opens from the report's folder
