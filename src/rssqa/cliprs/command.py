"""``rssqa pretrain-clip`` and ``rssqa train-clip``: plain functions with typer-annotated
parameters, mounted by the CLI (``app.command("pretrain-clip")(pretrain_clip)``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer

from rssqa.cliprs.stages import STAGES
from rssqa.command_options import LegacyConfigArg, QuietOpt, chosen_config, config_option


def pretrain_clip(
    config: Annotated[Optional[Path], config_option("pipeline YAML, e.g. configs/cliprs_dubai.yaml")] = None,
    resume: Annotated[bool, typer.Option(help="reuse finished stages and resume training from its last "
                                              "checkpoint; --no-resume discards the run's stages first")] = True,
    until: Annotated[Optional[str], typer.Option(help=f"stop after this stage: {', '.join(STAGES)}")] = None,
    nproc_per_node: Annotated[Optional[int], typer.Option(help="training processes (torchrun); "
                                                               "overrides the config")] = None,
    quiet: QuietOpt = False, legacy_config: LegacyConfigArg = None,
) -> None:
    """Pretrain CLIP-RS: mask captions, noisy pool, CLIP_Sem, purification, refinement, continual
    pretraining and evaluation, each stage cached under the config's run_dir."""
    from rssqa.cliprs.pipeline import load_config, run_pipeline

    settings = load_config(chosen_config(config, legacy_config, "pretrain-clip",
                                       "configs/cliprs_dubai.yaml"))
    if nproc_per_node is not None:
        settings.nproc_per_node = nproc_per_node
    if not resume:
        for stage in STAGES:
            _discard_stage(Path(settings.run_dir) / stage)
    run_dir = run_pipeline(settings, verbose=not quiet, until=until)
    if not quiet:
        typer.echo(f"done: {run_dir}")


def _discard_stage(folder: Path) -> None:
    """Remove a stage folder this pipeline wrote (it holds the stage's record); a folder of the
    same name without one is somebody else's and stops the run instead."""
    from rssqa.cache import read_record
    from rssqa.errors import InputError

    if not folder.exists():
        return
    if read_record(folder / "stage.json") is None:
        raise InputError(folder, "is not a stage folder rssqa wrote (it has no stage.json), so "
                         "--no-resume will not delete it", "move it away, or set another run_dir")
    shutil.rmtree(folder)


def train_clip(
    config: Annotated[Optional[Path], config_option(
        "training YAML (the fields of rssqa.cliprs.train.ClipTrainConfig)")] = None,
    quiet: QuietOpt = False, legacy_config: LegacyConfigArg = None,
) -> None:
    """Contrastively (continually) pretrain any open_clip model on CSV or webdataset pairs; for many
    processes run: torchrun --nproc_per_node N -m rssqa.cliprs.train --config CONFIG"""
    from rssqa.cliprs.train import config_from_argv
    from rssqa.cliprs.train import train_clip as run_training

    path = chosen_config(config, legacy_config, "train-clip",
                         "configs/cliprs_train_vit_l14.yaml")
    model = run_training(config_from_argv(["--config", str(path)]), verbose=not quiet)
    typer.echo(f"model: {model}")
