"""The pool from an experiment config: trained (or reused) on the pool groups, and loaded back
from the experiment's pool folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rssqa.cache import fingerprint
from rssqa.config import ExperimentConfig
from rssqa.data.assignment import pool_samples
from rssqa.data.classmap import ClassMap
from rssqa.data.labelled import load_source, load_tiles
from rssqa.data.tiling import SkipLog
from rssqa.data.types import Sample
from rssqa.errors import InputError
from rssqa.pool.member import PoolMember
from rssqa.pool.records import (MEMBER_FILE, create_member, is_external, load_member, member_names,
                                save_member)
from rssqa.pool.train import load_trained, train_method
from rssqa.raster.settings import RasterSettings
from rssqa.segzoo import get_method


def train_pool(config: ExperimentConfig, verbose: bool = True,
               source: tuple[list[Sample], ClassMap] | None = None) -> list[PoolMember]:
    """Every member of the pool, in config order: registry methods trained (or loaded, when
    already trained) on the pool groups; saved predictions and user models (``name: predictions``
    / ``name: torch``) opened and recorded in the pool folder, never trained. ``source``: the
    samples and class map when the caller has already loaded them (``load_source``)."""
    names = member_names(config.pool.methods)
    samples, classmap = source or load_source(config)
    trained = [e for e in config.pool.methods if not is_external(e.name)]
    training = _pool_training_data(config, samples, classmap, verbose) if trained else None
    pool_dir = config.layout.pool
    pool_dir.mkdir(parents=True, exist_ok=True)
    (config.raster_settings or RasterSettings()).save(pool_dir)
    pool: list[PoolMember] = []
    for entry, name in zip(config.pool.methods, names):
        directory = pool_dir / name
        if is_external(entry.name):
            pool.append(create_member(entry.name, entry.kwargs, classmap))
            save_member(directory, entry.name, entry.kwargs, classmap)
            continue
        images, masks, data_id = training
        pool.append(train_method(get_method(entry.name), images, masks, classmap.num_classes,
                                 directory, config.pool.train, method_kwargs=entry.kwargs,
                                 data_id=data_id, verbose=verbose))
    return pool


def _pool_training_data(config: ExperimentConfig, samples: list[Sample], classmap: ClassMap,
                        verbose: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """The pool groups' tiles and masks, and their fingerprint (the trainer's cache key)."""
    pool_part = pool_samples(samples, config.split_rule)
    skipped, settings = SkipLog(), config.raster_settings
    ids, images, masks = load_tiles(pool_part, config.tile_size, classmap, skipped, settings)
    if verbose:
        groups = sorted({s.group for s in pool_part})
        print(f"pool training data: {len(ids)} tiles of {config.tile_size} px from "
              f"{len(pool_part)} images in {len(groups)} group(s): {', '.join(groups[:10])}")
        if skipped.entries:
            print(skipped.summary())
    data = {"tiles": ids}
    if settings is not None:  # pools trained before raster settings existed stay valid
        data["raster"] = settings.to_dict()
    return images, masks, fingerprint(data)


def load_pool(directory: Path, methods: list[str] | None = None) -> list[PoolMember]:
    """The pool members recorded in ``directory`` (one sub-folder each: a trained method's
    weights, or the ``member.json`` of saved predictions or a user model)."""
    directory = Path(directory)
    names = methods or sorted(p.name for p in directory.iterdir()
                              if (p / "meta.json").exists() or (p / MEMBER_FILE).exists())
    if not names:
        raise InputError(directory, "holds no trained segmentation method", "run `rssqa build -c CONFIG`")
    return [load_member(directory / name) if (directory / name / MEMBER_FILE).exists()
            else load_trained(directory / name) for name in names]
