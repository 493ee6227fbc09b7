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
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rssqa.config import CLASS_IOU, TARGETS, is_target
from rssqa.errors import InputError
from rssqa.typed_config import from_dict, read_yaml

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


@dataclass(frozen=True, kw_only=True)
class BenchmarkProtocol:
    """How every row is fitted and judged: the same in the YAML file and in the run."""

    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    n_boot: int = 1000
    calibration_fraction: float = 0.2
    coverage_levels: tuple[float, ...] = (0.8, 0.9, 0.95)
    threads: int | None = None
    verbose: bool = True
    target: str = "oa"  # the accuracy predicted and selected on: oa, miou, f1 or iou:<class>

    def __post_init__(self) -> None:
        problems = []
        if not self.seeds:
            problems.append("seeds is empty")
        if not 0 < self.calibration_fraction < 1:
            problems.append(f"calibration_fraction must be in (0, 1), got {self.calibration_fraction}")
        if any(not 0 < level < 1 for level in self.coverage_levels):
            problems.append(f"coverage_levels must lie in (0, 1), got {list(self.coverage_levels)}")
        if self.n_boot < 1:
            problems.append(f"n_boot must be positive, got {self.n_boot}")
        if not is_target(self.target):
            problems.append(f"target must be {', '.join(TARGETS)} or {CLASS_IOU}<class>, "
                            f"got {self.target!r}")
        if problems:
            raise InputError(None, "; ".join(problems), "fix these values in the benchmark config")


@dataclass(frozen=True, kw_only=True)
class BenchmarkConfig(BenchmarkProtocol):
    store: Path
    output: Path
    reference: str
    assessors: list[RunSpec]
    ablations: list[RunSpec] = field(default_factory=list)
    cost: dict[str, Any] = field(default_factory=dict)  # {encoder: {name, kwargs}, num_classes}
    source: dict[str, Any] = field(default_factory=dict)  # the YAML as read, for the run record

    @property
    def runs(self) -> list[RunSpec]:
        return [*self.assessors, *self.ablations]

    @property
    def reference_spec(self) -> RunSpec:
        return next(spec for spec in self.assessors if spec.label == self.reference)

    @classmethod
    def from_yaml(cls, path: str | Path) -> BenchmarkConfig:
        values = read_yaml(path, "benchmark config", "configs/benchmark_dubai.yaml")
        try:
            return cls.from_dict(values, base=Path(path).parent)
        except InputError as error:
            raise InputError(path, error.problem, error.hint) from None

    @classmethod
    def from_dict(cls, values: dict[str, Any], base: Path = Path(".")) -> BenchmarkConfig:
        """Relative ``store`` and ``output`` paths are taken from the working directory, like
        every other rssqa config; ``base`` is only consulted when that path does not exist."""
        written = from_dict(BenchmarkFile, values)
        assessors = [_run_spec(entry) for entry in written.assessors]
        labels = [spec.label for spec in assessors]
        reference = written.reference if written.reference is not None else labels[0]
        if reference not in labels:
            raise InputError(None, f"reference {reference!r} is not one of the assessors' labels "
                             f"({', '.join(labels)})", "name the RS-SQA row as reference")
        reference_spec = assessors[labels.index(reference)]
        ablations = [_ablation(entry, reference_spec) for entry in written.ablations]
        all_labels = labels + [spec.label for spec in ablations]
        duplicates = sorted({label for label in all_labels if all_labels.count(label) > 1})
        if duplicates:
            raise InputError(None, f"labels used twice: {', '.join(duplicates)}",
                             "give every assessor and ablation its own label")
        protocol = {f.name: getattr(written, f.name) for f in fields(BenchmarkProtocol)}
        return cls(store=_path(written.store, base), output=Path(written.output),
                   reference=reference, assessors=assessors, ablations=ablations,
                   cost=_cost(written.cost), source=copy.deepcopy(values), **protocol)


@dataclass(frozen=True)
class ComponentEntry:
    """``{name: <registered name>, kwargs: {...}}``."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AssessorEntry:
    name: str
    label: str | None = None  # the assessor's name when absent
    kwargs: dict[str, Any] = field(default_factory=dict)
    encoder: ComponentEntry | None = None


@dataclass(frozen=True)
class AblationEntry:
    label: str
    table: str  # components | loss | encoder | ...
    overrides: dict[str, Any] = field(default_factory=dict)  # RS-SQA config keys
    encoder: ComponentEntry | None = None

    def __post_init__(self) -> None:
        if not self.overrides and self.encoder is None:
            raise InputError(None, f"ablation {self.label!r} changes nothing",
                             "give overrides (RS-SQA config keys) or an encoder")


@dataclass(frozen=True)
class CostEntry:
    """What to time for the inference-cost table: the store's encoder and the pool's classes."""

    encoder: ComponentEntry | None = None
    num_classes: int = 6


@dataclass(frozen=True, kw_only=True)
class BenchmarkFile(BenchmarkProtocol):
    """The benchmark YAML as written; :class:`BenchmarkConfig` is what runs."""

    store: str
    output: str
    assessors: list[AssessorEntry]
    reference: str | None = None  # the first assessor's label when absent
    ablations: list[AblationEntry] = field(default_factory=list)
    cost: CostEntry = field(default_factory=CostEntry)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.assessors:
            raise InputError(None, "assessors is empty", "list at least one assessor")


def _run_spec(entry: AssessorEntry) -> RunSpec:
    return RunSpec(label=entry.label if entry.label is not None else entry.name,
                   assessor=entry.name, kwargs=dict(entry.kwargs), encoder=_encoder(entry.encoder),
                   table=MAIN_TABLE)


def _ablation(entry: AblationEntry, reference: RunSpec) -> RunSpec:
    kwargs = copy.deepcopy(reference.kwargs)
    if entry.overrides:
        kwargs["config"] = {**dict(kwargs.get("config") or {}), **entry.overrides}
    return RunSpec(label=entry.label, assessor=reference.assessor, kwargs=kwargs,
                   encoder=_encoder(entry.encoder) or reference.encoder, table=entry.table)


def _encoder(entry: ComponentEntry | None) -> dict[str, Any] | None:
    return None if entry is None else {"name": entry.name, "kwargs": dict(entry.kwargs)}


def _cost(entry: CostEntry) -> dict[str, Any]:
    return {"encoder": _encoder(entry.encoder), "num_classes": entry.num_classes}


def _path(value: str, base: Path) -> Path:
    path = Path(value)
    if path.is_absolute() or path.exists() or not (base / path).exists():
        return path
    return base / path
