"""`rssqa --help` and argument errors must not wait for torch: the CLI and the config loader import
no heavy library; the stages load when a command runs."""

import subprocess
import sys


def test_the_command_line_loads_without_the_heavy_libraries():
    code = ("import sys, rssqa.cli, rssqa.config; "
            "print(sorted(m for m in ('torch', 'numpy', 'pandas', 'fastapi', 'open_clip') "
            "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_every_command_is_listed_in_the_help():
    from typer.testing import CliRunner

    from rssqa.cli import app

    output = CliRunner().invoke(app, ["--help"]).output
    for command in ("build", "train", "evaluate", "recommend", "benchmark", "serve", "demo",
                    "pretrain-clip"):
        assert command in output


def test_methods_lists_the_registry_and_bring_your_own_members():
    from typer.testing import CliRunner

    from rssqa.cli import app

    output = CliRunner().invoke(app, ["methods"]).output
    for name in ("unetformer", "dcswin", "predictions", "torch"):
        assert f"{name}:" in output
