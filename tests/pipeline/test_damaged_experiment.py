"""A damaged file anywhere in a trained experiment never ends `rssqa recommend`, `evaluate` or
`serve` in a traceback: the command succeeds (it never reads that file), or stops with one
`error:` line naming the file (or its folder) and the stage to run again. Following that advice
brings the experiment back."""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import changed_files, folder_checksums, make_labelled_folder, tiny_config_dict, torch_threads
from tests.pipeline.test_bad_inputs import invoke, one_line_error

# The default recommender (the safe selector over a listwise base), sized to train in a second.
SAFE = {"name": "safe", "kwargs": {"base": "listwise", "folds": 2,
                                   "base_kwargs": {"config": {"epochs": 5, "members": 1}}}}

# Every file a built and trained experiment holds, as patterns under its output folder; each is
# damaged at its first match (the SQED's per-tile shards are alike, one stands for all).
EXPERIMENT_FILES = [
    ".rssqa-experiment", "splits.json", "run_build.json", "run_train.json", "sqed_report.txt",
    "pool/raster.json",
    *(f"pool/{method}/{name}" for method in ("fpn", "deeplabv3plus")
      for name in ("meta.json", "model.safetensors")),
    "sqed/manifest.json", "sqed/tiles.parquet", "sqed/records.parquet",
    *(f"sqed/arrays/{name}.npy" for name in (
        "images", "masks", "semantic_tokens", "semantic_pooled", "signal_agreement",
        "signal_confidence_histograms", "signal_class_shares", "signal_structure",
        "seg_fpn", "seg_deeplabv3plus", "pred_fpn", "pred_deeplabv3plus")),
    "sqed/shards/*/*.npz",
    "assessors/safe/assessor.json", "assessors/safe/conformal.json", "assessors/safe/choice.csv",
    "assessors/safe/trained_for.json",
    "assessors/safe/base/assessor.json", "assessors/safe/base/features.safetensors",
    "assessors/safe/base/member-00.safetensors",
]


def damage(path: Path, kind: str) -> None:
    data = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(data[:len(data) // 2])
    elif kind == "flip":  # the header and the middle of the file, where formats keep their structure
        flipped = bytearray(data)
        for start in (0, len(data) // 2):
            for i in range(start, min(start + 16, len(data))):
                flipped[i] ^= 0xFF
        path.write_bytes(bytes(flipped))
    else:
        path.unlink()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`rssqa build` and `rssqa train --assessors safe` once; each test works on a copy."""
    root = tmp_path_factory.mktemp("damaged")
    data = make_labelled_folder(root / "data")
    config = tiny_config_dict(data, root / "run") | {"assessor": SAFE}
    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    with torch_threads(1):
        for args in (("build", path, "--quiet"), ("train", path, "--assessors", "safe", "--quiet")):
            result = invoke(*args)
            assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def copy(trained, tmp_path):
    """A copy of the trained experiment (its config points at the copy); (config, output)."""
    shutil.copytree(trained / "run", tmp_path / "run")
    config = yaml.safe_load((trained / "tiny.yaml").read_text()) | {"output": str(tmp_path / "run")}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    return path, tmp_path / "run"


def commands(config: Path, run: Path, image: Path) -> dict[str, tuple]:
    return {"recommend": ("recommend", image, "--config", config, "--out", run.parent / "rec", "--quiet"),
            "evaluate": ("evaluate", config, "--assessors", "safe", "--n-boot", "10"),
            "serve": ("serve", "--config", config)}


def first_match(run: Path, pattern: str) -> Path:
    return next(p for p in sorted(run.rglob("*")) if p.is_file() and fnmatch.fnmatch(
        p.relative_to(run).as_posix(), pattern))


def test_the_fuzzed_files_are_every_file_of_the_experiment(trained):
    run = trained / "run"
    files = [p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()]
    unlisted = [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in EXPERIMENT_FILES)]
    assert not unlisted, f"add these to EXPERIMENT_FILES: {unlisted}"
    assert all(any(fnmatch.fnmatch(f, pattern) for f in files) for pattern in EXPERIMENT_FILES)


@pytest.mark.parametrize("kind", ["truncate", "flip", "delete"])
@pytest.mark.parametrize("pattern", EXPERIMENT_FILES)
def test_a_damaged_file_is_one_error_line_or_no_matter(copy, trained, pattern, kind, monkeypatch, one_thread):
    config, run = copy
    target = first_match(run, pattern)
    damage(target, kind)
    monkeypatch.setattr("uvicorn.run", lambda app, **where: None)  # serve: the start-up loading only
    before = folder_checksums(run / "pool", run / "sqed", run / "assessors")
    named = [str(folder) for folder in (target, *target.parents) if run in folder.parents]
    for name, args in commands(config, run, trained / "data" / "images" / "g3_img1.png").items():
        result = invoke(*args)
        assert "Traceback" not in result.output, (name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.exception)
        assert result.exit_code in (0, 2), (name, result.output)
        if result.exit_code == 2:
            line = one_line_error(result, 2)
            assert any(path in line for path in named), (name, line)
    assert changed_files(before, folder_checksums(run / "pool", run / "sqed", run / "assessors")) == []


def test_a_truncated_selector_member_names_the_file_and_the_training_to_redo(copy, trained, monkeypatch,
                                                                             one_thread):
    config, run = copy
    member = run / "assessors" / "safe" / "base" / "member-00.safetensors"
    damage(member, "truncate")
    monkeypatch.setattr("uvicorn.run", lambda app, **where: None)
    image = trained / "data" / "images" / "g3_img1.png"
    for name in ("recommend", "serve"):
        one_line_error(invoke(*commands(config, run, image)[name]), 2, str(member), "is damaged",
                       "rssqa train -c CONFIG --assessors safe")
    with torch_threads(1):
        assert invoke("train", config, "--assessors", "safe", "--quiet").exit_code == 0
    result = invoke(*commands(config, run, image)["recommend"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["manifest.json", "records.parquet", "arrays/semantic_pooled.npy"])
def test_a_damaged_store_file_names_it_and_a_rebuild_reassembles_the_store(copy, name, one_thread):
    config, run = copy
    damaged = run / "sqed" / name
    damage(damaged, "truncate")
    line = one_line_error(invoke("evaluate", config, "--assessors", "safe", "--n-boot", "10"), 2,
                          str(damaged), "is damaged", "rssqa build -c CONFIG")
    assert f"delete {run / 'sqed' / 'manifest.json'}" in line
    (run / "sqed" / "manifest.json").unlink(missing_ok=True)  # as the line says
    with torch_threads(1):
        rebuilt = invoke("build", config, "--quiet")
    assert rebuilt.exit_code == 0, rebuilt.output
    result = invoke("evaluate", config, "--assessors", "safe", "--n-boot", "10")
    assert result.exit_code == 0, result.output


def test_a_damaged_calibration_is_said_and_the_scores_come_without_intervals(copy, trained,
                                                                            one_thread):
    """Even a quiet run says why its scores have no intervals, and what it writes stays
    standard JSON (no bare NaN where an interval would be)."""
    import json

    config, run = copy
    calibration = run / "assessors" / "safe" / "conformal.json"
    damage(calibration, "truncate")
    result = invoke(*commands(config, run, trained / "data" / "images" / "g3_img1.png")["recommend"])
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.output.splitlines() if line.startswith("warning:"))
    assert str(calibration) in warning and "without intervals" in warning
    written = (run.parent / "rec" / "recommendations.json").read_text()
    recommendations = json.loads(written, parse_constant=lambda name: pytest.fail(f"bare {name}"))
    assert all(row["interval_low"] is None for row in recommendations["scores"])
