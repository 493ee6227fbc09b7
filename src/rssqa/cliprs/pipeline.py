"""The CLIP-RS pipeline (the paper's section 3.1), offline, as cached and resumable stages.

    crops     labelled source images cut into square crops; pretraining groups split per group
              into high-quality (HQ), calibration and "web" images; held-out evaluation crops
    captions  mask captions for HQ, calibration and evaluation crops; the synthetic noisy pool
              for web crops (see rssqa.cliprs.noise)
    base      the starting CLIP as an open_clip folder: the offline LiT model, or the user's CLIP
    clip_sem  CLIP_Sem: contrastive training of the base on HQ pairs only
    purify    CLIP_Sem scores every pool pair and the held-out calibration pairs; pool pairs below
              the calibrated threshold are flagged (rssqa.cliprs.purify)
    refine    flagged captions rewritten by the captioner (rssqa.cliprs.refine)
    clip_rs   CLIP-RS: continual pretraining of CLIP_Sem on HQ + calibration + purified pool pairs
    clip_noisy  (optional ablation, ``unpurified_baseline: true``) the same continual pretraining on
              the raw, unpurified pool: what purification buys
    evaluate  retrieval, zero-shot presence (base, CLIP_Sem, CLIP-RS[, unpurified]) and the
              filter's precision and recall, with bootstrap intervals

Each stage writes into ``<run_dir>/<stage>/`` and records a fingerprint of its settings and of the
stages it reads; a stage whose fingerprint matches a finished one is skipped, one that was cut off
is resumed (training from its last step checkpoint), one whose settings changed is redone along
with everything after it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from PIL import Image

from rssqa.cache import fingerprint, read_record, write_record
from rssqa.claimed_folders import FolderKind, claim_folder
from rssqa.cliprs.captions import describe_mask
from rssqa.cliprs.model import LitConfig, write_initial_lit
from rssqa.cliprs.noise import make_noisy_pool
from rssqa.cliprs.stages import STAGES
from rssqa.cliprs.train import FINAL_MODEL, ClipTrainConfig, train_clip
from rssqa.errors import InputError
from rssqa.typed_config import load_yaml_config
from rssqa.typed_config import as_config

MODELS = {"base": "base", "clip_sem": "CLIP_Sem", "clip_rs": "CLIP-RS", "clip_noisy": "unpurified"}

# Training defaults for both contrastive stages, sized for the offline LiT model on CPU; any
# ClipTrainConfig field may be overridden per stage in the pipeline config.
TRAIN_DEFAULTS = {"batch_size": 64, "epochs": 4, "lr": 5e-4, "wd": 0.1, "warmup": 5,
                  "lock_image_unlocked_groups": 2, "save_every_n_steps": 10, "log_every_n_steps": 1}


@dataclass
class PipelineConfig:
    """Everything a pipeline run depends on; loaded from YAML by :func:`load_config`."""

    run_dir: str
    data: dict                      # a source as rssqa.data.sources.create_source takes it
    pretrain_groups: list[str]
    eval_groups: list[str]
    eval_test_per_group: int = 2    # held-out images per eval group (rssqa.data.splits.split_by_source)
    seed: int = 0                   # data: image roles, held-out split, captions, noise
    model_seed: int = 0             # models: projection init, data order, augmentation
    crop_size: int = 256
    min_labelled: float = 0.5       # crops with fewer labelled pixels are dropped
    hq_per_group: int = 3           # source images per pretraining group with clean captions
    calibration_per_group: int = 1  # held out of CLIP_Sem to calibrate the purification threshold
    hq_captions_per_image: int = 3
    web_captions_per_image: int = 2
    noise_rate: float = 0.5
    eval_captions_per_image: int = 3
    base: dict = field(default_factory=dict)   # {} = offline LiT; or {model: ..., pretrained: ...}
    lit: dict = field(default_factory=dict)    # LitConfig fields
    clip_sem: dict = field(default_factory=dict)
    clip_rs: dict = field(default_factory=dict)
    false_flag_rate: float = 0.1
    refine: dict = field(default_factory=lambda: {"captioner": "mask"})
    unpurified_baseline: bool = False   # also train on the raw pool (stage clip_noisy), same settings
    nproc_per_node: int = 1
    threads: int | None = None
    n_boot: int = 1000


def _an_earlier_run(folder: Path) -> bool:
    return any(read_record(folder / stage / "stage.json") is not None for stage in STAGES)


# The names a run writes at the top of its run_dir (rssqa.claimed_folders).
PIPELINE_RUN = FolderKind("a CLIP-RS pipeline run", "`run_dir` in the pipeline config",
                          ".rssqa-clip-pipeline", (*STAGES, "pipeline_config.yaml", "timings.json"),
                          _an_earlier_run)


def load_config(path: str | Path) -> PipelineConfig:
    return load_yaml_config(PipelineConfig, path, "CLIP-RS pipeline config",
                            "configs/cliprs_dubai.yaml")


class _Stages:
    """Runs stages in order, skipping finished ones whose fingerprint still matches."""

    def __init__(self, run_dir: Path, verbose: bool):
        self.run_dir, self.verbose = run_dir, verbose
        self.fingerprints: dict[str, str] = {}
        self.seconds: dict[str, float] = {}

    def run(self, name: str, settings: dict, reads: tuple[str, ...], work: Callable[[Path], None]) -> Path:
        directory = self.run_dir / name
        key = fingerprint({"settings": settings, "reads": [self.fingerprints[r] for r in reads]})
        self.fingerprints[name] = key
        marker = directory / "stage.json"
        recorded = read_record(marker)
        current = recorded is not None and recorded.get("fingerprint") == key
        if current and recorded.get("done"):
            self.seconds[name] = recorded["seconds"]
            self._say(f"[{name}] cached ({recorded['seconds']:.0f} s when computed)")
            return directory
        if recorded is not None and not current:
            self._say(f"[{name}] settings changed: recomputing")
            shutil.rmtree(directory)
        directory.mkdir(parents=True, exist_ok=True)
        previous = recorded.get("seconds", 0.0) if current else 0.0
        write_record(marker, key, done=False, seconds=previous, settings=settings)
        self._say(f"[{name}] running")
        started = time.time()
        work(directory)
        self.seconds[name] = previous + time.time() - started
        write_record(marker, key, done=True, seconds=self.seconds[name], settings=settings)
        return directory

    def _say(self, message: str) -> None:
        if self.verbose:
            print(message, flush=True)


def _assign_roles(source_ids: list[str], group: str, config: PipelineConfig) -> dict[str, str]:
    """Per pretraining group: hq, calibration and web images, drawn from (seed, group) alone."""
    ids = sorted(source_ids)
    need = config.hq_per_group + config.calibration_per_group
    if need >= len(ids):
        raise InputError(None, f"group {group} has {len(ids)} image(s); hq_per_group + "
                         f"calibration_per_group = {need} leaves none for the web pool",
                         "lower hq_per_group or calibration_per_group")
    order = np.random.default_rng([config.seed, zlib.crc32(group.encode())]).permutation(len(ids))
    roles = ["hq"] * config.hq_per_group + ["calibration"] * config.calibration_per_group
    roles += ["web"] * (len(ids) - need)
    return {ids[i]: role for i, role in zip(order, roles)}


def _make_crops(config: PipelineConfig, out: Path) -> None:
    from rssqa.data.sources import create_source
    from rssqa.data.splits import select_groups, split_by_source
    from rssqa.data.tiling import SkipLog, iter_tile_data

    options = dict(config.data)
    source = create_source(options.pop("kind"), **options)
    samples = source.samples()
    classmap = source.classmap
    pretrain = select_groups(samples, config.pretrain_groups)
    held = select_groups(samples, config.eval_groups)
    split = split_by_source(held, config.eval_test_per_group, config.seed)
    roles = {}
    for group in config.pretrain_groups:
        roles.update(_assign_roles([s.source_id for s in pretrain if s.group == group], group, config))
    roles.update({s.source_id: "eval" for s in held if split[s.source_id] == "test"})
    chosen = [s for s in pretrain + held if s.source_id in roles]

    (out / "images").mkdir(exist_ok=True)
    (out / "masks").mkdir(exist_ok=True)
    rows, skipped = [], SkipLog()
    for tile in iter_tile_data(chosen, config.crop_size, classmap, on_error=skipped.add):
        labelled = tile.mask != classmap.ignore_index
        if labelled.mean() < config.min_labelled:
            continue
        crop_id = tile.tile.tile_id
        image_path, mask_path = out / "images" / f"{crop_id}.png", out / "masks" / f"{crop_id}.png"
        Image.fromarray(tile.image).save(image_path)
        Image.fromarray(tile.mask).save(mask_path)
        rows.append({"crop_id": crop_id, "source_id": tile.tile.source_id, "group": tile.tile.group,
                     "role": roles[tile.tile.source_id], "image": str(image_path.resolve()),
                     "mask": str(mask_path.resolve())})
    if skipped.entries:
        print(skipped.summary(), file=sys.stderr)
    (out / "classes.json").write_text(json.dumps({"names": list(classmap.names),
                                                  "ignore_index": classmap.ignore_index}))
    pd.DataFrame(rows).to_csv(out / "crops.csv", index=False)


def _read_mask(path: str) -> np.ndarray:
    return np.asarray(Image.open(path))


def _make_captions(config: PipelineConfig, crops_dir: Path, out: Path) -> None:
    crops = pd.read_csv(crops_dir / "crops.csv")
    classes = json.loads((crops_dir / "classes.json").read_text())
    names, ignore = classes["names"], classes["ignore_index"]
    rng = np.random.default_rng(config.seed)

    def clean_rows(role: str, n: int) -> pd.DataFrame:
        rows = []
        for crop in crops[crops.role == role].itertuples():
            for caption in describe_mask(_read_mask(crop.mask), names, n=n, ignore_index=ignore, rng=rng):
                rows.append({"crop_id": crop.crop_id, "group": crop.group, "source_id": crop.source_id,
                             "filepath": crop.image, "title": caption})
        return pd.DataFrame(rows)

    clean_rows("hq", config.hq_captions_per_image).to_csv(out / "hq.tsv", sep="\t", index=False)
    clean_rows("calibration", config.hq_captions_per_image).to_csv(out / "calibration.tsv", sep="\t", index=False)
    clean_rows("eval", config.eval_captions_per_image).to_csv(out / "eval.tsv", sep="\t", index=False)
    web = crops[crops.role == "web"].reset_index(drop=True)
    pool = make_noisy_pool(web.crop_id.tolist(), [_read_mask(p) for p in web["mask"]], names,
                           config.web_captions_per_image, config.noise_rate, ignore, seed=config.seed)
    pool = pool.merge(web[["crop_id", "group", "source_id", "image"]], on="crop_id")
    pool.rename(columns={"image": "filepath", "caption": "title"}).to_csv(out / "web_pool.tsv", sep="\t", index=False)


def _train_settings(config: PipelineConfig, stage: str) -> dict:
    """The stage's ClipTrainConfig options, code defaults included, so a changed default redoes it."""
    options = {**TRAIN_DEFAULTS, "seed": config.model_seed, "threads": config.threads, **getattr(config, stage)}
    resolved = asdict(ClipTrainConfig.from_mapping({**options, "model": "", "train_data": "", "output_dir": ""}))
    return {k: v for k, v in resolved.items() if k not in ("model", "pretrained", "train_data", "output_dir")}


def _train(config: PipelineConfig, stage: str, model: str, pretrained: str | None, data: Path,
           out: Path, verbose: bool) -> Path:
    train_config = ClipTrainConfig.from_mapping({**_train_settings(config, stage), "model": model,
                                             "pretrained": pretrained, "train_data": str(data),
                                             "output_dir": str(out)})
    if config.nproc_per_node <= 1:
        return train_clip(train_config, verbose=verbose)
    launch = out / "launch_config.yaml"
    launch.write_text(yaml.safe_dump(asdict(train_config), sort_keys=False))
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                    f"--nproc_per_node={config.nproc_per_node}", "-m", "rssqa.cliprs.train",
                    "--config", str(launch)], check=True)
    return out / FINAL_MODEL


def _make_base(config: PipelineConfig, out: Path) -> None:
    if not config.base:
        torch.manual_seed(config.model_seed)  # the projections start random
        write_initial_lit(out / FINAL_MODEL, as_config(LitConfig, config.lit, "lit"))
        return
    import open_clip

    from rssqa.encoders.openclip import load_open_clip, open_clip_model_config, save_open_clip

    model, pretrained = config.base.get("model"), config.base.get("pretrained")
    if model is None or set(config.base) - {"model", "pretrained"}:
        raise InputError(None, f"base {config.base} is not a model", "give base: {model: <open_clip name or "
                         "local-dir:folder>, pretrained: <checkpoint file>}, or base: {} for the offline LiT")
    save_open_clip(load_open_clip(model, pretrained), open_clip_model_config(model), out / FINAL_MODEL,
                   tokenizer=open_clip.get_tokenizer(model))


def _purify(config: PipelineConfig, captions_dir: Path, clip_sem: Path, out: Path) -> None:
    from rssqa.cliprs.embed import ClipEmbedder
    from rssqa.cliprs.purify import calibrated_threshold, flag_low_scores

    embedder = ClipEmbedder.from_folder(clip_sem)
    calibration = pd.read_csv(captions_dir / "calibration.tsv", sep="\t")
    calibration["score"] = embedder.pair_scores(calibration.filepath.tolist(), calibration.title.tolist())
    threshold = calibrated_threshold(calibration.score.to_numpy(), config.false_flag_rate)
    pool = pd.read_csv(captions_dir / "web_pool.tsv", sep="\t")
    pool["score"] = embedder.pair_scores(pool.filepath.tolist(), pool.title.tolist())
    pool["flagged"] = flag_low_scores(pool.score.to_numpy(), threshold)
    calibration.to_csv(out / "calibration_scores.tsv", sep="\t", index=False)
    pool.to_csv(out / "pool_scores.tsv", sep="\t", index=False)
    (out / "threshold.json").write_text(json.dumps({
        "rule": f"{config.false_flag_rate} quantile of CLIP_Sem scores on held-out clean pairs",
        "threshold": threshold, "calibration_pairs": len(calibration), "flagged": int(pool.flagged.sum()),
        "pool_pairs": len(pool)}, indent=2))


def _captioner(config: PipelineConfig, crops_dir: Path):
    from rssqa.cliprs.refine import MaskCaptioner, NearestCentroidSegmenter, VLMCaptioner

    options = dict(config.refine)
    kind = options.pop("captioner", "mask")
    if kind == "vlm":
        return VLMCaptioner(**options)
    if kind != "mask" or set(options) - {"segmentation_model"}:
        raise InputError(None, f"refine settings {config.refine} are not understood",
                         "use {captioner: mask} (optionally with segmentation_model: <a trained rssqa "
                         "pool member's folder>) or {captioner: vlm, path: <model folder>}")
    classes = json.loads((crops_dir / "classes.json").read_text())
    if "segmentation_model" in options:
        from rssqa.cliprs.refine import ModelSegmenter
        from rssqa.pool.train import load_trained

        segmenter = ModelSegmenter(load_trained(Path(options["segmentation_model"])).model)
    else:
        crops = pd.read_csv(crops_dir / "crops.csv")
        fitted_on = crops[crops.role == "hq"]
        segmenter = NearestCentroidSegmenter(seed=config.seed).fit(
            [np.asarray(Image.open(p)) for p in fitted_on.image], [_read_mask(p) for p in fitted_on["mask"]],
            ignore_index=classes["ignore_index"])
    return MaskCaptioner(segmenter, classes["names"], classes["ignore_index"], seed=config.seed)


def _refine(config: PipelineConfig, crops_dir: Path, captions_dir: Path, purify_dir: Path, out: Path) -> None:
    pool = pd.read_csv(purify_dir / "pool_scores.tsv", sep="\t")
    flagged = pool[pool.flagged]
    captioner = _captioner(config, crops_dir)
    refined = captioner([np.asarray(Image.open(p).convert("RGB")) for p in flagged.filepath])
    pool["refined"] = pool.title
    pool.loc[pool.flagged, "refined"] = refined
    pool.to_csv(out / "pool_refined.tsv", sep="\t", index=False)
    clean = pd.concat([pd.read_csv(captions_dir / "hq.tsv", sep="\t"),
                       pd.read_csv(captions_dir / "calibration.tsv", sep="\t")], ignore_index=True)
    purified = pd.concat([clean, pool.assign(title=pool.refined)], ignore_index=True)
    purified[["filepath", "title"]].to_csv(out / "pairs.tsv", sep="\t", index=False)
    # The ablation's training set: the same pairs with the pool left as crawled.
    unpurified = pd.concat([clean, pool], ignore_index=True)
    unpurified[["filepath", "title"]].to_csv(out / "pairs_unpurified.tsv", sep="\t", index=False)


def _evaluate(config: PipelineConfig, run_dir: Path, out: Path) -> None:
    from rssqa.cliprs.embed import ClipEmbedder
    from rssqa.cliprs.evaluate import evaluate_clip, evaluate_filter

    crops_dir, captions_dir = run_dir / "crops", run_dir / "captions"
    classes = json.loads((crops_dir / "classes.json").read_text())
    names, ignore = classes["names"], classes["ignore_index"]
    crops = pd.read_csv(crops_dir / "crops.csv")
    evaluation = crops[crops.role == "eval"].reset_index(drop=True)
    captions = pd.read_csv(captions_dir / "eval.tsv", sep="\t")
    row = {c: i for i, c in enumerate(evaluation.crop_id)}
    shares = np.stack([_shares(_read_mask(p), len(names), ignore) for p in evaluation["mask"]])
    metrics = {}
    for stage, label in MODELS.items():
        if not (run_dir / stage / FINAL_MODEL).is_dir() or (stage == "clip_noisy" and not config.unpurified_baseline):
            continue
        embedder = ClipEmbedder.from_folder(run_dir / stage / FINAL_MODEL)
        scores = evaluate_clip(embedder, evaluation.image.tolist(), evaluation.source_id.tolist(), shares,
                               captions.title.tolist(), captions.crop_id.map(row).tolist(), names,
                               n_boot=config.n_boot, seed=config.seed)
        metrics[label] = {k: asdict(v) for k, v in scores.items()}
    pool = pd.read_csv(run_dir / "purify" / "pool_scores.tsv", sep="\t")
    filter_scores = evaluate_filter(pool.flagged.to_numpy(), pool.is_noisy.to_numpy(), pool.source_id.tolist(),
                                    n_boot=config.n_boot, seed=config.seed)
    metrics["filter"] = {k: asdict(v) for k, v in filter_scores.items()}
    metrics["filter"]["recall_by_kind"] = (pool[pool.is_noisy].groupby("noise_kind").flagged.mean().round(3).to_dict())
    metrics["filter"]["flag_rate_on_clean"] = float(pool[~pool.is_noisy].flagged.mean())
    metrics["data"] = {"eval_crops": len(evaluation), "eval_source_images": int(evaluation.source_id.nunique()),
                       "eval_captions": len(captions),
                       "crops_by_role": crops.role.value_counts().to_dict()}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))


def _shares(mask: np.ndarray, num_classes: int, ignore_index: int) -> np.ndarray:
    labelled = mask[mask != ignore_index]
    return np.bincount(labelled, minlength=num_classes)[:num_classes] / max(labelled.size, 1)


def run_pipeline(config: PipelineConfig, verbose: bool = True, until: str | None = None) -> Path:
    """Run (or resume) every stage up to and including ``until``; returns the run folder."""
    if until is not None and until not in STAGES:
        raise InputError(None, f"unknown stage {until!r}", f"stages: {', '.join(STAGES)}")
    run_dir = claim_folder(config.run_dir, PIPELINE_RUN)
    (run_dir / "pipeline_config.yaml").write_text(yaml.safe_dump(asdict(config), sort_keys=False))
    if config.threads:
        torch.set_num_threads(config.threads)
    stages = _Stages(run_dir, verbose)
    c = config
    plan = [
        ("crops", {"data": c.data, "pretrain": c.pretrain_groups, "eval": c.eval_groups,
                   "test_per_group": c.eval_test_per_group, "seed": c.seed, "crop": c.crop_size,
                   "min_labelled": c.min_labelled, "hq": c.hq_per_group, "calibration": c.calibration_per_group},
         (), lambda d: _make_crops(c, d)),
        ("captions", {"hq": c.hq_captions_per_image, "web": c.web_captions_per_image, "noise": c.noise_rate,
                      "eval": c.eval_captions_per_image, "seed": c.seed},
         ("crops",), lambda d: _make_captions(c, run_dir / "crops", d)),
        ("base", {"base": c.base, "lit": asdict(as_config(LitConfig, c.lit, "lit")), "seed": c.model_seed}, (),
         lambda d: _make_base(c, d)),
        ("clip_sem", _train_settings(c, "clip_sem"), ("captions", "base"),
         lambda d: _train(c, "clip_sem", f"local-dir:{run_dir / 'base' / FINAL_MODEL}", None,
                          run_dir / "captions" / "hq.tsv", d, verbose)),
        ("purify", {"false_flag_rate": c.false_flag_rate}, ("captions", "clip_sem"),
         lambda d: _purify(c, run_dir / "captions", run_dir / "clip_sem" / FINAL_MODEL, d)),
        ("refine", {"refine": c.refine, "seed": c.seed}, ("crops", "purify"),
         lambda d: _refine(c, run_dir / "crops", run_dir / "captions", run_dir / "purify", d)),
        ("clip_rs", _train_settings(c, "clip_rs"), ("clip_sem", "refine"),
         lambda d: _train(c, "clip_rs", f"local-dir:{run_dir / 'clip_sem' / FINAL_MODEL}", None,
                          run_dir / "refine" / "pairs.tsv", d, verbose)),
    ]
    if c.unpurified_baseline:
        plan.append(("clip_noisy", _train_settings(c, "clip_rs"), ("clip_sem", "refine"),
                     lambda d: _train(c, "clip_rs", f"local-dir:{run_dir / 'clip_sem' / FINAL_MODEL}", None,
                                      run_dir / "refine" / "pairs_unpurified.tsv", d, verbose)))
    plan.append(("evaluate", {"n_boot": c.n_boot, "seed": c.seed, "unpurified": c.unpurified_baseline},
                 ("clip_rs", "clip_noisy") if c.unpurified_baseline else ("clip_rs",),
                 lambda d: _evaluate(c, run_dir, d)))
    for name, settings, reads, work in plan:
        stages.run(name, settings, reads, work)
        if name == until:
            break
    (run_dir / "timings.json").write_text(json.dumps(stages.seconds, indent=2))
    return run_dir
