"""``rssqa recommend`` on GeoTIFF scenes: jobs from file names, the run, and what is printed."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from rssqa.errors import InputError
from rssqa.geo.experiment import ExperimentRef
from rssqa.geo.scaleout import SceneOutcome, recommend_scenes
from rssqa.geo.scene import SCENE_SUFFIXES, SceneJob


def is_scene(path: Path) -> bool:
    return Path(path).suffix.lower() in SCENE_SUFFIXES


def scene_jobs(paths: list[Path], out_dir: Path, overlap: int | None) -> list[SceneJob]:
    """One job per scene, output stems unique even where file stems repeat."""
    from rssqa.recommend import output_names

    return [SceneJob(Path(path), Path(out_dir), key, overlap)
            for path, (_, key) in zip(paths, output_names(paths))]


def recommend_scene_files(paths: list[Path], config: Path, assessor: str | None, out_dir: Path,
                          overwrite: bool = False, scheduler: str | None = None,
                          workers: int | None = None, overlap: int | None = None,
                          quiet: bool = False, console: Console | None = None) -> list[SceneOutcome]:
    """Run every scene and print one line per scene; raises when none could be processed."""
    console = console or Console()
    threads = None if scheduler is None and (workers or len(paths)) <= 1 else 1
    ref = ExperimentRef(Path(config).resolve(), assessor, threads=threads)
    jobs = scene_jobs(paths, Path(out_dir).resolve(), overlap)
    outcomes = recommend_scenes(jobs, ref, scheduler, workers, overwrite, verbose=not quiet)
    for outcome in outcomes:
        if outcome.error:
            console.print(f"skipped {outcome.error}", markup=False, highlight=False, soft_wrap=True)
        else:
            summary = outcome.summary
            console.print(f"{outcome.job.key}: {summary['tiles']['assessed']} tiles, recommended "
                          f"{summary['recommended']}; best-of predicted accuracy "
                          f"{summary['best_of_predicted_accuracy']:.3f}", highlight=False, soft_wrap=True)
    if all(outcome.error for outcome in outcomes):
        raise InputError(None, f"none of the {len(paths)} scene(s) could be processed",
                         "see the reasons above")
    console.print(f"quality maps, recommended-method maps, best-of segmentations and summaries "
                  f"in {out_dir}", highlight=False, soft_wrap=True)
    return outcomes
