"""The ``rssqa`` command line: one typer app over the experiment's stages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.core import TyperGroup

from rssqa.command_options import (PlainUsageCommand, ExperimentConfigOpt, LegacyConfigArg, QuietOpt,
                                   chosen_config, config_option)
from rssqa.errors import InputError, RssqaError


class _OneLineErrors(TyperGroup):
    """Every ``RssqaError`` a command raises ends as one line on stderr and exit code 2; with
    ``rssqa --debug`` it propagates with its traceback instead."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except RssqaError as error:
            if ctx.params.get("debug"):
                raise
            _report(error)
            raise SystemExit(2) from None


# Plain help text: typer's rich panels label every flag `<bool>`, even --help.
app = typer.Typer(cls=_OneLineErrors, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Label-free quality assessment of remote-sensing semantic segmentation (RS-SQA).")
# soft_wrap: a line longer than the terminal (or 80 columns when piped) is never broken, so
# tables piped to a file keep one row per line and their headers whole.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def _report(error: Exception) -> None:
    from rich.markup import escape

    err_console.print(f"[red]error:[/red] {escape(str(error))}", markup=True, highlight=False,
                      soft_wrap=True)


@app.callback()
def _options(debug: Annotated[bool, typer.Option(
        "--debug", help="show the full traceback of an error instead of one line")] = False) -> None:
    """Label-free quality assessment of remote-sensing semantic segmentation (RS-SQA)."""

AssessorsOpt = Annotated[str, typer.Option(help="comma-separated assessor names")]
SchedulerOpt = Annotated[str | None, typer.Option(
    help="GeoTIFF scenes: the Dask scheduler (tcp://host:8786) to run them on")]
WorkersOpt = Annotated[int | None, typer.Option(
    help="GeoTIFF scenes: local single-threaded Dask workers (default: one per scene up to the "
         "CPU count; 1: this process)")]
OverlapOpt = Annotated[int | None, typer.Option(
    help="GeoTIFF scenes: pixels by which neighbouring tiles overlap, blended at the seams "
         "(even; default: a quarter of the tile)")]


def _config(path: Path):
    """Commands read their config before importing the stages, so a bad path or key answers in
    a fraction of a second instead of after torch has loaded."""
    from rssqa.config_check import read_config

    return read_config(path)


def _output(context: typer.Context, config_path: Path):
    """The config, after checking that its output folder can be written and is rssqa's to write
    (``rssqa.claimed_folders``): a regular file in the way, a read-only folder or somebody's
    files under the names an experiment writes are one line before any data is read or any
    model loads. The folder is then the command's alone until it ends: a second command
    writing into the same experiment meanwhile is refused."""
    from rssqa.claimed_folders import EXPERIMENT, claim_folder
    from rssqa.errors import InputError, check_writable_folder
    from rssqa.owned_outputs import one_run_at_a_time

    cfg = _config(config_path)
    try:
        check_writable_folder(cfg.output_dir)
    except InputError as error:
        raise InputError(error.path, error.problem,
                         f"set `output:` in {config_path} to a folder you can write") from None
    claim_folder(cfg.output_dir, EXPERIMENT)
    context.with_resource(one_run_at_a_time(
        cfg.output_dir, f"wait for it to finish, or give this run another `output:` in {config_path}"))
    return cfg


def _store(cfg, *splits: str):
    """The experiment's SQED store, holding every one of ``splits`` (one line if not)."""
    from rssqa.sqed.check import report_path
    from rssqa.sqed.store import SQEDStore
    from rssqa.errors import InputError
    store = SQEDStore.open(cfg.layout.sqed)
    held = set(store.tiles["split"])
    for split in splits:
        if split not in held:
            raise InputError(store.root, f"has no {split} split (it holds {sorted(held)})",
                             f"rebuild it with `rssqa build`; {report_path(store.root)} lists "
                             "the files a build skipped")
    return store


def _record(config, command: str):
    """``with _record(cfg, "build"):`` around a stage: its run record is written when it finishes."""
    from rssqa.files import run_record

    return run_record(config.output_dir, command, config.to_dict(), config.seed)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _default_assessors(config) -> str:
    from rssqa.stages import default_assessors

    return ",".join(default_assessors(config))


@app.command("train-pool", cls=PlainUsageCommand)
def train_pool(context: typer.Context, config: ExperimentConfigOpt = None, quiet: QuietOpt = False,
               legacy_config: LegacyConfigArg = None) -> None:
    """Train (or reuse) every segmentation method of the pool on the pool groups."""
    cfg = _output(context, chosen_config(config, legacy_config, "train-pool"))

    from rssqa.pool.training import train_pool as run

    with _record(cfg, "train-pool"):
        members = run(cfg, verbose=not quiet)
    for member in members:
        if "train_seconds" not in member.meta:  # saved predictions or a user model
            console.print(f"{member.name}: {member.meta['kind']} member, not trained here")
            continue
        console.print(f"{member.name}: {member.meta['parameters']:,} parameters, "
                      f"trained in {member.meta['train_seconds']} s")


@app.command(cls=PlainUsageCommand)
def build(context: typer.Context, config: ExperimentConfigOpt = None, quiet: QuietOpt = False,
          legacy_config: LegacyConfigArg = None) -> None:
    """Train the pool if needed, then build (or resume) the SQED store."""
    cfg = _output(context, chosen_config(config, legacy_config, "build"))

    from rssqa.stages import build_store

    with _record(cfg, "build"):
        store = build_store(cfg, verbose=not quiet)
    console.print(f"SQED store: {store.root} ({len(store.tiles)} tiles x {len(store.methods)} methods)")
    console.print(store.summary().to_string())


@app.command(cls=PlainUsageCommand)
def train(context: typer.Context, config: ExperimentConfigOpt = None, assessors: AssessorsOpt = "",
          quiet: QuietOpt = False, legacy_config: LegacyConfigArg = None) -> None:
    """Fit assessors (default: the config's and the baselines) on the SQED train split."""
    cfg = _output(context, chosen_config(config, legacy_config, "train"))

    from rssqa.stages import check_assessor_names, train_assessors

    names = _names(assessors or _default_assessors(cfg))
    check_assessor_names(names)
    store = _store(cfg, "train")
    with _record(cfg, "train"):
        saved = train_assessors(cfg, store, names, verbose=not quiet)
    for name, folder in saved.items():
        console.print(f"{name}: saved to {folder}")


@app.command(cls=PlainUsageCommand)
def evaluate(context: typer.Context, config: ExperimentConfigOpt = None, assessors: AssessorsOpt = "",
             n_boot: Annotated[int, typer.Option(help="bootstrap resamples")] = 1000,
             quiet: QuietOpt = False, legacy_config: LegacyConfigArg = None) -> None:
    """PLCC/SROCC/KROCC/RMSE per method and P@1/P@3, with bootstrap 95% intervals, on the test split."""
    cfg = _output(context, chosen_config(config, legacy_config, "evaluate"))

    from rssqa.stages import evaluate_assessors

    store = _store(cfg, "train", "test")
    with _record(cfg, "evaluate"):
        summary, per_method, _ = evaluate_assessors(
            cfg, store, _names(assessors or _default_assessors(cfg)), n_boot=n_boot,
            verbose=not quiet)
    console.print(per_method.to_string(index=False))
    console.print(summary.to_string(index=False))
    if cfg.target != "oa":  # the tables' "OA" is the experiment's accuracy, whatever it measures
        from rssqa.config import target_name

        console.print(f"accuracy measured by {target_name(cfg.target)}: every OA in these tables "
                      f"is {target_name(cfg.target)}")
    console.print(f"tables and plots in {cfg.layout.reports}")


@app.command("learning-curve", cls=PlainUsageCommand)
def learning_curve(
    context: typer.Context, config: ExperimentConfigOpt = None,
    sizes: Annotated[str, typer.Option(
        help="comma-separated numbers of labelled source images to train on; `all`: the whole "
             "train split")] = "4,8,16,all",
    draws: Annotated[int, typer.Option(help="random draws of images (and seeds) per size")] = 3,
    assessors: Annotated[str, typer.Option(
        help="comma-separated assessor names (default: the config's, and the label-free "
             "agreement beside it)")] = "",
    quiet: QuietOpt = False,
) -> None:
    """Would more labelled images help? Gap closed, SROCC and coverage on the test split against
    the number of labelled SQED images the recommender is trained on."""
    sizes_given = _learning_curve_sizes(sizes)
    if draws < 1:
        raise InputError(None, f"--draws must be at least 1, not {draws}")
    cfg = _output(context, chosen_config(config, None, "learning-curve"))

    from rssqa.stages import learning_curve_stage

    store = _store(cfg, "train", "test")
    with _record(cfg, "learning-curve"):
        table, sentence = learning_curve_stage(cfg, store, sizes_given, draws,
                                               _names(assessors) or None, verbose=not quiet)
    shown = ["assessor", "images", "gap closed", "SROCC", "coverage 90%", "lost to SBS", "draws"]
    console.print(table[shown].to_string(index=False))
    console.print(sentence)
    console.print(f"table, draws and figure: {cfg.layout.reports}/learning_curve.{{md,csv,png}}")


def _learning_curve_sizes(text: str) -> list[int | str]:
    sizes = _names(text)
    wrong = [size for size in sizes if size != "all" and not (size.isdigit() and int(size) >= 1)]
    if not sizes or wrong:
        raise InputError(None, f"--sizes {text!r}: each size must be a whole number of images, "
                         "at least 1, or `all`", "e.g. --sizes 4,8,16,all")
    return [size if size == "all" else int(size) for size in sizes]


@app.command(cls=PlainUsageCommand)
def recommend(
    target: Annotated[Path, typer.Argument(metavar="TARGET",
                                           help="an image, a GeoTIFF scene, or a folder of them")],
    config: Annotated[Path, config_option("the experiment that trained the pool", legacy_argument=False)],
    assessor: Annotated[str | None, typer.Option(
        help="which trained assessor scores the methods (default: the config's)")] = None,
    out: Annotated[str | None, typer.Option(
        help="output folder, outside the input folder (default: <experiment>/recommend)")] = None,
    overwrite: Annotated[bool, typer.Option(
        help="replace an earlier run's results in --out; of the files rssqa wrote there, those "
             "this run does not write again are removed (files rssqa did not write never are)")] = False,
    recursive: Annotated[bool, typer.Option(help="also assess the images in subfolders")] = False,
    min_pixels: Annotated[int | None, typer.Option(
        help="smallest image assessed, in pixels (default: one tile)")] = None,
    max_pixels: Annotated[int | None, typer.Option(
        help="GeoTIFF scenes: largest width x height processed, read from each file's header "
             "(default 20000 x 20000); a larger scene is skipped, naming its size")] = None,
    quiet: QuietOpt = False, scheduler: SchedulerOpt = None, workers: WorkersOpt = None,
    overlap: OverlapOpt = None,
) -> None:
    """Score every method on each image, rank, recommend, and write the recommended segmentation.
    GeoTIFF scenes (.tif, .tiff) get georeferenced quality maps and a best-of mosaic instead."""
    from rssqa.geo.options import check_scene_options
    from rssqa.owned_outputs import OwnedFolder
    from rssqa.recommend_command import check_plan, collect_inputs, output_folder, planned_outputs

    cfg = _config(config)
    check_scene_options(scheduler, workers, overlap, cfg.tile_size, max_pixels)
    if min_pixels is not None and min_pixels < 1:
        raise InputError(None, f"--min-pixels must be at least 1, not {min_pixels}")
    folder = output_folder(out, cfg.output_dir / "recommend", target)
    inputs = collect_inputs(target, folder, recursive)
    if inputs.ignored_folders:
        _warn(f"{target}: left out {len(inputs.ignored_folders)} subfolder(s) "
              f"({', '.join(p.name for p in inputs.ignored_folders[:3])}); pass --recursive to include them")
    owned = OwnedFolder(folder)
    image_paths, image_names = inputs.images()
    claimed = check_plan(owned, planned_outputs(inputs, _scene_outputs),
                         [stem for _, stem in image_names], overwrite)
    if image_paths:
        from rssqa.experiment import trained_assessor

        assessor = trained_assessor(cfg, assessor)
    with owned.writing(claimed) as written:
        scenes_done = _run_scenes(inputs, config, assessor, folder, overwrite, quiet, scheduler,
                                  workers, overlap, max_pixels, written)
        images_done = _run_images(image_paths, image_names, cfg, assessor, folder, quiet,
                                  min_pixels, written, overwrite) if image_paths else 0
    done = scenes_done + images_done
    if not done:
        raise InputError(target, f"none of the {len(inputs.paths)} image(s) could be processed",
                         "the reasons are above; nothing was written")
    if overwrite:
        owned.remove_stale(claimed)
    failed = len(inputs.paths) - done
    summary = f"recommended a method for {done} of {len(inputs.paths)} image(s)"
    if failed:
        _warn(f"{summary}; skipped {failed} (reasons above)")
        raise typer.Exit(1)
    console.print(summary, highlight=False, soft_wrap=True)


def _warn(text: str) -> None:
    err_console.print(text, markup=False, highlight=False, soft_wrap=True)


def _scene_outputs(path: Path, key: str) -> list[str]:
    from rssqa.geo.scene import SceneJob

    return [p.name for p in SceneJob(Path(path), Path("."), key).output_paths()]


def _run_scenes(inputs, config: Path, assessor, out: Path, overwrite: bool, quiet: bool,
                scheduler, workers, overlap, max_pixels, written: list[Path]) -> int:
    """The GeoTIFF scenes among the inputs (rssqa.geo): how many were processed. ``written``
    grows by the files."""
    scenes = inputs.scenes()
    if not scenes:
        return 0
    from rssqa.geo.command import recommend_scene_files

    outcomes = recommend_scene_files([p for p, _ in scenes], config, assessor, out, overwrite,
                                     scheduler, workers, overlap, quiet, console,
                                     keys=[key for _, key in scenes], err_console=err_console,
                                     max_pixels=max_pixels)
    finished = [o for o in outcomes if not o.error]
    written += [out / name for o in finished for name in o.summary["files"].values()]
    return len(finished)


def _run_images(paths: list[Path], names, cfg, assessor, out: Path, quiet: bool, min_pixels,
                written: list[Path], overwrite: bool) -> int:
    """Recommend for the plain images (resuming an interrupted run into ``out`` unless
    ``overwrite``); how many succeeded. ``written`` grows by the files."""
    from rssqa.experiment import open_experiment
    from rssqa.recommend import Recommender

    experiment = open_experiment(cfg, assessor)
    if experiment.interval_warning:
        _warn(f"warning: {experiment.interval_warning}")
    recommender = Recommender.of(experiment, min_pixels=min_pixels)
    table = recommender.run(paths, out, verbose=not quiet, names=names, redo=overwrite)
    written += recommender.written
    if recommender.resumed:
        console.print(f"resumed: {recommender.resumed} image(s) finished by an interrupted run "
                      "were taken from its records, not assessed again")
    if quiet:  # run() lists the skipped images itself when not quiet
        for entry in recommender.skipped:
            _warn(f"skipped {entry['error']}")
    if not table.empty:
        _print_picks(table, recommender.decisions, experiment.config.target)
        console.print(f"segmentations, scores.csv and recommendations.json in {out}")
    return len(paths) - len(recommender.skipped)


def _print_picks(table, decisions: dict, target: str) -> None:
    """Each image's pick with its predicted accuracy (the experiment's ``target``), its interval
    where the assessor has a calibration, whether a runner-up is inside it, and what a safe
    default decided."""
    from rssqa.config import target_name

    picks = table[table["recommended"]]
    shown = picks[["image", "method"]].copy()
    shown[f"predicted {target_name(target)}"] = [f"{value:.3f}" for value in picks["predicted_oa"]]
    levels = {d["interval_level"] for d in decisions.values() if d.get("interval_level")}
    if levels:
        shown[f"{max(levels):.0%} interval"] = [
            "" if low != low else f"[{low:.3f}, {high:.3f}]"  # NaN: no interval for this method
            for low, high in zip(picks["interval_low"], picks["interval_high"])]
        shown["winner"] = [_clear_winner(decisions[name]) for name in picks["image"]]
    if any(d["default"] for d in decisions.values()):
        shown["kept default"] = [decisions[name]["kept_default"] for name in picks["image"]]
        shown["predicted gain"] = [_number(decisions[name]["predicted_gain"]) for name in picks["image"]]
    console.print(shown.to_string(index=False), markup=False, highlight=False)
    margin_line = _margin_line(decisions)
    if margin_line:
        console.print(margin_line, markup=False, highlight=False)


def _clear_winner(decision: dict) -> str:
    """'no clear winner' when the runner-up's predicted accuracy lies inside the pick's interval."""
    return {True: "no clear winner", False: "clear"}.get(decision.get("no_clear_winner"), "")


def _number(value) -> str:
    return "" if value is None else f"{value:.3f}"


def _margin_line(decisions: dict) -> str | None:
    """The margin the safe default used, said once (one assessor decided every image)."""
    safe = [d for d in decisions.values() if d["default"]]
    if not safe:
        return None
    default, margin = safe[0]["default"], safe[0].get("margin")
    if safe[0].get("never_leaves_default"):
        return f"safe default {default}: this assessor never leaves it"
    if margin is None:
        return None
    return (f"safe default {default}: another method is picked only when predicted to beat it "
            f"by more than {margin:.3f}")


@app.command()
def methods() -> None:
    """List the segmentation methods rssqa can put in a pool."""
    from rssqa.segzoo import available_methods, get_method
    from rssqa.pool.registry import MEMBER_KINDS

    for name in available_methods():
        console.print(f"[bold]{name}[/bold]: {get_method(name).description}")
    for name in MEMBER_KINDS.names():  # bring-your-own members: no training here
        summary = MEMBER_KINDS.get(name).__doc__.strip().splitlines()[0]
        console.print(f"[bold]{name}[/bold]: {summary}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="output folder")] = Path("runs/demo"),
    quiet: QuietOpt = False,
) -> None:
    """The whole chain on the embedded Dubai demo data: pool, SQED, RS-SQA, evaluation, recommendation."""
    from rssqa.claimed_folders import EXPERIMENT, claim_folder
    from rssqa.errors import check_writable_folder
    from rssqa.owned_outputs import one_run_at_a_time

    check_writable_folder(out)  # before torch loads, let alone the pool trains
    claim_folder(out, EXPERIMENT)

    from rssqa.demo import run_demo

    began = time.perf_counter()
    with one_run_at_a_time(out, "wait for it to finish, or give this demo another --out"):
        run_demo(out, verbose=not quiet, console=console)
    console.print(f"demo finished in {time.perf_counter() - began:.0f} s; see {out}")


@app.command("benchmark", cls=PlainUsageCommand)
def benchmark(
    config: Annotated[Path | None, config_option("benchmark YAML, e.g. configs/benchmark_dubai.yaml")] = None,
    output: Annotated[Path | None, typer.Option(help="output folder (overrides the config's)")] = None,
    store: Annotated[Path | None, typer.Option(help="SQED store (overrides the config's), so one "
                                                     "protocol serves several pools")] = None,
    quiet: QuietOpt = False, legacy_config: LegacyConfigArg = None,
) -> None:
    """Fit every assessor and ablation over seeds, test them, and write one HTML report."""
    from dataclasses import replace

    from rssqa.benchmark.command import run_benchmark
    from rssqa.benchmark.config import BenchmarkConfig
    from rssqa.claimed_folders import BENCHMARK, claim_folder

    settings = BenchmarkConfig.from_yaml(chosen_config(config, legacy_config, "benchmark",
                                                        "configs/benchmark_dubai.yaml"))
    settings = replace(settings, output=output or settings.output, store=store or settings.store,
                       verbose=settings.verbose and not quiet)
    claim_folder(settings.output, BENCHMARK)
    console.print(f"report: {run_benchmark(settings)}")


def _mount_optional_commands() -> None:
    """Commands kept in their own modules, which import their heavy dependencies when run."""
    from rssqa.cliprs.command import pretrain_clip, train_clip
    from rssqa.serve.command import serve

    app.command("serve")(serve)
    app.command("pretrain-clip", cls=PlainUsageCommand)(pretrain_clip)
    app.command("train-clip", cls=PlainUsageCommand)(train_clip)


_mount_optional_commands()


def main() -> None:
    """Entry point: user errors print one clear line instead of a traceback."""
    try:
        app()
    except RssqaError as error:
        _report(error)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
