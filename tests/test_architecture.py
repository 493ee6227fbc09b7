"""The package keeps its floors: imports point down (the contracts in pyproject.toml), the only
import circles are registries importing their own built-ins, and asking for help loads no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

# Each may import the modules that register into it; every import circle must run through one.
REGISTRIES = {"rssqa.segzoo", "rssqa.data.sources", "rssqa.text2seg.route", "rssqa.pool.registry",
              "rssqa.assess.baselines"}


def test_the_floor_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def import_circles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, circles, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(component)
    return circles


def test_every_import_circle_is_a_registry_importing_its_built_ins():
    circles = import_circles(grimp.build_graph("rssqa"))
    assert circles, "the registries' circles were not found: the check itself is broken"
    for circle in circles:
        assert circle & REGISTRIES, f"an import circle without a registry: {sorted(circle)}"


def test_help_and_serve_help_load_no_torch():
    code = ("import sys; from typer.testing import CliRunner; from rssqa.cli import app; "
            "runner = CliRunner(); "
            "assert runner.invoke(app, ['--help']).exit_code == 0; "
            "assert runner.invoke(app, ['serve', '--help']).exit_code == 0; "
            "assert runner.invoke(app, ['recommend', '--help']).exit_code == 0; "
            "print(sorted(m for m in ('torch', 'torchvision', 'numpy', 'pandas') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"


def test_the_bottom_floor_imports_without_torch():
    code = ("import sys; import rssqa.errors, rssqa.typed_config, rssqa.registry, rssqa.cache, "
            "rssqa.files, rssqa.progress, rssqa.owned_outputs, rssqa.config; "
            "print('torch' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "False"
