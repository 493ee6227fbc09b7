"""The benchmark protocol as a YAML file: which store, which assessors, which ablations, how many
seeds and bootstrap resamples. Plain data, validated on load; nothing in it is executed.

Example (``configs/benchmark_dubai.yaml`` is the full one)::

    store: runs/dubai/sqed
    output: runs/dubai/benchmark
    seeds: [0, 1, 2]
    reference: RS-SQA
    assessors:
      - {label: RS-SQA, name: rssqa, kwargs: {config: {epochs: 60}}}
      - {label: BRISQUE, name: brisque}
    ablations:
      - {label: w/o adapters, table: components, overrides: {adapters: false}}
      - {label: CLIP-RS encoder, table: encoder,
         encoder: {name: clip-rs, kwargs: {checkpoint: runs/cliprs/model}}}

An ablation is the reference assessor with ``overrides`` merged into its ``config`` kwargs, or
with the tiles' semantic features recomputed by another ``encoder`` (any name the encoder
registry knows), or both.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rssqa.errors import InputError

MAIN_TABLE = "main"


@dataclass(frozen=True)
class RunSpec:
    """One row of a results table: an assessor from the registry with its kwargs.

    encoder: ``{"name": ..., "kwargs": {...}}`` to re-encode the tiles' semantic features.
    """

    label: str
    assessor: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    encoder: dict[str, Any] | None = None
    table: str = MAIN_TABLE


@dataclass(frozen=True)
class BenchmarkConfig:
    store: Path
    output: Path
    reference: str
    assessors: list[RunSpec]
    ablations: list[RunSpec] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    n_boot: int = 1000
    calibration_fraction: float = 0.2
    coverage_levels: tuple[float, ...] = (0.8, 0.9, 0.95)
    threads: int | None = None
    verbose: bool = True
    cost: dict[str, Any] = field(default_factory=dict)  # {encoder: {name, kwargs}, num_classes}
    target: str = "oa"  # the accuracy label predicted and selected on: oa, miou or f1
    source: dict[str, Any] = field(default_factory=dict)  # the YAML as read, for the run record

    @property
    def runs(self) -> list[RunSpec]:
        return [*self.assessors, *self.ablations]

    @property
    def reference_spec(self) -> RunSpec:
        return next(spec for spec in self.assessors if spec.label == self.reference)

    @classmethod
    def from_yaml(cls, path: str | Path) -> BenchmarkConfig:
        path = Path(path)
        if not path.is_file():
            raise InputError(path, "benchmark config not found", "pass a YAML file such as "
                             "configs/benchmark_dubai.yaml")
        try:
            values = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            raise InputError(path, f"is not valid YAML ({error})", "fix the syntax") from None
        try:
            return cls.from_dict(values, base=path.parent)
        except InputError as error:
            raise InputError(path, error.problem, error.hint) from None

    @classmethod
    def from_dict(cls, values: dict[str, Any], base: Path = Path(".")) -> BenchmarkConfig:
        """Relative ``store`` and ``output`` paths are taken from the working directory, like
        every other rssqa config; ``base`` is only consulted when that path does not exist."""
        values = dict(values)
        known = {"store", "output", "reference", "assessors", "ablations", "seeds", "n_boot",
                 "calibration_fraction", "coverage_levels", "threads", "verbose", "cost", "target"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(None, f"unknown benchmark key(s) {', '.join(unknown)}",
                             f"known keys: {', '.join(sorted(known))}")
        for required in ("store", "output", "assessors"):
            if required not in values:
                raise InputError(None, f"the benchmark config lacks {required!r}",
                                 "see configs/benchmark_dubai.yaml")
        assessors = [_run_spec(entry, MAIN_TABLE) for entry in values["assessors"]]
        labels = [spec.label for spec in assessors]
        reference = values.get("reference", labels[0] if labels else "")
        if reference not in labels:
            raise InputError(None, f"reference {reference!r} is not one of the assessors' labels "
                             f"({', '.join(labels)})", "name the RS-SQA row as reference")
        reference_spec = assessors[labels.index(reference)]
        ablations = [_ablation(entry, reference_spec) for entry in values.get("ablations") or []]
        all_labels = labels + [spec.label for spec in ablations]
        duplicates = sorted({label for label in all_labels if all_labels.count(label) > 1})
        if duplicates:
            raise InputError(None, f"labels used twice: {', '.join(duplicates)}",
                             "give every assessor and ablation its own label")
        seeds = [int(seed) for seed in values.get("seeds", [0, 1, 2])]
        fraction = float(values.get("calibration_fraction", 0.2))
        levels = tuple(float(level) for level in values.get("coverage_levels", (0.8, 0.9, 0.95)))
        n_boot = int(values.get("n_boot", 1000))
        problems = []
        if not seeds:
            problems.append("seeds is empty")
        if not 0 < fraction < 1:
            problems.append(f"calibration_fraction must be in (0, 1), got {fraction}")
        if any(not 0 < level < 1 for level in levels):
            problems.append(f"coverage_levels must lie in (0, 1), got {list(levels)}")
        if n_boot < 1:
            problems.append(f"n_boot must be positive, got {n_boot}")
        target = str(values.get("target", "oa"))
        if target not in ("oa", "miou", "f1"):
            problems.append(f"target must be oa, miou or f1, got {target!r}")
        if problems:
            raise InputError(None, "; ".join(problems), "fix these values in the benchmark config")
        return cls(store=_path(values["store"], base), output=Path(values["output"]),
                   reference=reference, assessors=assessors, ablations=ablations, seeds=seeds,
                   n_boot=n_boot, calibration_fraction=fraction, coverage_levels=levels,
                   threads=values.get("threads"), verbose=bool(values.get("verbose", True)),
                   cost=_cost(values.get("cost")), target=target, source=copy.deepcopy(values))


def _run_spec(entry: dict[str, Any], table: str) -> RunSpec:
    if not isinstance(entry, dict) or "name" not in entry:
        raise InputError(None, f"assessor entry {entry!r} has no name",
                         "write {label: ..., name: <registered assessor>, kwargs: {...}}")
    unknown = sorted(set(entry) - {"label", "name", "kwargs", "encoder"})
    if unknown:
        raise InputError(None, f"assessor entry {entry['name']!r} has unknown key(s) "
                         f"{', '.join(unknown)}", "use label, name, kwargs, encoder")
    return RunSpec(label=str(entry.get("label", entry["name"])), assessor=str(entry["name"]),
                   kwargs=dict(entry.get("kwargs") or {}), encoder=_encoder(entry.get("encoder")),
                   table=table)


def _ablation(entry: dict[str, Any], reference: RunSpec) -> RunSpec:
    if not isinstance(entry, dict) or "label" not in entry or "table" not in entry:
        raise InputError(None, f"ablation entry {entry!r} needs a label and a table",
                         "write {label: ..., table: components|loss|encoder, overrides: {...}}")
    unknown = sorted(set(entry) - {"label", "table", "overrides", "encoder"})
    if unknown:
        raise InputError(None, f"ablation {entry['label']!r} has unknown key(s) "
                         f"{', '.join(unknown)}", "use label, table, overrides, encoder")
    if not entry.get("overrides") and not entry.get("encoder"):
        raise InputError(None, f"ablation {entry['label']!r} changes nothing",
                         "give overrides (RS-SQA config keys) or an encoder")
    kwargs = copy.deepcopy(reference.kwargs)
    if entry.get("overrides"):
        kwargs["config"] = {**dict(kwargs.get("config") or {}), **dict(entry["overrides"])}
    return RunSpec(label=str(entry["label"]), assessor=reference.assessor, kwargs=kwargs,
                   encoder=_encoder(entry.get("encoder")) or reference.encoder,
                   table=str(entry["table"]))


def _encoder(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    if not isinstance(entry, dict) or "name" not in entry:
        raise InputError(None, f"encoder entry {entry!r} has no name",
                         "write {name: <registered encoder>, kwargs: {...}}")
    return {"name": str(entry["name"]), "kwargs": dict(entry.get("kwargs") or {})}


def _cost(entry: dict[str, Any] | None) -> dict[str, Any]:
    """What to time for the inference-cost table: the store's encoder and the pool's classes."""
    entry = dict(entry or {})
    unknown = sorted(set(entry) - {"encoder", "num_classes"})
    if unknown:
        raise InputError(None, f"cost has unknown key(s) {', '.join(unknown)}",
                         "use encoder and num_classes")
    return {"encoder": _encoder(entry.get("encoder")),
            "num_classes": int(entry.get("num_classes", 6))}


def _path(value: str, base: Path) -> Path:
    path = Path(value)
    if path.is_absolute() or path.exists() or not (base / path).exists():
        return path
    return base / path
