"""Fit every assessor of the protocol over its seeds and keep its predictions.

The train split is cut once into a fit part and a calibration part (whole source images, so
overlapping tiles never straddle the cut). Every assessor, RS-SQA and baselines alike, fits on
the fit part only, predicts the calibration part (for the conformal intervals) and the test part.
Nothing is ever chosen on the test split.

Predictions are cached per run and seed under ``<output>/predictions`` with a fingerprint of the
run's spec and tiles, so an interrupted benchmark resumes where it stopped.
"""

from __future__ import annotations

import inspect
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupShuffleSplit

from rssqa.assess.base import AssessmentInputs
from rssqa.assess.baselines.nr_iqa_common import FrozenLiteBackbone
from rssqa.assess.registry import assessor_class, create_assessor, seeded_kwargs
from rssqa.benchmark.config import BenchmarkConfig, RunSpec
from rssqa.cache import fingerprint, load_arrays, save_arrays
from rssqa.errors import InputError


@dataclass
class BenchmarkData:
    """fit / calibration / test inputs (with images) and the tiles' source images."""

    fit: AssessmentInputs
    calibration: AssessmentInputs
    test: AssessmentInputs


@dataclass
class RunResult:
    """Predictions of one run: ``test`` and ``calibration`` are S x N x M (one slice per seed
    run; deterministic assessors run once, S = 1). ``selection`` and ``calibration_selection``
    are the assessor's ``selection_scores`` of those predictions (same shapes): their row argmax
    is its pick, which P@1, P@3 and the selection measures score; None means "the predictions"."""

    spec: RunSpec
    seeds: list[int]
    test: np.ndarray
    calibration: np.ndarray
    fit_seconds: list[float]
    predict_seconds_per_tile: list[float]
    selection: np.ndarray | None = None
    calibration_selection: np.ndarray | None = None

    def picks(self, part: str = "test") -> np.ndarray:
        """S x N x M scores whose argmax is the pick on ``part`` ("test" or "calibration")."""
        scores = self.selection if part == "test" else self.calibration_selection
        return getattr(self, part) if scores is None else scores


def calibration_split(train: AssessmentInputs, sources: list[str], fraction: float,
                      seed: int) -> tuple[AssessmentInputs, AssessmentInputs]:
    """(fit, calibration): ``fraction`` of the train split's source images held out whole."""
    if len(set(sources)) < 2:
        raise InputError(None, "the train split has fewer than two source images, so no "
                         "calibration set can be held out", "build the SQED from more images")
    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    fit_index, calibration_index = next(splitter.split(np.arange(len(train)), groups=sources))
    return train.subset(np.sort(fit_index)), train.subset(np.sort(calibration_index))


def load_benchmark_data(config: BenchmarkConfig) -> BenchmarkData:
    from rssqa.sqed.store import SQEDStore

    store = SQEDStore.open(config.store)
    train = store.inputs("train", with_images=True, label=config.target)
    sources = list(store.tiles["source_id"].to_numpy()[store.split_index("train")])
    fit, calibration = calibration_split(train, sources, config.calibration_fraction,
                                         config.seeds[0])
    return BenchmarkData(fit, calibration, store.inputs("test", with_images=True, label=config.target))


def with_semantic_features(data: BenchmarkData, encoder: dict[str, Any],
                           batch_size: int = 32) -> BenchmarkData:
    """The same tiles with semantic tokens and pooled vectors from another encoder."""
    from rssqa.encoders.registry import create_encoder

    model = create_encoder(encoder["name"], **encoder.get("kwargs", {}))

    def encode(inputs: AssessmentInputs) -> AssessmentInputs:
        if inputs.images is None:
            raise InputError(None, "an encoder ablation needs the tiles' images",
                             "open the store with images")
        tokens, pooled = [], []
        for start in range(0, len(inputs), batch_size):
            output = model.encode(inputs.images[start:start + batch_size])
            tokens.append(output.tokens.float().numpy())
            pooled.append(output.pooled.float().numpy())
        return replace(inputs, semantic_tokens=np.concatenate(tokens),
                       semantic_pooled=np.concatenate(pooled))

    return BenchmarkData(encode(data.fit), encode(data.calibration), encode(data.test))


def assessor_kwargs(spec: RunSpec, seed: int, verbose: bool,
                    backbones: dict[int, FrozenLiteBackbone] | None = None
                    ) -> tuple[dict[str, Any], bool]:
    """The spec's kwargs with the seed, verbosity and a shared backbone (one per input size, from
    ``backbones``) put where the assessor's constructor takes them; and whether its results
    depend on the seed.

    The seed goes to a ``seed`` parameter, or into a ``config`` mapping (RS-SQA); an assessor
    with neither is deterministic and runs once.
    """
    cls = assessor_class(spec.assessor)
    parameters = inspect.signature(cls).parameters
    kwargs = seeded_kwargs(spec.assessor, spec.kwargs, seed)
    if "verbose" in parameters:
        kwargs["verbose"] = verbose
    if "backbone" in parameters and backbones is not None:
        size = int(kwargs.get("input_size", parameters["input_size"].default
                              if "input_size" in parameters else 224))
        if size not in backbones:
            backbones[size] = FrozenLiteBackbone(input_size=size)
        kwargs["backbone"] = backbones[size]
    stochastic = getattr(cls, "stochastic", "seed" in parameters or "config" in parameters)
    return kwargs, bool(stochastic)


def run_spec(spec: RunSpec, data: BenchmarkData, seeds: list[int], cache: Path,
             verbose: bool = True,
             backbones: dict[int, FrozenLiteBackbone] | None = None) -> RunResult:
    """Fit and predict ``spec`` once per seed (once in all for a deterministic assessor)."""
    tests, calibrations, fit_seconds, predict_seconds, used = [], [], [], [], []
    selections, calibration_selections = [], []
    for seed in seeds:
        kwargs, stochastic = assessor_kwargs(spec, seed, verbose, backbones)
        path = cache / f"{_slug(spec.label)}-seed{seed}.npz"
        key = _cache_key(spec, kwargs, data)
        cached = load_arrays(path, key, CACHED_KEYS)
        if cached is None:
            assessor = create_assessor(spec.assessor, **kwargs)
            start = time.perf_counter()
            assessor.fit(data.fit)
            fitted = time.perf_counter()
            test = assessor.predict(data.test)
            per_tile = (time.perf_counter() - fitted) / max(1, len(data.test))
            calibration = assessor.predict(data.calibration)
            cached = {"test": np.asarray(test, np.float64),
                      "calibration": np.asarray(calibration, np.float64),
                      "selection": np.asarray(assessor.selection_scores(test), np.float64),
                      "calibration_selection": np.asarray(assessor.selection_scores(calibration),
                                                          np.float64),
                      "fit_seconds": np.float64(fitted - start),
                      "predict_seconds_per_tile": np.float64(per_tile)}
            save_arrays(path, key, cached)
        tests.append(cached["test"])
        calibrations.append(cached["calibration"])
        selections.append(cached["selection"])
        calibration_selections.append(cached["calibration_selection"])
        fit_seconds.append(float(cached["fit_seconds"]))
        predict_seconds.append(float(cached["predict_seconds_per_tile"]))
        used.append(seed)
        if not stochastic:
            break
    return RunResult(spec, used, np.stack(tests), np.stack(calibrations), fit_seconds,
                     predict_seconds, np.stack(selections), np.stack(calibration_selections))


def run_all(config: BenchmarkConfig, data: BenchmarkData) -> list[RunResult]:
    """Every run of the protocol, sharing frozen backbones among the deep baselines and one
    re-encoding per distinct encoder."""
    cache = config.output / "predictions"
    cache.mkdir(parents=True, exist_ok=True)
    backbones: dict[int, FrozenLiteBackbone] = {}
    # Encode first: a missing encoder checkpoint should stop the run before hours of fitting.
    encoded = {_encoder_key(spec.encoder): with_semantic_features(data, spec.encoder)
               for spec in config.runs if spec.encoder is not None}
    results = []
    for spec in config.runs:
        inputs = data if spec.encoder is None else encoded[_encoder_key(spec.encoder)]
        if config.verbose:
            print(f"[benchmark] {spec.label} ({spec.assessor})", flush=True)
        results.append(run_spec(spec, inputs, config.seeds, cache, config.verbose, backbones))
    return results


def _encoder_key(encoder: dict[str, Any]) -> str:
    return json.dumps(encoder, sort_keys=True, default=str)


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-") or "run"


def _cache_key(spec: RunSpec, kwargs: dict[str, Any], data: BenchmarkData) -> str:
    description = {
        "spec": asdict(spec),
        "kwargs": {k: v for k, v in kwargs.items() if k not in ("verbose", "backbone")},
        "fit": data.fit.tile_ids, "calibration": data.calibration.tile_ids,
        "test": data.test.tile_ids, "methods": data.test.methods,
        "semantic": [float(np.asarray(part.semantic_pooled, np.float64).sum())
                     for part in (data.fit, data.test)],
        "targets": float(np.asarray(data.fit.targets, np.float64).sum()),  # OA, mIoU or F1
    }
    return fingerprint(description)


# What a cache file must hold; one written before selection scores were kept is recomputed.
CACHED_KEYS = ("test", "calibration", "selection", "calibration_selection", "fit_seconds",
               "predict_seconds_per_tile")


