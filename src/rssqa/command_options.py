"""Options that every ``rssqa`` command declares the same way, wherever the command lives.

The config is ``--config/-c CONFIG`` on every command that reads one. The older positional form
(``rssqa build CONFIG``) still works for now: it is declared as a hidden argument, and using it
prints one ``deprecated:`` line on stderr that shows the new form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand

from rssqa.errors import InputError

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars; results are still printed")]
# The positional config of earlier versions: accepted, never shown in help.
LegacyConfigArg = Annotated[Path | None, typer.Argument(hidden=True, metavar="CONFIG",
                                                        show_default=False)]


def config_option(what: str, legacy_argument: bool = True):
    """The ``--config/-c CONFIG`` option, ``what`` saying which YAML the command reads. Where the
    command also takes the deprecated positional form the option is declared optional, so its
    help says itself that it is required."""
    return typer.Option("--config", "-c", metavar="CONFIG", show_default=False,
                        help=f"{what}  [required]" if legacy_argument else what)


ExperimentConfigOpt = Annotated[Path | None, config_option("experiment YAML, e.g. configs/dubai.yaml")]


class PlainUsageCommand(TyperCommand):
    """A command whose usage line names its arguments as click does (``TARGET``, not typer's
    ``{target}``) and leaves out hidden ones (the deprecated positional config), so ``--help``
    shows only the form to use."""

    def collect_usage_pieces(self, ctx):
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument" and not param.hidden:
                name = (param.metavar or param.name.upper()) + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
        return pieces


def chosen_config(option: Path | None, positional: Path | None, command: str,
                  example: str = "configs/dubai.yaml") -> Path:
    """The config a command was given, as ``--config`` or (deprecated) as its argument: one
    ``error:`` line when it is missing or given both ways differently."""
    if positional is None:
        if option is None:
            raise InputError(None, "missing option --config/-c CONFIG",
                             f"e.g. rssqa {command} --config {example}")
        return option
    if option is not None and Path(option).resolve() != Path(positional).resolve():
        raise InputError(None, f"the config is given twice, as --config {option} and as the "
                         f"argument {positional}", f"give it once: rssqa {command} --config CONFIG")
    typer.echo(f"deprecated: the config as an argument will stop working; write "
               f"rssqa {command} --config {positional}", err=True)
    return positional
