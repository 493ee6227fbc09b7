"""`rssqa recommend` never replaces or deletes a file it did not write, and never assesses its own
outputs: it owns what it wrote by the output folder's manifest (name and checksum)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from rssqa.errors import InputError
from rssqa.owned_outputs import MANIFEST, OwnedFolder
from tests.conftest import changed_files, folder_checksums
from tests.pipeline.test_bad_inputs import fake_experiment, invoke, one_line_error, read_json  # noqa: F401


def user_file(path, text="the user's own"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_overwrite_never_deletes_files_named_like_outputs(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assert invoke("recommend", images, "-c", config, "--out", out, "--quiet").exit_code == 0
    mine = [user_file(out / name) for name in ("groundtruth_labels.png", "field_segmentation.png",
                                                "notes_labels.png")]
    before = folder_checksums(images, *mine)
    result = invoke("recommend", images / "a.png", "-c", config, "--out", out, "--overwrite", "--quiet")
    assert result.exit_code == 0, result.output
    assert changed_files(before, folder_checksums(images, *mine)) == []
    assert not (out / "b_labels.png").exists()  # rssqa's own stale result: removed
    assert (out / "a_labels.png").exists()


def test_a_users_file_under_an_output_name_stops_the_run_before_anything_is_written(
        fake_experiment, tmp_path):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    user_file(out / "scores.csv", "site,oa\n1,0.9\n")
    user_file(out / "a_labels.png")
    before = folder_checksums(out, images)
    for flags in ([], ["--overwrite"]):
        result = invoke("recommend", images, "-c", config, "--out", out, "--quiet", *flags)
        line = one_line_error(result, 2, "rssqa did not write", "scores.csv", "a_labels.png")
        assert str(out) in line
        assert folder_checksums(out, images) == before


def test_an_earlier_result_the_user_edited_is_neither_replaced_nor_deleted(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assert invoke("recommend", images, "-c", config, "--out", out, "--quiet").exit_code == 0
    user_file(out / "b_labels.png", "edited by hand")
    result = invoke("recommend", images / "a.png", "-c", config, "--out", out, "--overwrite", "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "b_labels.png").read_text() == "edited by hand"
    assert not (out / "b_segmentation.png").exists()  # unchanged since rssqa wrote it: stale
    result = invoke("recommend", images, "-c", config, "--out", out, "--overwrite", "--quiet")
    one_line_error(result, 2, "rssqa did not write", "b_labels.png")


@pytest.mark.parametrize("where", ["same", "inside"])
def test_an_output_folder_in_the_input_folder_is_refused(fake_experiment, where):
    config, run, images = fake_experiment
    out = images if where == "same" else images / "results"
    before = folder_checksums(images)
    line = one_line_error(invoke("recommend", images, "-c", config, "--out", out, "--overwrite",
                                 "--quiet"), 2, "inside the input folder")
    assert str(out) in line
    assert folder_checksums(images) == before and not (images / "results").exists()


def test_recursive_search_leaves_out_the_output_folder_and_hidden_folders(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    Image.fromarray(np.full((40, 48, 3), 90, np.uint8)).save(user_file(images / "sub" / "x").parent / "c.png")
    user_file(images / ".cache" / "d.png")
    result = invoke("recommend", images, "-c", config, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.output
    assert "left out 1 subfolder(s) (sub); pass --recursive" in result.output
    out = tmp_path / "out"
    result = invoke("recommend", images, "-c", config, "--out", out, "--recursive", "--overwrite",
                    "--quiet")
    assert result.exit_code == 0, result.output
    assert "for 3 of 3 image(s)" in result.output
    decisions = json.loads((out / "recommendations.json").read_text())["decisions"]
    assert decisions["sub/c"]["input"] == str(images / "sub" / "c.png")
    assert decisions["sub/c"]["outputs"] == ["sub_c_segmentation.png", "sub_c_labels.png"]


def test_every_result_names_its_input_where_output_names_would_confuse(fake_experiment, tmp_path):
    config, run, images = fake_experiment
    for name in ("img.jpg", "img.png", "img_jpg.png"):
        Image.fromarray(np.full((40, 48, 3), 60, np.uint8)).save(images / name)
    out = tmp_path / "out"
    assert invoke("recommend", images, "-c", config, "--out", out, "--quiet").exit_code == 0
    decisions = json.loads((out / "recommendations.json").read_text())["decisions"]
    by_input = {d["input"]: d["outputs"][0] for d in decisions.values()}
    assert len(set(by_input.values())) == len(by_input) == 5
    for stem, output in by_input.items():
        assert (out / output).is_file()


@pytest.mark.parametrize("out,needle", [("", "--out is empty"), ("/proc/rssqa-test", "cannot be created")])
def test_an_unusable_out_is_one_line(fake_experiment, out, needle):
    config, run, images = fake_experiment
    one_line_error(invoke("recommend", images, "-c", config, "--out", out, "--quiet"), 2, needle)


def test_a_tiny_image_is_refused_naming_its_path_and_the_option(tmp_path):
    from rssqa.recommend import Recommender

    dot = tmp_path / "small" / "dot.png"
    dot.parent.mkdir()
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(dot)
    recommender = Recommender(pool=[], encoder=None, assessor=None, classmap=None, tile_size=32)
    recommender.run([dot], tmp_path / "out", verbose=False)
    [skipped] = recommender.skipped
    assert skipped["error"].startswith(f"{dot}: dot has 1 x 1 pixels")
    assert "--min-pixels" in skipped["error"]


# -- the promise as a property: whatever the folder holds ------------------------------------------

NAMES = st.lists(st.one_of(
    st.sampled_from(["a_labels.png", "b_segmentation.png", "scores.csv", "recommendations.json",
                     "groundtruth_labels.png", "x_segmentation.png", MANIFEST + ".bak", "a.png"]),
    st.from_regex(r"[a-z]{1,6}_(labels|segmentation)\.png", fullmatch=True)), max_size=6, unique=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=NAMES, previous_run=st.booleans())
def test_overwrite_never_removes_a_file_not_in_its_manifest(fake_experiment, tmp_path_factory, names,
                                                             previous_run):
    config, run, images = fake_experiment
    out = tmp_path_factory.mktemp("out")
    if previous_run:
        invoke("recommend", images, "-c", config, "--out", out, "--overwrite", "--quiet")
    owned_before = set(OwnedFolder(out).earlier()) | {out / MANIFEST}  # the record is rssqa's own
    users = [user_file(out / name, f"user {name}") for name in names if not (out / name).exists()]
    before = folder_checksums(out)
    invoke("recommend", images / "a.png", "-c", config, "--out", out, "--overwrite", "--quiet")
    after = folder_checksums(out)
    lost = [p for p in changed_files(before, after) if p not in owned_before]
    assert lost == [] and all(p.exists() for p in users)


def test_a_damaged_manifest_owns_nothing(tmp_path):
    user_file(tmp_path / "a_labels.png")
    (tmp_path / MANIFEST).write_text('{"files": {"a_labels.png": null, "../escape.txt": null')
    owned = OwnedFolder(tmp_path)
    assert not owned.owns("a_labels.png")
    assert owned.remove_stale([]) == [] and (tmp_path / "a_labels.png").exists()


def test_a_manifest_cannot_reach_outside_its_folder(tmp_path):
    outside = user_file(tmp_path / "precious.txt")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / MANIFEST).write_text(json.dumps({"files": {"../precious.txt": None}}))
    OwnedFolder(tmp_path / "out").remove_stale([])
    assert outside.exists()


@pytest.mark.parametrize("option,value,needle", [
    ("--workers", "0", "--workers must be at least 1, not 0"),
    ("--workers", "-3", "--workers must be at least 1, not -3"),
    ("--overlap", "7", "--overlap"),
    ("--max-pixels", "0", "--max-pixels"),
    ("--min-pixels", "0", "--min-pixels must be at least 1"),
])
def test_bad_option_values_are_one_line_before_anything_loads(fake_experiment, tmp_path, option,
                                                               value, needle):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    one_line_error(invoke("recommend", images, "-c", config, "--out", out, option, value), 2, needle)
    assert not out.exists()


def interrupted_at(stem, monkeypatch):
    """``Recommender.assess`` stopped as by Ctrl-C when it reaches the image ``stem``."""
    from rssqa.recommend import Recommender

    assess = Recommender.assess

    def stopping(self, image, name="image", **kwargs):
        if name == stem:
            raise KeyboardInterrupt
        return assess(self, image, name, **kwargs)

    monkeypatch.setattr(Recommender, "assess", stopping)
    return assess


def interrupted_run(experiment, out, monkeypatch):
    """`rssqa recommend` of the two images into ``out``, stopped by Ctrl-C at the second;
    returns the real ``Recommender.assess``."""
    config, _, images = experiment
    assess = interrupted_at("b", monkeypatch)
    assert invoke("recommend", images, "-c", config, "--out", out, "--quiet").exit_code != 0
    return assess


def counted(assess, monkeypatch) -> list[str]:
    """``Recommender.assess`` back to ``assess``, noting each image it assesses in the list."""
    assessed = []

    def counting(self, image, name="image", **kwargs):
        assessed.append(name)
        return assess(self, image, name, **kwargs)

    monkeypatch.setattr("rssqa.recommend.Recommender.assess", counting)
    return assessed


def test_an_interrupted_run_leaves_its_finished_images_known_as_rssqas(
        fake_experiment, tmp_path, monkeypatch):
    """Ctrl-C half-way: the images written so far stay rssqa's own (not a stranger's files
    that no later run may touch), so the same command with --overwrite finishes the job."""
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assess = interrupted_run(fake_experiment, out, monkeypatch)
    assert (out / "a_labels.png").exists()
    assert not (out / "scores.csv").exists()
    assert OwnedFolder(out).owns("a_labels.png") and OwnedFolder(out).owns("a_segmentation.png")
    monkeypatch.setattr("rssqa.recommend.Recommender.assess", assess)
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet", "--overwrite")
    assert result.exit_code == 0, result.output
    assert {row["image"] for row in csv.DictReader((out / "scores.csv").open())} == {"a", "b"}


def test_files_written_under_a_claim_stay_owned_however_the_run_ends(tmp_path):
    owned = OwnedFolder(tmp_path)
    with pytest.raises(KeyboardInterrupt), owned.writing(["done.png", "never.png"]):
        (tmp_path / "done.png").write_bytes(b"rssqa's")  # written, never reported as written
        raise KeyboardInterrupt
    again = OwnedFolder(tmp_path)
    assert again.owns("done.png") and "never.png" not in again.files
    user_file(tmp_path / "never.png")  # a name released is the user's to use
    assert again.foreign(["done.png", "never.png"]) == [tmp_path / "never.png"]


def test_the_same_command_resumes_an_interrupted_run_without_assessing_again(
        fake_experiment, tmp_path, monkeypatch):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assess = interrupted_run(fake_experiment, out, monkeypatch)
    assessed = counted(assess, monkeypatch)
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert assessed == ["b"] and "resumed: 1 image(s)" in result.output
    rows = list(csv.DictReader((out / "scores.csv").open()))
    assert sorted({row["image"] for row in rows}) == ["a", "b"] and len(rows) == 4
    assert sorted(read_json(out / "recommendations.json")["recommended"]) == ["a", "b"]
    assert not (out / ".rssqa-parts").exists()  # finished: nothing left to resume
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
    one_line_error(result, 2, "earlier `rssqa recommend`", "--overwrite")  # results, not work


def test_an_interrupted_run_is_not_resumed_with_an_assessor_trained_since(
        fake_experiment, tmp_path, monkeypatch):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assess = interrupted_run(fake_experiment, out, monkeypatch)
    (run / "assessors" / "rssqa" / "manifest.json").write_text("{}")  # trained anew
    assessed = counted(assess, monkeypatch)
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert assessed == ["a", "b"] and "resumed" not in result.output


@pytest.mark.parametrize("damage", [
    lambda record: record | {"decision": "fpn"},
    lambda record: record | {"ranking": None},
    lambda record: {**record, "decision": {**record["decision"], "outputs": ["../../elsewhere.png"]}},
])
def test_a_damaged_record_of_an_interrupted_run_means_the_image_is_assessed_again(
        fake_experiment, tmp_path, monkeypatch, damage):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assess = interrupted_run(fake_experiment, out, monkeypatch)
    path = out / ".rssqa-parts" / "a.image.json"
    path.write_text(json.dumps(damage(read_json(path))))
    assessed = counted(assess, monkeypatch)
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert assessed == ["a", "b"] and "resumed" not in result.output


def test_an_unreadable_record_leaves_the_image_an_earlier_result(fake_experiment, tmp_path, monkeypatch):
    config, run, images = fake_experiment
    out = tmp_path / "out"
    assess = interrupted_run(fake_experiment, out, monkeypatch)
    (out / ".rssqa-parts" / "a.image.json").write_text('{"fingerprint": "cut off')
    monkeypatch.setattr("rssqa.recommend.Recommender.assess", assess)
    result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
    one_line_error(result, 2, "earlier `rssqa recommend`", "--overwrite")
    assert invoke("recommend", images, "-c", config, "--out", out, "--quiet",
                  "--overwrite").exit_code == 0


def test_a_second_run_into_a_folder_being_written_is_refused(fake_experiment, tmp_path):
    """Two runs at once into one --out would each write tables holding their own images only."""
    config, run, images = fake_experiment
    out = tmp_path / "out"
    with OwnedFolder(out).writing(["other_labels.png"]):  # another run, under way
        result = invoke("recommend", images, "-c", config, "--out", out, "--quiet")
        one_line_error(result, 2, str(out), "another rssqa run is writing into it")
    assert not out.exists()  # the other run wrote nothing, and the refused one nothing either
    assert invoke("recommend", images, "-c", config, "--out", out, "--quiet").exit_code == 0


def test_a_run_that_finished_after_this_one_checked_the_folder_is_not_written_over(tmp_path):
    mine = OwnedFolder(tmp_path)  # checked, then the models load ...
    with OwnedFolder(tmp_path).writing(["scores.csv"]) as written:  # ... while another run ends
        (tmp_path / "scores.csv").write_text("theirs")
        written.append(tmp_path / "scores.csv")
    with pytest.raises(InputError, match="another rssqa run wrote into it"):
        with mine.writing(["scores.csv"]):
            (tmp_path / "scores.csv").write_text("mine")
    assert (tmp_path / "scores.csv").read_text() == "theirs"


def test_a_file_system_without_locks_still_runs(tmp_path, monkeypatch):
    """Some network mounts refuse flock: rssqa runs there as it did before it locked."""
    import errno
    import fcntl

    def refused(*args):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", refused)
    with OwnedFolder(tmp_path).writing(["a.png"]) as written:
        (tmp_path / "a.png").write_bytes(b"rssqa's")
        written.append(tmp_path / "a.png")
    assert OwnedFolder(tmp_path).owns("a.png")
