"""Contrastive (continual) pretraining of any open_clip model, on one CPU or under torchrun.

    python -m rssqa.cliprs.train --config train.yaml
    torchrun --nproc_per_node 8 -m rssqa.cliprs.train --model ViT-L-14 \\
        --pretrained ViT-L-14-openai.safetensors --train-data 'shards/{00000..00999}.tar' \\
        --dataset-type webdataset --train-num-samples 10000000 --batch-size 256 \\
        --precision amp --output-dir runs/vit_l14_rs

What comes from open_clip and its training package ``open_clip_train``, unchanged: the model, its
transforms and tokenizer, LiT tower locking, ``ClipLoss`` with its cross-rank feature gather, the
CSV / webdataset / synthetic data loaders (so data is laid out exactly as for open_clip's own
trainer), the distributed set-up and the cosine schedule.

Why the loop itself is written here rather than calling ``open_clip_train.main``: that trainer
(1) checkpoints and resumes only at epoch boundaries, while a CPU epoch here or a cluster epoch on
a large archive can run for hours; (2) wraps DDP with ``device_ids=[device]``, which torch refuses
for CPU processes, so it cannot run the gloo (CPU) test; (3) writes pickled checkpoints. This loop
checkpoints every ``save_every_n_steps`` (safetensors weights + optimizer state, loaded with
``weights_only=True``), resumes mid-epoch at the same batch with the same data order, and writes
the final model as an open_clip ``local-dir:`` folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import shutil
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import open_clip
import torch
import yaml

from rssqa import cache
from rssqa.claimed_folders import FolderKind, claim_folder
from rssqa.encoders.openclip import load_open_clip, open_clip_model_config, save_open_clip
from rssqa.errors import InputError
from rssqa.progress import progress_bar
from rssqa.typed_config import from_dict, read_yaml

CHECKPOINTS = "checkpoints"
FINAL_MODEL = "model"
LOG_FILE = "train_log.jsonl"  # one JSON line per logged step


@dataclass
class ClipTrainConfig:
    """One training run. ``model`` and ``pretrained`` as for :func:`load_open_clip`; data as for
    open_clip's trainer (``train_data``: a CSV/TSV with image paths and captions, or webdataset
    shards with ``train_num_samples``)."""

    model: str
    train_data: str
    output_dir: str
    pretrained: str | None = None
    dataset_type: str = "auto"              # csv | webdataset | synthetic | auto (by extension)
    csv_separator: str = "\t"
    csv_img_key: str = "filepath"
    csv_caption_key: str = "title"
    train_num_samples: int | None = None    # required for webdataset shards without a sizes.json
    epochs: int = 1
    batch_size: int = 64
    lr: float = 5e-4
    wd: float = 0.1
    warmup: int = 10
    beta1: float = 0.9
    beta2: float = 0.98
    eps: float = 1e-6
    grad_clip_norm: float | None = None
    # LiT: lock the image tower except its last ``lock_image_unlocked_groups`` layer groups (timm
    # groups for timm towers, resblocks for ViT); the projections into the shared space always train.
    lock_image: bool = True
    lock_image_unlocked_groups: int = 2
    # Locked layers run in eval mode (fixed BN statistics, no dropout) whatever this says; open_clip's
    # own freezing would turn timm's fused BatchNorm+activation layers into plain FrozenBatchNorm2d,
    # silently dropping their activation (EfficientNet activations then grow to 1e9), so it is refused
    # for such towers.
    lock_image_freeze_bn_stats: bool = False
    lock_text: bool = True
    lock_text_unlocked_layers: int = 0
    lock_text_freeze_layer_norm: bool = True
    precision: str = "fp32"                 # fp32 | amp | amp_bf16
    device: str = "auto"                    # auto: cuda when available, else cpu
    workers: int = 0
    local_loss: bool = False
    gather_with_grad: bool = False
    seed: int = 0
    save_every_n_steps: int = 50
    keep_checkpoints: int = 2
    log_every_n_steps: int = 10
    threads: int | None = None              # torch CPU threads per process

    @classmethod
    def from_mapping(cls, values: dict) -> ClipTrainConfig:
        return from_dict(cls, values, "training options")

    def fingerprint(self, world_size: int) -> str:
        """What a checkpoint must share with this run to be resumed by it."""
        volatile = {"save_every_n_steps", "keep_checkpoints", "log_every_n_steps", "workers",
                    "threads", "device", "output_dir"}
        kept = {k: v for k, v in dataclasses.asdict(self).items() if k not in volatile}
        kept["world_size"] = world_size
        return cache.fingerprint(kept)


@dataclass
class _Position:
    step: int = 0
    epoch: int = 0
    batch: int = 0  # batches of ``epoch`` already trained


def _data_args(config: ClipTrainConfig, dist: dict):
    """The argparse namespace open_clip_train's loaders and loss read, with its defaults."""
    from open_clip_train.params import parse_args

    args = parse_args([])
    for name in ("train_data", "dataset_type", "csv_separator", "csv_img_key", "csv_caption_key",
                 "train_num_samples", "batch_size", "workers", "seed", "local_loss", "gather_with_grad",
                 "model"):
        setattr(args, name, getattr(config, name))
    args.distributed, args.world_size = dist["distributed"], dist["world_size"]
    args.rank, args.local_rank = dist["global_rank"], dist["local_rank"]
    args.device = dist["device"]
    args.distill = False  # main() derives this; the loss factory reads it
    return args


def _seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _lock(clip, config: ClipTrainConfig) -> None:
    if config.lock_image and config.lock_image_freeze_bn_stats:
        from timm.layers import BatchNormAct2d

        if any(isinstance(m, BatchNormAct2d) for m in clip.visual.modules()):
            raise InputError(None, "lock_image_freeze_bn_stats would strip the activations of this image "
                             "tower's fused BatchNorm+activation layers (open_clip freezes them as plain "
                             "FrozenBatchNorm2d)", "leave it false: locked layers already run in eval "
                             "mode, which keeps their statistics fixed")
    if config.lock_image:
        clip.lock_image_tower(unlocked_groups=config.lock_image_unlocked_groups,
                              freeze_bn_stats=config.lock_image_freeze_bn_stats)
    if config.lock_text:
        try:
            clip.lock_text_tower(unlocked_layers=config.lock_text_unlocked_layers,
                                 freeze_layer_norm=config.lock_text_freeze_layer_norm)
        except KeyError as error:  # open_clip's table of HF towers lacks layer names for BERT
            raise InputError(None, f"open_clip cannot unlock some layers of this text tower ({error})",
                             "set lock_text_unlocked_layers: 0 (projection only) or lock_text: false") from None
    for projection in _projections(clip):
        projection.requires_grad_(True)


def _projections(clip) -> list:
    """The maps from each tower into the shared embedding space. They always train, as in LiT:
    open_clip's full lock of a ViT or of CLIP's own text tower would freeze them too."""
    visual, text = clip.visual, getattr(clip, "text", None)
    candidates = [getattr(visual, "proj", None), getattr(visual, "head", None),
                  getattr(clip, "text_projection", None), getattr(text, "proj", None)]
    return [c for c in candidates if isinstance(c, (torch.nn.Module, torch.nn.Parameter))]


def _frozen_parts_to_eval(model: torch.nn.Module) -> None:
    """Run every submodule whose parameters are all frozen in eval mode: a locked tower is a fixed
    feature extractor, so its dropout would only add noise to what the projections learn from
    (open_clip's trainer leaves it on). Parameter-free modules follow their parent."""
    for module in model.modules():
        parameters = list(module.parameters())
        if parameters and not any(p.requires_grad for p in parameters):
            module.eval()


def _optimizer(model, config: ClipTrainConfig) -> torch.optim.Optimizer:
    # open_clip_train's grouping: no weight decay on gains, biases and the logit scale.
    def exclude(name, p):
        return p.ndim < 2 or "bn" in name or "ln" in name or "bias" in name or "logit_scale" in name

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [{"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
              {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": config.wd}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(config.beta1, config.beta2), eps=config.eps)


def _checkpoint_dirs(output_dir: Path) -> list[Path]:
    return sorted(p for p in (output_dir / CHECKPOINTS).glob("step_*") if (p / "state.json").is_file())


def _save_checkpoint(output_dir: Path, model, optimizer, position: _Position, fingerprint: str,
                     keep: int) -> Path:
    from safetensors.torch import save_file

    directory = output_dir / CHECKPOINTS / f"step_{position.step:08d}"
    staging = directory.with_name(directory.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()},
              staging / "model.safetensors")
    torch.save(optimizer.state_dict(), staging / "optimizer.pt")
    (staging / "state.json").write_text(json.dumps({**dataclasses.asdict(position),
                                                    "fingerprint": fingerprint}))
    shutil.rmtree(directory, ignore_errors=True)
    staging.rename(directory)
    for old in _checkpoint_dirs(output_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return directory


def _resume(output_dir: Path, model, optimizer, fingerprint: str) -> _Position:
    from safetensors.torch import load_file

    saved = _checkpoint_dirs(output_dir)
    if not saved:
        return _Position()
    latest = saved[-1]
    state = json.loads((latest / "state.json").read_text())
    if state.pop("fingerprint") != fingerprint:
        raise InputError(output_dir, "holds checkpoints of a run with other settings",
                         "use a new output_dir, or delete its checkpoints/ folder to start over")
    model.load_state_dict(load_file(latest / "model.safetensors"))
    optimizer.load_state_dict(torch.load(latest / "optimizer.pt", map_location="cpu", weights_only=True))
    return _Position(**state)


def _write_run_config(output_dir: Path, config: ClipTrainConfig, world_size: int) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    resolved = {**dataclasses.asdict(config), "world_size": world_size}
    (output_dir / "train_config.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))


def _an_earlier_run(folder: Path) -> bool:
    return bool(_checkpoint_dirs(folder)) or is_finished_in(folder)


# The names a run writes at the top of its output_dir (rssqa.claimed_folders).
TRAINING_RUN = FolderKind("a CLIP training run", "`output_dir` in the training config",
                          ".rssqa-clip-training", (CHECKPOINTS, FINAL_MODEL, LOG_FILE,
                                                   "train_config.yaml", "train_summary.json"),
                          _an_earlier_run)


def is_finished(config: ClipTrainConfig) -> bool:
    """Whether ``config``'s run already wrote its final model."""
    return is_finished_in(Path(config.output_dir))


def is_finished_in(output_dir: Path) -> bool:
    return ((output_dir / "train_summary.json").is_file()
            and (output_dir / FINAL_MODEL / "open_clip_config.json").is_file())


def train_clip(config: ClipTrainConfig, verbose: bool = True) -> Path:
    """Train (or resume, or skip when finished) and return the final model folder
    (``<output_dir>/model``, loadable as ``local-dir:``). DDP-aware: under torchrun every process
    calls this; only rank 0 writes. Resuming mid-epoch skips the epoch's trained batches by
    reading past them (webdataset streams cannot seek)."""
    output_dir = Path(config.output_dir)
    if is_finished(config):
        return output_dir / FINAL_MODEL
    claim_folder(output_dir, TRAINING_RUN)
    if config.threads:
        torch.set_num_threads(config.threads)
    dist, device = _distributed(config)
    world_size, is_master = dist["world_size"], dist["global_rank"] == 0
    _seed_everything(config.seed + dist["global_rank"])

    clip, tokenizer, args, data = _model_and_data(config, dist, device)
    batches_per_epoch = data.dataloader.num_batches
    total_steps = batches_per_epoch * config.epochs

    model, loss_fn, optimizer, scheduler, scaler, autocast = _optimisation(
        clip, args, config, dist, device, total_steps)
    fingerprint = config.fingerprint(world_size)
    position = _resume(output_dir, clip, optimizer, fingerprint)
    if is_master:
        _write_run_config(output_dir, config, world_size)

    started, losses = time.time(), []
    with progress_bar(enabled=verbose and is_master) as progress:
        task = progress.add_task(f"training {output_dir.name}", total=total_steps, completed=position.step)
        for epoch in range(position.epoch, config.epochs):
            data.set_epoch(epoch)
            torch.manual_seed(config.seed + epoch)  # same shuffle after a resume (no-sampler case)
            skip = position.batch if epoch == position.epoch else 0
            for i, (images, texts) in enumerate(data.dataloader):
                if i >= batches_per_epoch:
                    break
                if i < skip:
                    continue
                lr = scheduler(position.step)
                batch = images.to(device, non_blocking=True), texts.to(device, non_blocking=True)
                losses.append(_optimisation_step(model, clip, batch, loss_fn, optimizer, scaler,
                                                 autocast, config.grad_clip_norm))
                position = _Position(position.step + 1, epoch, i + 1)
                progress.advance(task)
                if is_master and (position.step % config.log_every_n_steps == 0 or position.step == total_steps):
                    _log_step(output_dir / LOG_FILE, position, losses[-1], lr, clip, started)
                if position.step % config.save_every_n_steps == 0 and position.step < total_steps:
                    _checkpoint_all(output_dir, clip, optimizer, position, fingerprint, config,
                                    is_master, dist["distributed"])
            position = _Position(position.step, epoch + 1, 0)

    if is_master:
        _write_final_model(output_dir, clip, optimizer, position, fingerprint, config, tokenizer)
        _write_summary(output_dir, config, position, world_size, data.dataloader.num_samples,
                       time.time() - started, losses)
    if dist["distributed"]:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return output_dir / FINAL_MODEL


def _distributed(config: ClipTrainConfig) -> tuple[dict, torch.device]:
    """open_clip_train's process-group set-up (a single process without torchrun) and this
    process's device."""
    from open_clip_train.distributed import init_distributed_device_so

    device = config.device if config.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    dist = init_distributed_device_so(device=device)
    return dist, torch.device(dist["device"])


def _model_and_data(config: ClipTrainConfig, dist: dict, device: torch.device):
    """The CLIP model (locked as configured, on ``device``), its tokenizer, open_clip_train's
    argument namespace and the training data loader of this process."""
    from open_clip.transform import PreprocessCfg, image_transform_v2
    from open_clip_train.data import get_data

    clip = load_open_clip(config.model, config.pretrained)
    clip.output_dict = True
    _lock(clip, config)
    clip.to(device).train()
    _frozen_parts_to_eval(clip)
    tokenizer = open_clip.get_tokenizer(config.model)
    preprocess = PreprocessCfg(**clip.visual.preprocess_cfg)
    transforms = (image_transform_v2(preprocess, is_train=True), image_transform_v2(preprocess, is_train=False))
    args = _data_args(config, dist)
    data = get_data(args, transforms, epoch=0, tokenizer=tokenizer)["train"]
    if data.dataloader.num_batches == 0:
        raise InputError(config.train_data, f"has fewer pairs than one batch of {config.batch_size} "
                         f"x {dist['world_size']} process(es)", "lower batch_size or add data")
    return clip, tokenizer, args, data


def _optimisation(clip, args, config: ClipTrainConfig, dist: dict, device: torch.device,
                  total_steps: int):
    """The model to call (DDP-wrapped when distributed), loss, optimiser, cosine schedule, and the
    mixed-precision scaler and autocast of ``config.precision``."""
    from open_clip_train.precision import get_autocast
    from open_clip_train.scheduler import cosine_lr

    model = clip
    if dist["distributed"]:
        model = torch.nn.parallel.DistributedDataParallel(
            clip, device_ids=[device] if device.type == "cuda" else None)
    optimizer = _optimizer(clip, config)
    scheduler = cosine_lr(optimizer, config.lr, config.warmup, total_steps)
    scaler = torch.amp.GradScaler(device=device.type) if config.precision == "amp" else None
    autocast = get_autocast(config.precision, device_type=device.type)
    return model, open_clip.create_loss(args), optimizer, scheduler, scaler, autocast


def _checkpoint_all(output_dir: Path, clip, optimizer, position: _Position, fingerprint: str,
                    config: ClipTrainConfig, is_master: bool, distributed: bool) -> None:
    """Rank 0 saves; every process waits for it, so none runs ahead of a checkpoint."""
    if is_master:
        _save_checkpoint(output_dir, clip, optimizer, position, fingerprint, config.keep_checkpoints)
    if distributed:
        torch.distributed.barrier()


def _optimisation_step(model, clip, batch, loss_fn, optimizer, scaler, autocast,
                       grad_clip_norm: float | None) -> float:
    """One contrastive step on an (images, texts) batch, mixed precision when ``scaler``; the loss."""
    images, texts = batch
    with autocast():
        out = model(images, texts)
        total_loss = sum(loss_fn(**out, output_dict=True).values())
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(total_loss).backward()
        scaler.unscale_(optimizer)
    else:
        total_loss.backward()
    if grad_clip_norm is not None:
        torch.nn.utils.clip_grad_norm_(clip.parameters(), grad_clip_norm)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    with torch.no_grad():  # as CLIP: temperature at most 100
        clip.logit_scale.clamp_(0, math.log(100))
    return total_loss.item()


def _log_step(log_path: Path, position: _Position, loss: float, lr: float, clip,
              started: float) -> None:
    with log_path.open("a") as log:
        log.write(json.dumps({"step": position.step, "epoch": position.epoch, "loss": loss,
                              "lr": lr, "logit_scale": clip.logit_scale.exp().item(),
                              "seconds": round(time.time() - started, 1)}) + "\n")


def _write_final_model(output_dir: Path, clip, optimizer, position: _Position, fingerprint: str,
                       config: ClipTrainConfig, tokenizer) -> None:
    """The last checkpoint (for a later resume) and the model folder ``local-dir:`` loads."""
    _save_checkpoint(output_dir, clip, optimizer, position, fingerprint, config.keep_checkpoints)
    save_open_clip(clip.eval(), open_clip_model_config(config.model), output_dir / FINAL_MODEL,
                   tokenizer=tokenizer)


def _write_summary(output_dir: Path, config: ClipTrainConfig, position: _Position, world_size: int,
                   pairs_per_epoch: int, seconds: float, losses: list[float]) -> None:
    summary = {"steps": position.step, "epochs": config.epochs, "world_size": world_size,
               "pairs_per_epoch": pairs_per_epoch, "seconds_this_session": round(seconds, 1),
               "mean_loss_last_10": float(np.mean(losses[-10:])) if losses else None}
    (output_dir / "train_summary.json").write_text(json.dumps(summary, indent=2))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rssqa.cliprs.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="YAML file of ClipTrainConfig fields; flags override it")
    for f in fields(ClipTrainConfig):
        flag = "--" + f.name.replace("_", "-")
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        if kind == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        elif kind.startswith("int"):
            parser.add_argument(flag, type=int, default=None)
        elif kind.startswith("float"):
            parser.add_argument(flag, type=float, default=None)
        else:
            parser.add_argument(flag, type=str, default=None)
    return parser


def config_from_argv(argv: list[str]) -> ClipTrainConfig:
    options = _parser().parse_args(argv)
    values = read_yaml(options.config, "CLIP-RS training config",
                       "configs/cliprs_train_vit_l14.yaml") if options.config else {}
    values.pop("world_size", None)  # a resolved train_config.yaml records it; it is not an option
    values.update({k: v for k, v in vars(options).items() if k != "config" and v is not None})
    return ClipTrainConfig.from_mapping(values)


def main(argv: list[str] | None = None) -> int:
    try:
        config = config_from_argv(sys.argv[1:] if argv is None else argv)
        train_clip(config)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
