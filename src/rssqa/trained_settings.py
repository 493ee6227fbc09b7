"""The settings a trained experiment was built with, held against the config that opens it.

The SQED store's manifest records the tile size, class map, semantic encoder and pool members it
was built with; the pool folder records its raster settings (``pool/raster.json``) and each
trained member's identity and training settings (``pool/<method>/meta.json``); each trained
assessor the accuracy it was trained to predict and the build of the store it learnt from
(``assessors/<name>/trained_for.json``). A
config edited since (``tile_size: 256`` against a store built at 128) would feed the models
other inputs than they were trained and assessed on, and the scores would move without a word.
So every command that opens a trained experiment (train, evaluate, recommend, serve, scenes)
calls :func:`check_trained_settings`,
which refuses any contradiction in one line naming both values, the targets of the assessors
it uses included, and an assessor fitted to a store since rebuilt (by other pool models).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rssqa.cache import KEY, read_record
from rssqa.config import CLASS_IOU, class_of
from rssqa.data.classmap import DUBAI_CLASSES, ClassMap
from rssqa.data.sources.registry import SOURCES
from rssqa.errors import InputError
from rssqa.files import atomic_write_text
from rssqa.pool.records import member_names
from rssqa.raster.settings import RASTER_FILE, RasterSettings

if TYPE_CHECKING:
    from rssqa.config import ExperimentConfig
    from rssqa.sqed.store import SQEDStore

TRAINED_FOR_FILE = "trained_for.json"
REBUILD = ("restore the trained setting in the config, or rebuild the experiment with the new one: "
           "`rssqa build -c CONFIG`, then `rssqa train -c CONFIG`")


def check_trained_settings(config: ExperimentConfig, store: SQEDStore,
                           assessors: Iterable[str] = ()) -> None:
    """Raise one InputError listing every setting of ``config`` that contradicts what the
    experiment's store and pool were built with (the first record at fault is its path: the
    pool's first, since a pool retrained since the build explains the store's differences);
    then one for the first of the trained ``assessors`` whose target is not the config's or
    that learnt from an earlier build of the store."""
    found = [*_pool_contradictions(config, store), *_store_contradictions(config, store)]
    if found:
        raise InputError(found[0][0], "; ".join(sentence for _, sentence in found), REBUILD)
    _check_target_class(config, store)
    for name in assessors:
        _check_trained_for(config, store, config.layout.assessors / name)


def _check_target_class(config: ExperimentConfig, store: SQEDStore) -> None:
    """A class-IoU target (``iou:road``) must name one of the experiment's classes."""
    name, classes = class_of(config.target), store.classmap.names
    if name is not None and name not in classes:
        raise InputError(None, f"target {config.target!r} names no class {name!r} of this "
                         f"experiment (its classes: {', '.join(classes)})",
                         f"write e.g. `target: {CLASS_IOU}{classes[-1]}`")


def record_trained_for(directory: Path, target: str, store: SQEDStore) -> None:
    """Note beside a freshly trained assessor which accuracy it learnt to predict, and from
    which build of the store."""
    atomic_write_text(Path(directory) / TRAINED_FOR_FILE,
                      json.dumps({"target": target, "store": store.manifest.get(KEY)}))


def _check_trained_for(config: ExperimentConfig, store: SQEDStore, directory: Path) -> None:
    """Refuse a config whose ``target`` is not the one the assessor in ``directory`` was trained
    for (its scores would be read, ranked and evaluated as another accuracy), and an assessor
    fitted to an earlier build of the store (to other pool models' features, whose scores it
    would now give to the new ones). What an assessor trained before rssqa recorded it is
    taken as it is."""
    path = Path(directory) / TRAINED_FOR_FILE
    if not path.exists():
        return
    retrain = f"`rssqa train -c CONFIG --assessors {Path(directory).name}`"
    record = read_record(path) or {}
    trained = record.get("target")
    if not isinstance(trained, str):
        raise InputError(path, "is damaged (not the accuracy the assessor was trained for)",
                         f"retrain it with {retrain}")
    if trained != config.target:
        raise InputError(path, _differs("target", config.target, trained),
                         f"restore `target: {trained}` in the config, or retrain with {retrain}")
    learnt_from = record.get("store")
    if learnt_from is not None and learnt_from != store.manifest.get(KEY):
        raise InputError(path, f"{Path(directory).name} was trained on an earlier build of the "
                         "SQED store (its pool's models or tiles have changed since)",
                         f"retrain it with {retrain}")


def declared_classmap(config: ExperimentConfig) -> ClassMap | None:
    """The class map the config's source declares, read without opening any data: the
    ``data.classmap`` of a folder, the fixed one of a published dataset or the demo; None when
    the source kind has none to compare."""
    data = dict(config.data)
    if "classmap" in data:
        return ClassMap.from_dict(data["classmap"])
    kind = data.get("kind", "demo")
    if kind == "demo":
        return DUBAI_CLASSES
    fixed = getattr(SOURCES.get(kind), "classmap", None)
    return fixed if isinstance(fixed, ClassMap) else None


def _store_contradictions(config: ExperimentConfig, store: SQEDStore) -> list[tuple[Path, str]]:
    manifest, record = store.manifest, store.root / "manifest.json"
    found = []
    if manifest["tile_size"] != config.tile_size:
        found.append(_differs("tile_size", config.tile_size, manifest["tile_size"]))
    classmap = declared_classmap(config)
    trained_classmap = store.classmap
    if classmap is not None and classmap != trained_classmap:
        found.append(_differs("class map", _classes(classmap, trained_classmap),
                              _classes(trained_classmap, classmap)))
    if manifest.get("encoder", config.encoder.name) != config.encoder.name:
        found.append(_differs("encoder.name", config.encoder.name, manifest["encoder"]))
    trained_kwargs = manifest.get("build", {}).get("encoder")
    if trained_kwargs is not None and trained_kwargs != _plain(config.encoder.kwargs):
        found.append(_differs("encoder.kwargs", _plain(config.encoder.kwargs), trained_kwargs))
    if sorted(member_names(config.pool.methods), key=str) != sorted(store.methods):
        found.append(_differs("pool.methods", _names(member_names(config.pool.methods)), _names(store.methods)))
    else:
        found += _method_kwargs(config, manifest.get("pool", {}))
        found += _pool_training(config, manifest.get("pool", {}))
    return [(record, sentence) for sentence in found]


def _method_kwargs(config: ExperimentConfig, members: dict[str, dict]) -> list[str]:
    """Each trained method's kwargs against those it was trained with (``meta.json``)."""
    found = []
    for entry in config.pool.methods:
        meta = members.get(entry.name, {})
        if "kwargs" in meta and meta.get("method") == entry.name and meta["kwargs"] != _plain(entry.kwargs):
            found.append(_differs(f"the kwargs of pool method {entry.name}", _plain(entry.kwargs),
                                  meta["kwargs"]))
    return found


def _pool_training(config: ExperimentConfig, members: dict[str, dict]) -> list[str]:
    """The config's ``pool.train`` against what the trained members recorded, setting by setting
    (the thread count changes no weight; a setting added since a pool was trained is not held
    against it)."""
    wanted = _plain(asdict(config.pool.train))
    for meta in members.values():
        trained = meta.get("config")
        if not isinstance(trained, dict):
            continue  # not trained by rssqa (prediction folders, zero-shot members)
        differing = sorted(key for key in trained.keys() & wanted.keys() - {"threads"}
                           if trained[key] != wanted[key])
        if differing:
            return [_differs("pool.train", {k: wanted[k] for k in differing},
                             {k: trained[k] for k in differing})]
    return []


def _pool_contradictions(config: ExperimentConfig, store: SQEDStore) -> list[tuple[Path, str]]:
    layout = config.layout
    path = layout.pool / RASTER_FILE
    found = []
    trained = _recorded_raster(path)
    wanted = config.raster_settings or RasterSettings()
    if trained != wanted:
        found.append((path, _differs("raster", wanted.to_dict(), trained.to_dict())))
    for name, meta in store.manifest.get("pool", {}).items():
        current = read_record(layout.pool / name / "meta.json")  # a damaged one: load_pool says so
        if current and "fingerprint" in meta and current.get("fingerprint") != meta["fingerprint"]:
            found.append((layout.pool / name, f"pool method {name} was trained again after the "
                          "SQED store was built, so the store and the assessors describe another "
                          "model"))
    return found


def _recorded_raster(path: Path) -> RasterSettings:
    """The pool's raster settings; the defaults for a pool trained before they were recorded."""
    if not path.exists():
        return RasterSettings()
    recorded = read_record(path)
    try:
        if recorded is not None:
            return RasterSettings.from_dict(recorded)
    except (InputError, TypeError, ValueError):
        pass  # readable JSON, but not raster settings
    raise InputError(path, "is damaged (not the pool's raster settings)",
                     "run `rssqa build -c CONFIG` again: it records them anew from the config")


def _differs(setting: str, configured: Any, trained: Any) -> str:
    return f"{setting} is {configured} in the config but {trained} in the trained experiment"


def _classes(classmap: ClassMap, other: ClassMap) -> str:
    """The class names, or the whole class map when only its encoding differs from ``other``."""
    if list(classmap.names) != list(other.names):
        return f"({', '.join(classmap.names)})"
    return json.dumps(classmap.to_dict(), separators=(",", ":"))


def _names(names: list) -> str:
    return f"({', '.join(map(str, names))})"


def _plain(value: Any) -> Any:
    """``value`` as JSON would give it back (how the records hold settings)."""
    return json.loads(json.dumps(value, default=str))
