"""Scenes that must never take a batch down: unreadable, all nodata, damaged resume files, a
tiny file declaring 100000 x 100000 pixels, and option values that cannot work. Each is one line
naming the file or option, on stderr; the other scenes and images of the folder still run."""

from __future__ import annotations

import io
import json
import socket
import time

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.windows import Window
from rich.console import Console
from typer.testing import CliRunner

from rssqa.cli import app
from rssqa.errors import InputError
from rssqa.geo.command import print_outcome, recommend_scene_files
from rssqa.geo.options import check_scene_options
from rssqa.raster.grid import TileGrid
from rssqa.geo.plan import MAX_SCENE_PIXELS, ScenePlan, plan_text
from rssqa.geo.scaleout import SceneOutcome
from rssqa.geo.scene import PARTS_DIR, SceneJob
from tests.conftest import changed_files, folder_checksums
from tests.geo.conftest import CRS, TRANSFORM, write_scene


def recommend(folder, experiment, out, *options):
    """`rssqa recommend` on ``folder``: (exit code, stdout, stderr)."""
    args = ["recommend", folder, "-c", experiment, "--assessor", "prior", "--out", out,
            "--workers", "1", "--quiet", *options]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def run_scenes(paths, experiment, out, **kwargs):
    """recommend_scene_files in this process: (outcomes, stdout text, stderr text)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    outcomes = recommend_scene_files(paths, experiment, "prior", out, workers=1, quiet=True,
                                     console=Console(file=stdout, width=200),
                                     err_console=Console(file=stderr, width=200), **kwargs)
    return outcomes, stdout.getvalue(), stderr.getvalue()


def write_jpeg(path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 40, 3), np.uint8)).save(path)
    return path


def write_sparse_scene(path, side=100_000):
    """A few hundred kB of GeoTIFF that declares ``side`` x ``side`` pixels (all but one block
    never written: GDAL's sparse files)."""
    profile = {"driver": "GTiff", "width": side, "height": side, "count": 4, "dtype": "uint16",
               "nodata": 0, "crs": CRS, "transform": TRANSFORM, "tiled": True, "blockxsize": 512,
               "blockysize": 512, "sparse_ok": True, "bigtiff": "YES", "compress": "deflate"}
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(np.full((4, 64, 64), 1000, np.uint16), window=Window(0, 0, 64, 64))
    return path


# -- 1. one bad scene must not stop the folder -----------------------------------------------------

def test_an_unreadable_scene_is_skipped_and_the_jpeg_beside_it_still_processed(geo_experiment, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.tif").write_bytes(b"not a tiff")
    write_jpeg(folder / "photo.jpg")
    code, stdout, stderr = recommend(folder, geo_experiment, tmp_path / "out")
    assert code == 1
    skipped = [line for line in stderr.splitlines() if "broken.tif" in line]
    assert len(skipped) == 1 and "cannot be read as a raster" in skipped[0], stderr
    assert "broken.tif" not in stdout
    assert (tmp_path / "out" / "photo_segmentation.png").is_file()


def test_an_all_nodata_scene_is_one_reason_and_writes_nothing_rerun_after_rerun(geo_experiment, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_scene(folder / "empty.tif", height=60, width=70, nodata_box=(slice(0, 60), slice(0, 70)))
    write_scene(folder / "good.tif", height=60, width=70)
    write_jpeg(folder / "photo.jpg")
    for rerun in ([], ["--overwrite"]):  # a rerun used to crash printing the empty scene's summary
        code, stdout, stderr = recommend(folder, geo_experiment, tmp_path / "out", *rerun)
        assert code == 1
        reasons = [line for line in stderr.splitlines() if "empty.tif" in line]
        assert len(reasons) == 1 and "no valid pixel: nothing to assess" in reasons[0], stderr
        assert not list((tmp_path / "out").glob("empty_*")), "no outputs that look like results"
        assert "good: " in stdout and (tmp_path / "out" / "good_summary.json").is_file()
        assert (tmp_path / "out" / "photo_segmentation.png").is_file()
    assert not (tmp_path / "out" / PARTS_DIR).exists()


def test_a_summary_without_an_accuracy_prints_instead_of_crashing(tmp_path):
    """Summaries an earlier version wrote for scenes without data hold None accuracies."""
    stdout = io.StringIO()
    summary = {"tiles": {"assessed": 0}, "recommended": None, "best_of_predicted_accuracy": None}
    print_outcome(SceneOutcome(SceneJob(tmp_path / "old.tif", tmp_path, "old"), summary),
                  Console(file=stdout), Console(file=io.StringIO()))
    assert "old: 0 tiles, recommended None; best-of predicted accuracy unknown" in stdout.getvalue()


def test_skip_reasons_go_to_stderr_and_results_to_stdout(geo_experiment, tmp_path):
    (tmp_path / "broken.tif").write_bytes(b"not a tiff")
    good = write_scene(tmp_path / "good.tif", height=60, width=70)
    outcomes, stdout, stderr = run_scenes([tmp_path / "broken.tif", good], geo_experiment, tmp_path / "out")
    assert [o.error is None for o in outcomes] == [False, True]  # returned, not raised
    assert stderr.startswith(f"skipped {tmp_path / 'broken.tif'}: cannot be read") and "good" not in stderr
    assert "broken" not in stdout and "good: " in stdout


def test_a_folder_of_only_bad_scenes_returns_their_reasons_without_raising(geo_experiment, tmp_path):
    (tmp_path / "a.tif").write_bytes(b"")
    (tmp_path / "b.tif").write_bytes(b"II*\x00")
    outcomes, stdout, stderr = run_scenes([tmp_path / "a.tif", tmp_path / "b.tif"], geo_experiment,
                                          tmp_path / "out")
    assert all(o.error for o in outcomes) and stdout == ""
    assert [line.split(":")[0] for line in stderr.splitlines()] == \
        [f"skipped {tmp_path / 'a.tif'}", f"skipped {tmp_path / 'b.tif'}"]


# -- 2. a damaged resume file is redone, with a warning naming it -----------------------------------

@pytest.mark.parametrize("overwrite", [False, True])
def test_a_truncated_resume_batch_is_discarded_redone_and_named(geo_experiment, tmp_path, monkeypatch,
                                                                  overwrite):
    from rssqa.recommend import Recommender

    scene = write_scene(tmp_path / "scene.tif")
    reference, _, _ = run_scenes([scene], geo_experiment, tmp_path / "reference")
    original, calls = Recommender.assess_batch, []

    def interrupted_at_the_third_batch(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(Recommender, "assess_batch", interrupted_at_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        run_scenes([scene], geo_experiment, tmp_path / "out")
    monkeypatch.setattr(Recommender, "assess_batch", original)
    damaged = tmp_path / "out" / PARTS_DIR / "scene" / "batch_00000000.npz"
    damaged.write_bytes(damaged.read_bytes()[:200])  # cut off, as by a full disk or a kill
    (outcome,), stdout, stderr = run_scenes([scene], geo_experiment, tmp_path / "out", overwrite=overwrite)
    assert outcome.error is None and "scene: " in stdout
    warnings = [line for line in stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and str(damaged) in warnings[0] and "assessed again" in warnings[0]
    for name in ("scene_segmentation.tif", "scene_quality.tif", "scene_summary.json"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes()
    assert outcome.summary == reference[0].summary
    assert not (tmp_path / "out" / PARTS_DIR).exists()


def test_a_damaged_calibration_is_a_warning_naming_it_and_the_scene_still_runs(geo_experiment,
                                                                              tmp_path):
    import shutil

    import yaml

    config = yaml.safe_load(geo_experiment.read_text())
    run = shutil.copytree(geo_experiment.parent / "run", tmp_path / "run")
    copy = tmp_path / "experiment.yaml"
    copy.write_text(yaml.safe_dump({**config, "output": str(run)}))
    calibration = run / "assessors" / "prior" / "conformal.json"
    calibration.write_text('{"half_widths": ')
    scene = write_scene(tmp_path / "scene.tif", height=60, width=70)
    (outcome,), stdout, stderr = run_scenes([scene], copy, tmp_path / "out")
    assert outcome.error is None and "scene: " in stdout
    assert outcome.summary["interval"] is None
    warnings = [line for line in stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and str(calibration) in warnings[0], stderr


def test_the_resume_folder_deletes_only_its_own_files(geo_experiment, tmp_path):
    scene = write_scene(tmp_path / "scene.tif", height=60, width=70)
    parts = tmp_path / "out" / PARTS_DIR / "scene"
    parts.mkdir(parents=True)
    (parts / "state.json").write_text('{"fingerprint": "another run"}')
    (parts / "batch_00000000.npz").write_bytes(b"another run's batch")
    notes = parts / "notes.txt"
    notes.write_text("mine")
    (outcome,), _, _ = run_scenes([scene], geo_experiment, tmp_path / "out")
    assert outcome.error is None
    assert sorted(parts.iterdir()) == [notes] and notes.read_text() == "mine"


def test_a_file_where_the_resume_folder_goes_skips_that_scene_only(geo_experiment, tmp_path):
    scenes = [write_scene(tmp_path / f"{name}.tif", height=60, width=70) for name in ("a", "b")]
    (tmp_path / "out" / PARTS_DIR).mkdir(parents=True)
    (tmp_path / "out" / PARTS_DIR / "a").write_text("mine")
    (skipped, done), _, stderr = run_scenes(scenes, geo_experiment, tmp_path / "out")
    assert done.error is None and (tmp_path / "out" / PARTS_DIR / "a").read_text() == "mine"
    assert stderr == f"skipped {tmp_path / 'out' / PARTS_DIR / 'a'}: is a file where the scene's " \
                     "resume folder goes. move it away, or choose another --out\n"


# -- 3. a scene over the pixel limit is refused from its header; the plan comes first --------------

def test_a_huge_sparse_scene_is_refused_from_its_header_and_the_others_run(geo_experiment, tmp_path):
    huge = write_sparse_scene(tmp_path / "huge.tif")
    assert huge.stat().st_size < 2_000_000
    good = write_scene(tmp_path / "good.tif", height=60, width=70)
    started = time.monotonic()
    (refused, done), stdout, stderr = run_scenes([huge, good], geo_experiment, tmp_path / "out")
    assert time.monotonic() - started < 60  # not the hours its 15 million tiles would take
    assert refused.error and done.error is None
    (line,) = [line for line in stderr.splitlines() if "huge.tif" in line]
    for needle in (str(huge), "100,000 x 100,000", f"{MAX_SCENE_PIXELS:,}", "--max-pixels 10000000000"):
        assert needle in line, line
    assert not (tmp_path / "out" / PARTS_DIR).exists() and not list((tmp_path / "out").glob("huge*"))
    plan, *results = stdout.splitlines()
    assert plan.startswith("plan: 1 scene(s), 9 tiles of 32 px") and "resume files" in plan
    assert any(line.startswith("good: ") for line in results)


def test_the_plan_of_a_100000_px_scene_states_hours_and_gigabytes(tmp_path):
    job = SceneJob(tmp_path / "huge.tif", tmp_path, "huge")
    text = plan_text([ScenePlan(job, TileGrid(100_000, 100_000, 256, 32))], methods=2, processes=1)
    assert text.startswith("plan: 1 scene(s), 199,809 tiles of 256 px, each through 2 method(s)")
    assert "about 16.7 h on 1 process(es)" in text  # 199,809 tiles x 3 networks x 0.1 s
    assert "26.2 GB of resume files" in text and "13.3 GB of outputs" in text  # mask + confidence bytes


def test_raising_the_pixel_limit_lets_a_large_scene_through(geo_experiment, tmp_path):
    scene = write_scene(tmp_path / "scene.tif", height=60, width=70)
    (outcome,), _, stderr = run_scenes([scene], geo_experiment, tmp_path / "out", max_pixels=1000)
    assert "is 70 x 60 = 4,200 pixels, over the limit of 1,000 (--max-pixels)" in outcome.error
    assert stderr.count("\n") == 1
    (outcome,), stdout, _ = run_scenes([scene], geo_experiment, tmp_path / "out", max_pixels=4200)
    assert outcome.error is None and stdout.startswith("plan: 1 scene(s)")


# -- 4. option values that cannot work are one line naming the option, before anything loads --------

@pytest.mark.parametrize("options, needle", [
    ({"workers": 0}, "--workers must be at least 1, not 0"),
    ({"workers": -3}, "--workers must be at least 1, not -3"),
    ({"max_pixels": 0}, "--max-pixels must be at least 1, not 0"),
    ({"overlap": 7, "tile_size": 256}, "--overlap 7 must be even"),
    ({"overlap": -2, "tile_size": 256}, "--overlap -2 must be even, at least 0"),
    ({"overlap": 256, "tile_size": 256}, "less than the tile size 256"),
    ({"scheduler": "not-an-address"}, "--scheduler not-an-address is not a scheduler address"),
])
def test_bad_scene_options_are_one_line_naming_the_option(options, needle):
    with pytest.raises(InputError, match=needle.replace("-", r"\-")) as raised:
        check_scene_options(**options)
    assert "\n" not in str(raised.value)


def test_an_unreachable_scheduler_is_named_within_seconds():
    with socket.socket() as probe:  # a port nothing listens on once this closes
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    started = time.monotonic()
    with pytest.raises(InputError, match=f"--scheduler {address}: nothing answers there"):
        check_scene_options(scheduler=address)
    assert time.monotonic() - started < 10


def test_good_scene_options_pass():
    check_scene_options(None, 2, 32, 256, MAX_SCENE_PIXELS)


# -- 6. every file a scene writes is known before it runs and listed in its summary ------------------

def test_a_scene_writes_exactly_its_listed_outputs_and_its_summary_names_them_all(geo_experiment, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    kept = write_jpeg(out / "mine.jpg")  # a file rssqa did not write, in the output folder
    before = folder_checksums(out)
    scene = write_scene(tmp_path / "scene.tif", height=60, width=70)
    (outcome,), _, _ = run_scenes([scene], geo_experiment, out)
    written = {path for path in out.iterdir() if path != kept}
    assert written == set(outcome.job.output_paths())  # with a calibration: the interval map too
    assert {out / name for name in outcome.summary["files"].values()} == written
    assert json.loads(outcome.job.summary_path().read_text())["files"] == outcome.summary["files"]
    assert changed_files(before, folder_checksums(out)) == []
    assert not any(path.exists() for path in outcome.job.work_paths())


# -- outputs rssqa did not write --------------------------------------------------------------------

def test_a_users_file_named_like_a_scene_output_stops_the_run_untouched(geo_experiment, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_scene(folder / "site.tif", height=60, width=70)
    out = tmp_path / "out"
    out.mkdir()
    (out / "site_quality.tif").write_bytes(b"an analyst's own quality raster")
    before = folder_checksums(out, folder)
    for rerun in ([], ["--overwrite"]):
        code, stdout, stderr = recommend(folder, geo_experiment, out, *rerun)
        assert code == 2
        errors = [line for line in stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "site_quality.tif" in errors[0] and "did not write" in errors[0]
        assert changed_files(before, folder_checksums(out, folder)) == []


def test_scene_outputs_are_recorded_and_a_rerun_with_overwrite_keeps_the_users_files(geo_experiment,
                                                                                    tmp_path):
    from rssqa.owned_outputs import OwnedFolder

    folder = tmp_path / "in"
    folder.mkdir()
    write_scene(folder / "site.tif", height=60, width=70)
    out = tmp_path / "out"
    assert recommend(folder, geo_experiment, out)[0] == 0
    owned = OwnedFolder(out)
    assert {p.name for p in owned.earlier()} == {p.name for p in SceneJob(folder / "site.tif", out,
                                                                             "site").output_paths()
                                                 if p.exists()}
    (out / "notes.txt").write_text("mine")
    assert recommend(folder, geo_experiment, out, "--overwrite")[0] == 0
    assert (out / "notes.txt").read_text() == "mine"
