"""Edge cells of a scene are assessed like interior ones, and its segmentation has no seams.

The issue: in GeoTIFF outputs the last row and column of cells recommended another method far
more often than interior cells (10/19 and 12/19 against 1.4 % inside), because their tiles were
padded past the scene's edge. A scene made by mirroring one real image holds the same kind of
imagery everywhere, so its edge cells have no reason to be recommended differently.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from PIL import Image

from rssqa.data import demo_data_root
from rssqa.geo.experiment import ExperimentRef, load_scene_experiment
from rssqa.geo.scene import SceneJob, recommend_scene
from rssqa.raster.grid import TileGrid
from tests.conftest import torch_threads, trained_tiny_experiment
from tests.geo.conftest import CRS, TRANSFORM, invoke
from rssqa.raster.seams import seam_rates, seams_over_bound
from tests.pipeline.test_seamless_images import blocky_image

# 485 = 20 * 24 + 5 and 605 = 25 * 24 + 5 px: with 32-px tiles and the default 8-px overlap
# (24-px cells) the last row and column of cells are partial, where padding used to show.
HEIGHT, WIDTH = 485, 605
# A demo image whose interior picks are steady (about 2 % off the scene's pick) but not constant.
IMAGE = "tile8_image_part_001.jpg"
Z = 3.0  # standard errors: a scene without edge bias exceeds it about 0.3 % of the time


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """The tiny pool with the RS-SQA assessor: the prior recommends one method whatever the tile,
    so it could never show an edge bias."""
    config = trained_tiny_experiment(tmp_path_factory.mktemp("edge_cells"))
    with torch_threads(1):
        invoke("train", "-c", config, "--assessors", "rssqa", "--quiet")
    return load_scene_experiment(ExperimentRef(config, "rssqa", threads=1))


def write_rgb_scene(path, rgb: np.ndarray):
    profile = {"driver": "GTiff", "width": rgb.shape[1], "height": rgb.shape[0], "count": 3,
               "dtype": "uint8", "crs": CRS, "transform": TRANSFORM}
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(rgb.transpose(2, 0, 1))
    return path


def mirrored_scene(path):
    """The demo image with its mirror images beside and below it, cut to HEIGHT x WIDTH."""
    image = np.asarray(Image.open(demo_data_root() / "images" / IMAGE).convert("RGB"))
    pad = ((0, HEIGHT - image.shape[0]), (0, WIDTH - image.shape[1]), (0, 0))
    return write_rgb_scene(path, np.pad(image, pad, mode="symmetric"))


def edge_cells(shape: tuple[int, int]) -> np.ndarray:
    edge = np.zeros(shape, bool)
    edge[[0, -1]] = edge[:, [0, -1]] = True
    return edge


def edge_excess(picks: np.ndarray) -> tuple[float, float, dict]:
    """(share of edge cells recommending another method than the scene's most common pick, less
    that share among interior cells; its standard error on a scene without edge bias; counts).

    The noise model: recommendations follow the imagery, and imagery runs in strips (a road along
    a row of cells), so the cells of one grid line are not independent draws, and the edge is
    just two rows and two columns. The standard error is therefore a cluster-robust one, lines
    as clusters: the variance of the share between interior rows (and columns), scaled to the
    two rows and two columns the edge is made of. It is never taken below the plain
    two-proportion (pooled binomial) one, which holds where the interior lines happen to agree.
    On the eight demo images mirrored this way the slid tiles gave |excess| <= 2.2 standard
    errors; zero-padded edge tiles gave 4.7 to 10 on the five whose interior picks are steady.
    """
    rows, cols = picks.shape
    off = (picks != np.bincount(picks.ravel()).argmax()).astype(float)
    edge = edge_cells(picks.shape)
    inner = off[1:-1, 1:-1]
    n_edge, n_inner = int(edge.sum()), int((~edge).sum())
    row_var, col_var = inner.mean(axis=1).var(ddof=1), inner.mean(axis=0).var(ddof=1)
    lines = (2 * cols ** 2 * row_var + 2 * (rows - 2) ** 2 * col_var) / n_edge ** 2
    lines += min(row_var / (rows - 2), col_var / (cols - 2))  # the interior share's own
    pooled = off.mean()
    binomial = pooled * (1 - pooled) * (1 / n_edge + 1 / n_inner)
    counts = {"edge": (int(off[edge].sum()), n_edge), "interior": (int(off[~edge].sum()), n_inner),
              "last row": (int(off[-1].sum()), cols), "last column": (int(off[:, -1].sum()), rows)}
    return off[edge].mean() - off[~edge].mean(), float(np.sqrt(max(lines, binomial))), counts


def test_the_noise_bound_flags_the_issues_edge_bias():
    """The issue's bias (on a 20 x 20 grid, 10 cells of the last row and 12 of the last column
    off the scene's pick, 1.4 % inside) lies far beyond the bound; the map without it does not."""
    rng = np.random.default_rng(0)
    picks = (rng.random((20, 20)) < 0.014).astype(int)
    excess, error, _ = edge_excess(picks)
    assert abs(excess) <= Z * error
    picks[-1, :10] = picks[:12, -1] = 1
    excess, error, counts = edge_excess(picks)
    assert excess > Z * error, counts


def test_a_mirrored_scene_recommends_alike_on_edge_and_interior_cells(experiment, tmp_path):
    import pyogrio
    import shapely

    job = SceneJob(mirrored_scene(tmp_path / "mirrored.tif"), tmp_path / "out", "mirrored")
    summary = recommend_scene(job, experiment.recommender, experiment.settings, experiment.intervals)
    grid = TileGrid(HEIGHT, WIDTH, summary["tiles"]["size"], summary["tiles"]["overlap"])
    assert HEIGHT % grid.step and WIDTH % grid.step  # the last row and column are partial
    with rasterio.open(job.output_path("recommended")) as dataset:
        picks = dataset.read(1)
    assert picks.shape == (grid.rows, grid.cols)
    assert (picks < len(summary["methods"])).all()  # every cell assessed, none nodata

    # The cells end at the scene's edge: together they cover it exactly, none reaches past it.
    meta, _, geometry, values = pyogrio.raw.read(job.output_path("cells"))
    table, cells = dict(zip(meta["fields"], values)), shapely.from_wkb(geometry)
    with rasterio.open(job.path) as scene:
        box = shapely.box(*scene.bounds)
    assert len(cells) == grid.rows * grid.cols
    assert all(box.covers(cell) for cell in cells)
    assert np.isclose(shapely.area(cells).sum(), box.area)  # no overlap, no gap
    assert shapely.union_all(cells).equals(box)
    assert [summary["methods"][p] for p in picks[table["row"], table["col"]]] == list(table["recommended"])

    excess, error, counts = edge_excess(picks)
    assert counts["interior"][0] > 0  # the picks vary: a constant map would prove nothing
    assert abs(excess) <= Z * error, (f"edge cells off the scene's pick {excess:+.3f} more often "
                                      f"than interior ones, bound {Z * error:.3f}: {counts}")


# The tiny models' masks are noisy in a band about 8 px deep along their tiles' edges (a mask
# changes class between neighbouring rows up to 0.25 of the time in its last rows, 0.003 mid-tile).
# Where the overlap is narrower than two such bands, no tile is sure there and no blend can hide
# it: on the default grid of their 32-px tiles (8-px overlap) 0.009 of the steady pairs change
# class along the rows' window edges against 0.002 inside. Real models' bands are narrower than
# a quarter of their tiles (benchmarks/seams.py: no seam on the demo's models); for these, 16 px.
WIDE_OVERLAP = 16


def blocky_scene_labels(experiment, folder, overlap=None):
    """(predicted class map, true classes, grid) of a HEIGHT x WIDTH scene of class blocks (the
    tiny models' classes, so their truth holds), on the default grid or with ``overlap``."""
    image, truth = blocky_image(HEIGHT, WIDTH)
    job = SceneJob(write_rgb_scene(folder / "blocky.tif", image), folder / "out", "blocky",
                   overlap=overlap)
    summary = recommend_scene(job, experiment.recommender, experiment.settings, experiment.intervals)
    with rasterio.open(job.output_path("segmentation")) as dataset:
        labels = dataset.read(1)
    return labels, truth, TileGrid(HEIGHT, WIDTH, summary["tiles"]["size"], summary["tiles"]["overlap"])


@pytest.fixture(scope="module")
def blocky_segmentation(experiment, tmp_path_factory):
    return blocky_scene_labels(experiment, tmp_path_factory.mktemp("blocky"))


def test_a_scene_segmentation_changes_class_no_more_across_cell_borders_than_inside(blocky_segmentation):
    """The mean absolute difference of the predicted class map between neighbouring pixels whose
    true class does not change (tests.pipeline.test_seamless_images), across the cell borders,
    where the blend hands over from one tile to the next, against inside the tiles. Votes of
    labels alone switched there wherever neighbouring tiles disagree (0.22 and 0.13 of the
    steady pairs across the borders of rows and columns against about 0.01 inside); weighted by
    the tiles' confidence, the surer tile wins the overlap."""
    measured = seam_rates(*blocky_segmentation)
    assert not seams_over_bound(measured, "cell borders"), seams_over_bound(measured, "cell borders")


def test_with_an_overlap_wider_than_the_models_unsure_band_no_tile_boundary_shows(
        experiment, tmp_path_factory):
    """Across window edges and cell borders alike, no more class changes than inside tiles,
    once the overlap is wider than the band where the tiny models are unsure (WIDE_OVERLAP)."""
    measured = seam_rates(*blocky_scene_labels(experiment, tmp_path_factory.mktemp("wide"),
                                               overlap=WIDE_OVERLAP))
    for kind in ("window edges", "cell borders"):
        assert not seams_over_bound(measured, kind), f"{kind}: {seams_over_bound(measured, kind)}"
