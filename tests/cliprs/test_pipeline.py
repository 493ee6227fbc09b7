"""The CLIP-RS pipeline end to end on a tiny generated dataset: every stage, caching, resuming."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
import yaml

from rssqa.cliprs.pipeline import PipelineConfig, load_config, run_pipeline
from rssqa.errors import InputError
from tests.conftest import CLASSMAP, make_labelled_folder

FAST_TRAINING = {"batch_size": 8, "epochs": 1, "warmup": 1, "lock_image": False, "lock_text": False,
                 "save_every_n_steps": 100}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_clip_dir):
    root = tmp_path_factory.mktemp("cliprs_pipeline")
    data = make_labelled_folder(root / "data", groups=4, per_group=4, size=64)
    config = PipelineConfig(
        run_dir=str(root / "run"),
        data={"kind": "folder", "images_dir": str(data / "images"), "masks_dir": str(data / "masks"),
              "group_pattern": r"^(g\d+)_", "classmap": CLASSMAP},
        pretrain_groups=["g1", "g2"], eval_groups=["g3", "g4"], eval_test_per_group=2, crop_size=32,
        hq_per_group=2, calibration_per_group=1, base={"model": f"local-dir:{tiny_clip_dir}"},
        clip_sem=FAST_TRAINING, clip_rs=FAST_TRAINING, false_flag_rate=0.2, unpurified_baseline=True,
        n_boot=50, threads=1)
    run_pipeline(config, verbose=False)
    return config


def test_every_stage_leaves_its_output(finished_run):
    run = finished_run.run_dir
    crops = pd.read_csv(f"{run}/crops/crops.csv")
    # g1, g2: 2 hq + 1 calibration + 1 web image each; g3, g4: 2 held-out images each; 4 crops per image
    assert crops.role.value_counts().to_dict() == {"hq": 16, "eval": 16, "calibration": 8, "web": 8}
    pool = pd.read_csv(f"{run}/purify/pool_scores.tsv", sep="\t")
    assert len(pool) == 16 and {"score", "flagged", "is_noisy", "noise_kind"} <= set(pool.columns)
    refined = pd.read_csv(f"{run}/refine/pool_refined.tsv", sep="\t")
    assert (refined.refined[~refined.flagged] == refined.title[~refined.flagged]).all()
    pairs = pd.read_csv(f"{run}/refine/pairs.tsv", sep="\t")
    assert len(pairs) == 16 * 3 + 8 * 3 + 16  # hq + calibration captions + the purified pool
    raw = pd.read_csv(f"{run}/refine/pairs_unpurified.tsv", sep="\t")
    assert (raw.title[-16:].to_numpy() == refined.title.to_numpy()).all()
    assert (raw.title[:-16] == pairs.title[:-16]).all()
    metrics = json.loads(open(f"{run}/evaluate/metrics.json").read())
    assert set(metrics) == {"base", "CLIP_Sem", "CLIP-RS", "unpurified", "filter", "data"}
    for name in ("base", "CLIP_Sem", "CLIP-RS", "unpurified"):
        r1 = metrics[name]["image_to_text_R@1"]
        assert 0 <= r1["low"] <= r1["estimate"] <= r1["high"] <= 1
    threshold = json.loads(open(f"{run}/purify/threshold.json").read())
    assert threshold["flagged"] == int(pool.flagged.sum())


def test_a_finished_run_is_served_from_cache(finished_run, capsys):
    stamps = {s: (f"{finished_run.run_dir}/{s}/stage.json") for s in ("clip_sem", "clip_rs", "evaluate")}
    before = {s: open(p).read() for s, p in stamps.items()}

    run_pipeline(finished_run, verbose=True)

    out = capsys.readouterr().out
    assert out.count("cached") == 9 and "running" not in out
    assert {s: open(p).read() for s, p in stamps.items()} == before


def test_changing_the_threshold_redoes_only_the_stages_after_it(finished_run, capsys):
    run_pipeline(replace(finished_run, false_flag_rate=0.5), verbose=True, until="purify")

    out = capsys.readouterr().out
    assert "[clip_sem] cached" in out and "[purify] settings changed" in out


def test_config_files_with_unknown_settings_are_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"run_dir": "r", "data": {}, "pretrain_groups": [], "eval_groups": [],
                                    "noise": 0.3}))
    with pytest.raises(InputError, match="unknown key.*noise"):
        load_config(path)


def test_pretrain_clip_command_mounts_on_a_typer_app(finished_run, tmp_path):
    import typer
    from dataclasses import asdict
    from typer.testing import CliRunner

    from rssqa.cliprs.command import pretrain_clip

    app = typer.Typer()
    app.command("pretrain-clip")(pretrain_clip)
    app.command("noop")(lambda: None)  # a second command, as in rssqa's app
    path = tmp_path / "cliprs.yaml"
    path.write_text(yaml.safe_dump(asdict(finished_run)))

    result = CliRunner().invoke(app, ["pretrain-clip", str(path), "--until", "captions"])

    assert result.exit_code == 0, result.output
    assert "[crops] cached" in result.output and "[captions] cached" in result.output
