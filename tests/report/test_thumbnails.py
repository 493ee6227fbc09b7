"""Report thumbnails of the best and worst predicted tiles, and tables without bare index or nan."""

import numpy as np
import pandas as pd
from PIL import Image

from rssqa.data.classmap import ClassMap
from rssqa.report.html import render_table
from rssqa.report.thumbnails import TileSample, draw_thumbnails, extreme_tiles


def _sample(n=8, size=16, methods=("a", "b")):
    rng = np.random.default_rng(0)
    predicted = rng.uniform(0, 1, (n, len(methods)))
    return TileSample(
        images=rng.integers(0, 255, (n, size, size, 3), dtype=np.uint8),
        masks=rng.integers(0, 2, (n, size, size), dtype=np.uint8),
        predictions={m: rng.integers(0, 2, (n, size, size), dtype=np.uint8) for m in methods},
        predicted=predicted, true=rng.uniform(0, 1, (n, len(methods))), methods=list(methods),
        picks=np.argmax(predicted, axis=1))


def test_extreme_tiles_are_the_best_and_worst_predicted_picks():
    sample = _sample()
    picked = sample.predicted.max(axis=1)
    rows = extreme_tiles(sample, count=2)
    assert [label for label, _ in rows] == ["best predicted #1", "best predicted #2",
                                            "worst predicted #1", "worst predicted #2"]
    assert [i for _, i in rows] == list(np.argsort(-picked)[:2]) + list(np.argsort(picked)[:2])
    assert len(extreme_tiles(_sample(n=1), count=3)) == 1  # one tile is drawn once


def test_thumbnail_grid_has_a_row_per_tile_and_a_column_per_panel(tmp_path):
    classmap = ClassMap(names=["x", "y"], colours=["#FF0000", "#0000FF"])
    path = draw_thumbnails(_sample(), classmap, tmp_path / "thumbs.png", count=2)
    width, height = Image.open(path).size
    assert width > height * 0.9  # 4 columns (image, truth, a, b) by 4 rows, at 1.9 x 2.0 in
    without_truth = _sample()
    without_truth.masks = without_truth.true = None
    narrow = Image.open(draw_thumbnails(without_truth, classmap, tmp_path / "t2.png", count=2)).size
    assert narrow[0] < width and narrow[1] == height


def test_tables_drop_a_default_index_and_say_n_a():
    table = pd.DataFrame({"assessor": ["prior", "rssqa"], "PLCC": ["nan [nan, nan]", "0.61 [0.5, 0.7]"]})
    html = render_table(table)
    assert "n/a" in html and "nan" not in html and "<th></th>" not in html
    named = render_table(table.set_index("assessor"))
    assert "<th>prior</th>" in named
