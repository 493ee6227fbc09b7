"""The ``rssqa serve`` command. FastAPI and uvicorn are imported inside the function, so that
``rssqa --help`` and every other command start without them.

Every option and the address are checked before the experiment loads (tens of seconds), so a
mistyped port or a port already taken is one line at once, not a traceback after the wait.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated

import typer

from rssqa.command_options import config_option
from rssqa.errors import InputError


def serve(
    config: Annotated[Path, config_option("the experiment that trained the pool", legacy_argument=False)],
    assessor: Annotated[str | None, typer.Option(
        help="which trained assessor scores the methods (default: the config's)")] = None,
    host: Annotated[str, typer.Option(help="address to bind; 0.0.0.0 exposes the page to your "
                                           "network, without authentication")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port, 1-65535")] = 8000,
    max_upload_mb: Annotated[float, typer.Option(help="largest accepted upload, > 0")] = 50.0,
    max_pixels: Annotated[int, typer.Option(help="largest accepted width x height, >= 1")] = 4096 * 4096,
    workers: Annotated[int, typer.Option(help="images assessed at once (>= 1); the rest queue")] = 1,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="no start-up lines and no log line per request; warnings and errors "
                              "still show")] = False,
) -> None:
    """A local web page and JSON API (/api/assess, docs at /docs): score, recommend, segment."""
    from rssqa.serve.settings import ServeSettings

    settings = ServeSettings.from_options(max_upload_mb, max_pixels, workers)
    check_address(host, port)

    import uvicorn

    from rssqa.serve.app import create_app
    from rssqa.serve.engine import load_experiment

    say = (lambda line: None) if quiet else typer.echo
    say(f"loading the experiment of {config} ...")
    experiment = load_experiment(config, assessor, settings.level)
    say(f"{experiment.interval_note}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: binding {host} lets other machines upload images; there is no login",
                   err=True)
    say(f"open http://{'localhost' if host == '127.0.0.1' else host}:{port}/ (Ctrl+C stops)")
    uvicorn.run(create_app(experiment, settings), host=host, port=port,
                log_level="warning" if quiet else "info")


def check_address(host: str, port: int) -> None:
    """Bind ``host:port`` once and let it go: an InputError naming the address if the server
    could not listen there (a port out of range or taken, a host that is not this machine's)."""
    if not 1 <= port <= 65535:
        raise InputError(None, f"--port must be in 1-65535, not {port}",
                         "e.g. --port 8000 (the default)")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise InputError(None, f"--host {host} is not a known address ({error})",
                         "give an address of this machine, e.g. --host 127.0.0.1") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as error:
            raise InputError(None, *_bind_problem(host, port, error)) from None


def _bind_problem(host: str, port: int, error: OSError) -> tuple[str, str]:
    """(what is wrong, what to do) when binding ``host:port`` failed with ``error``."""
    where = f"{host}:{port}"
    if error.errno == errno.EADDRINUSE:
        return (f"{where} is already in use (another server, or an earlier `rssqa serve`)",
                f"stop it, or choose another --port, e.g. --port {port + 1 if port < 65535 else 8000}")
    if error.errno == errno.EACCES:
        return (f"no permission to listen on {where}",
                "ports below 1024 need administrator rights: choose e.g. --port 8000")
    return (f"cannot listen on {where} ({error.strerror})",
            "give an address of this machine with --host (e.g. 127.0.0.1) and a free --port")
