"""``rssqa pretrain-clip`` and ``rssqa train-clip``: plain functions with typer-annotated
parameters, mounted by the CLI (``app.command("pretrain-clip")(pretrain_clip)``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer

from rssqa.cliprs.stages import STAGES


def pretrain_clip(
    config: Annotated[Path, typer.Argument(help="Pipeline YAML, e.g. configs/cliprs_dubai.yaml")],
    resume: Annotated[bool, typer.Option(help="Reuse finished stages and resume training from its last "
                                              "checkpoint; --no-resume discards the run's stages first")] = True,
    until: Annotated[Optional[str], typer.Option(help=f"Stop after this stage: {', '.join(STAGES)}")] = None,
    nproc_per_node: Annotated[Optional[int], typer.Option(help="Training processes (torchrun); "
                                                               "overrides the config")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress output")] = False,
) -> None:
    """Pretrain CLIP-RS: mask captions, noisy pool, CLIP_Sem, purification, refinement, continual
    pretraining and evaluation, each stage cached under the config's run_dir."""
    from rssqa.cliprs.pipeline import load_config, run_pipeline

    settings = load_config(config)
    if nproc_per_node is not None:
        settings.nproc_per_node = nproc_per_node
    if not resume:
        for stage in STAGES:
            shutil.rmtree(Path(settings.run_dir) / stage, ignore_errors=True)
    run_dir = run_pipeline(settings, verbose=not quiet, until=until)
    if not quiet:
        typer.echo(f"done: {run_dir}")


def train_clip(
    config: Annotated[Path, typer.Argument(help="Training YAML (rssqa.cliprs.train.TrainConfig fields)")],
) -> None:
    """Contrastively (continually) pretrain any open_clip model on CSV or webdataset pairs; for many
    processes run ``torchrun --nproc_per_node N -m rssqa.cliprs.train --config <yaml>``."""
    from rssqa.cliprs.train import config_from_argv
    from rssqa.cliprs.train import train_clip as run_training

    model = run_training(config_from_argv(["--config", str(config)]))
    typer.echo(f"model: {model}")
