"""``rssqa recommend`` on GeoTIFF scenes: jobs from file names, the plan, the run,
and what is printed (results on stdout; skip reasons and warnings on stderr, naming the file)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from rssqa.geo.experiment import ExperimentRef
from rssqa.geo.plan import MAX_SCENE_PIXELS, plan_scenes, plan_text
from rssqa.geo.scaleout import SceneOutcome, local_processes, recommend_scenes
from rssqa.geo.scene import SCENE_SUFFIXES, SceneJob


def is_scene(path: Path) -> bool:
    return Path(path).suffix.lower() in SCENE_SUFFIXES


def scene_jobs(paths: list[Path], out_dir: Path, overlap: int | None,
               keys: list[str] | None = None) -> list[SceneJob]:
    """One job per scene with the output stem ``keys`` gives it (None: from the file names,
    unique even where file stems repeat)."""
    from rssqa.recommend import output_names

    keys = keys if keys is not None else [key for _, key in output_names(paths)]
    return [SceneJob(Path(path), Path(out_dir), key, overlap) for path, key in zip(paths, keys)]


def recommend_scene_files(paths: list[Path], config: Path, assessor: str | None, out_dir: Path,
                          overwrite: bool = False, scheduler: str | None = None,
                          workers: int | None = None, overlap: int | None = None,
                          quiet: bool = False, console: Console | None = None,
                          keys: list[str] | None = None, err_console: Console | None = None,
                          max_pixels: int | None = None) -> list[SceneOutcome]:
    """Plan the scenes (refusing, from their headers, those over ``max_pixels``; None:
    MAX_SCENE_PIXELS), print the plan, run the rest, and print one line per scene: results on
    ``console``, skip reasons and warnings on ``err_console``. Never raises for a scene's own
    problem: the caller decides the exit code from the outcomes (in ``paths`` order, ``error``
    set where skipped). ``keys``: each scene's output stem (None: from the file names)."""
    from rssqa.config import load_config

    console, err_console = console or Console(), err_console or Console(stderr=True)
    cfg = load_config(config)
    jobs = scene_jobs(paths, Path(out_dir).resolve(), overlap, keys)
    plans, refused = plan_scenes(jobs, cfg.tile_size, max_pixels or MAX_SCENE_PIXELS)
    ran: dict[SceneJob, SceneOutcome] = {}
    if plans:
        processes = None if scheduler else local_processes(len(plans), workers)
        _say(console, plan_text(plans, len(cfg.pool.methods), processes))
        threads = None if processes == 1 else 1  # one process alone keeps torch's threads
        ref = ExperimentRef(Path(config).resolve(), assessor, threads=threads)
        ran = {outcome.job: outcome for outcome in recommend_scenes(
            [plan.job for plan in plans], ref, scheduler, workers, overwrite, verbose=not quiet)}
    outcomes = [ran[job] if job in ran else SceneOutcome(job, error=refused[job]) for job in jobs]
    for outcome in outcomes:
        print_outcome(outcome, console, err_console)
    if any(outcome.summary for outcome in outcomes):
        _say(console, f"quality maps, recommended-method maps, best-of segmentations and summaries "
                      f"in {out_dir}")
    return outcomes


def print_outcome(outcome: SceneOutcome, console: Console, err_console: Console) -> None:
    """Its warnings and, when skipped, its reason on ``err_console``; its result on ``console``."""
    for warning in outcome.warnings:
        _say(err_console, f"warning: {warning}")
    if outcome.error:
        _say(err_console, f"skipped {outcome.error}")
        return
    summary = outcome.summary
    tiles = (summary.get("tiles") or {}).get("assessed")
    _say(console, f"{outcome.job.key}: {tiles} tiles, recommended {summary.get('recommended')}; "
                  f"best-of predicted accuracy {_accuracy(summary.get('best_of_predicted_accuracy'))}")


def _accuracy(value) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "unknown"


def _say(console: Console, line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)
