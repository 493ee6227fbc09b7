"""The package's import structure in numbers: modules, imports, and the circles among them.

    python benchmarks/import_structure.py            # the installed rssqa
    PYTHONPATH=/path/to/other/checkout/src python benchmarks/import_structure.py

A circle is a strongly connected component of the import graph (grimp counts imports inside
functions too, so a lazy import that climbs a floor still shows). Package circles are taken
between the top-level subpackages and modules of rssqa; the floors the package keeps are the
import-linter contracts in pyproject.toml (``lint-imports`` checks them).
"""

from __future__ import annotations

import grimp
import networkx as nx


def import_graph(package: str = "rssqa") -> nx.DiGraph:
    imports = grimp.build_graph(package)
    graph = nx.DiGraph()
    graph.add_nodes_from(imports.modules)
    for module in imports.modules:
        for imported in imports.find_modules_directly_imported_by(module):
            graph.add_edge(module, imported)
    return graph


def circles(graph: nx.DiGraph) -> list[set[str]]:
    return [c for c in nx.strongly_connected_components(graph) if len(c) > 1]


def package_graph(graph: nx.DiGraph) -> nx.DiGraph:
    def top(module: str) -> str:
        return ".".join(module.split(".")[:2])

    packages = nx.DiGraph()
    packages.add_edges_from((top(a), top(b)) for a, b in graph.edges if top(a) != top(b))
    return packages


def main() -> None:
    graph = import_graph()
    module_circles = circles(graph)
    package_circles = circles(package_graph(graph))
    print(f"modules: {graph.number_of_nodes()}, imports between them: {graph.number_of_edges()}")
    print(f"module circles: {len(module_circles)} "
          f"({sum(map(len, module_circles))} modules in them)")
    for circle in sorted(module_circles, key=len):
        print(f"  {len(circle):3d}: {', '.join(sorted(circle)[:6])}{' ...' if len(circle) > 6 else ''}")
    print(f"package circles: {len(package_circles)}")
    for circle in package_circles:
        print(f"  {', '.join(sorted(circle))}")


if __name__ == "__main__":
    main()
