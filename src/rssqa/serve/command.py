"""The ``rssqa serve`` command. FastAPI and uvicorn are imported inside the function, so that
``rssqa --help`` and every other command start without them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    config: Annotated[Path, typer.Option("--config", "-c", help="the experiment that trained the pool")],
    assessor: Annotated[str | None, typer.Option(
        help="which trained assessor scores the methods (default: the config's)")] = None,
    host: Annotated[str, typer.Option(help="address to bind; 0.0.0.0 exposes the page to your "
                                           "network, without authentication")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    max_upload_mb: Annotated[float, typer.Option(help="largest accepted upload")] = 50.0,
    max_pixels: Annotated[int, typer.Option(help="largest accepted width x height")] = 4096 * 4096,
    workers: Annotated[int, typer.Option(help="images assessed at once; the rest queue")] = 1,
) -> None:
    """A local web page and JSON API (/api/assess, docs at /docs): score, recommend, segment."""
    import uvicorn

    from rssqa.serve.app import create_app
    from rssqa.serve.engine import load_experiment
    from rssqa.serve.settings import ServeSettings

    settings = ServeSettings(max_bytes=int(max_upload_mb * 1024 * 1024), max_pixels=max_pixels,
                             workers=workers)
    typer.echo(f"loading the experiment of {config} ...")
    experiment = load_experiment(config, assessor, level=settings.level)
    typer.echo(f"{experiment.interval_note}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: binding {host} lets other machines upload images; there is no login")
    typer.echo(f"open http://{'localhost' if host == '127.0.0.1' else host}:{port}/ (Ctrl+C stops)")
    uvicorn.run(create_app(experiment, settings), host=host, port=port, log_level="info")
