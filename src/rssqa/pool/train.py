"""The one supervised trainer for every method of the pool.

Training is resumable (a checkpoint after every epoch) and cached: a finished run whose fingerprint
(method, its kwargs, class count, training config, training tiles) matches is not trained again.
"""

from __future__ import annotations

import copy
import json
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save as save_weights
from torch import nn

from rssqa.cache import fingerprint, is_current, write_record
from rssqa.config import PoolTrainConfig
from rssqa.errors import CheckpointError
from rssqa.files import atomic_write_bytes
from rssqa.progress import progress_bar
from rssqa.backbones.pretrained import to_model_input
from rssqa.segzoo.base import FeatureTap, SegMethod, get_method
from rssqa.pool.distributed import data_parallel, shard, to_device
from rssqa.pool.member import Segmentation, TileRef
from rssqa.torch_setup import seed_everything, weights_to_be_loaded

IGNORE_INDEX = 255
WEIGHTS_FILE = "model.safetensors"
META_FILE = "meta.json"
RESUME_FILE = "resume.pt"


@dataclass
class TrainedMethod:
    """A pool member ready for inference: its spec, eval-mode model and training record.

    Implements ``rssqa.pool.member.PoolMember``: it has probabilities and a pooled feature
    (the input of the method's classifier), and needs no tile identity.
    """

    method: SegMethod
    model: nn.Module
    meta: dict

    @property
    def name(self) -> str:
        return self.method.name

    @property
    def num_classes(self) -> int:
        return int(self.meta["num_classes"])

    def check(self, ref: TileRef) -> None:
        """Any RGB tile will do: nothing to check."""

    @torch.no_grad()
    def segment(self, images: np.ndarray, refs: list[TileRef] | None = None) -> Segmentation:
        self.model.eval()
        with FeatureTap(self.model, self.method.classifier) as tap:
            logits = self.model(to_model_input(images))
        probabilities = logits.float().softmax(dim=1)
        return Segmentation(masks=probabilities.max(dim=1).indices.to(torch.uint8).numpy(),
                            probabilities=probabilities.numpy(), features=tap.pooled.float().numpy())


def _augment(images: torch.Tensor, masks: torch.Tensor, rng: np.random.Generator):
    """Random dihedral transform per batch: aerial views have no canonical orientation."""
    k = int(rng.integers(4))
    images, masks = torch.rot90(images, k, (2, 3)), torch.rot90(masks, k, (1, 2))
    if rng.random() < 0.5:
        images, masks = images.flip(3), masks.flip(2)
    return images, masks


def _batches(order: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Consecutive batches; a last batch of one joins the one before, because BatchNorm after
    global pooling (DeepLabV3+, ABCNet, UperNet) cannot train on a single image."""
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2:] = [np.concatenate(batches[-2:])]
    return batches


def _loss(output, masks: torch.Tensor, aux_weight: float) -> torch.Tensor:
    logits, aux = (output if isinstance(output, tuple) else (output, []))
    loss = F.cross_entropy(logits, masks, ignore_index=IGNORE_INDEX)
    for aux_logits in aux:
        aux_logits = F.interpolate(aux_logits, size=masks.shape[-2:], mode="bilinear", align_corners=False)
        loss = loss + aux_weight * F.cross_entropy(aux_logits, masks, ignore_index=IGNORE_INDEX)
    return loss


def train_method(method: SegMethod, images: np.ndarray, masks: np.ndarray, num_classes: int,
                 out_dir: Path, config: PoolTrainConfig = PoolTrainConfig(), method_kwargs: dict | None = None,
                 data_id: str = "", verbose: bool = True) -> TrainedMethod:
    """Train ``method`` on N x H x W x 3 uint8 tiles and N x H x W class masks.

    ``data_id`` identifies the training data in the fingerprint (callers pass a hash of the tile
    ids) so that a cache hit means the same model, not merely the same settings.
    """
    method_kwargs = dict(method_kwargs or {})
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    print_ = print if verbose else (lambda *a, **k: None)
    key = fingerprint({"method": method.name, "kwargs": method_kwargs, "classes": num_classes,
                       "config": asdict(config), "data": data_id})
    meta_path = out_dir / META_FILE
    if is_current(meta_path, key):
        print_(f"{method.name}: trained model found in {out_dir}, not retraining")
        return load_trained(out_dir)

    if config.threads:
        torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    model = method.create(num_classes, pretrained=config.pretrained, **method_kwargs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = len(_batches(np.arange(len(images)), config.batch_size))
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, pct_start=0.1,
                                                    total_steps=config.epochs * steps_per_epoch)
    resume_path = out_dir / RESUME_FILE
    start_epoch, elapsed, history = _resume(resume_path, key, model, optimizer, scheduler)
    if start_epoch:
        print_(f"{method.name}: resuming after epoch {start_epoch}")
    # Under torchrun: wrapped once in DDP on this rank's device (rank 0's weights, resumed or
    # fresh, go to every rank); the bare model is what is checkpointed and saved.
    trained = data_parallel(model)

    with progress_bar(verbose) as progress:
        task = progress.add_task(f"train {method.name}", total=config.epochs * steps_per_epoch,
                                 completed=start_epoch * steps_per_epoch)

        def report(epoch: int, losses: list[float]) -> None:
            progress.update(task, advance=1, description=f"train {method.name} e{epoch + 1} "
                                                        f"loss {np.mean(losses[-20:]):.3f}")

        for epoch in range(start_epoch, config.epochs):
            began = time.perf_counter()
            history.append(_train_epoch(trained, optimizer, scheduler, images, masks, config,
                                        epoch, report))
            elapsed += time.perf_counter() - began
            _save_resume(resume_path, key, epoch + 1, elapsed, history, model, optimizer, scheduler)

    meta = {"method": method.name, "kwargs": method_kwargs, "num_classes": num_classes,
            "config": asdict(config), "train_seconds": round(elapsed, 1),
            "train_tiles": len(images), "epoch_losses": history,
            "parameters": sum(p.numel() for p in model.parameters())}
    _save_trained(out_dir, key, model.eval(), meta)
    resume_path.unlink(missing_ok=True)
    return TrainedMethod(method, model, {"fingerprint": key, **meta})


def _save_trained(out_dir: Path, key: str, model: nn.Module, meta: dict) -> None:
    """The weights, whole, then the record that vouches for them: until the new record is
    written the folder is refused, never read as the model the old record describes."""
    (out_dir / META_FILE).unlink(missing_ok=True)
    atomic_write_bytes(out_dir / WEIGHTS_FILE,
                       save_weights({k: v.contiguous() for k, v in model.state_dict().items()}))
    write_record(out_dir / META_FILE, key, **meta)


def _save_resume(resume_path: Path, key: str, epochs_done: int, elapsed: float,
                 history: list[float], model: nn.Module, optimizer, scheduler) -> None:
    """Everything :func:`_resume` needs after ``epochs_done`` epochs, replaced atomically."""
    partial = resume_path.with_suffix(".tmp")
    torch.save({"fingerprint": key, "epoch": epochs_done, "elapsed": elapsed, "history": history,
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict()}, partial)
    partial.replace(resume_path)


def _resume(resume_path: Path, key: str, model: nn.Module, optimizer, scheduler
            ) -> tuple[int, float, list[float]]:
    """Restore an interrupted run of the same fingerprint: (epochs done, seconds spent, the
    losses of those epochs); (0, 0.0, []) when there is none. A checkpoint that cannot be read
    or does not fit (a run killed mid-write, a copied file) is discarded with a warning and
    training starts over, with the model, optimiser and schedule as they were."""
    if not resume_path.exists():
        return 0, 0.0, []
    fresh = [copy.deepcopy(part.state_dict()) for part in (model, optimizer, scheduler)]
    try:
        state = torch.load(resume_path, map_location="cpu", weights_only=True)
        if state["fingerprint"] != key:
            return 0, 0.0, []
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        return int(state["epoch"]), float(state["elapsed"]), [float(x) for x in state.get("history", [])]
    except Exception as error:  # noqa: BLE001 - any unreadable checkpoint means: start over
        for part, state_dict in zip((model, optimizer, scheduler), fresh):
            part.load_state_dict(state_dict)
        resume_path.unlink(missing_ok=True)
        warnings.warn(f"{resume_path}: cannot resume from it ({type(error).__name__}: "
                      f"{str(error).splitlines()[0] if str(error) else 'unreadable'}); discarded, "
                      "training from the first epoch", stacklevel=2)
        return 0, 0.0, []


def _train_epoch(model: nn.Module, optimizer, scheduler, images: np.ndarray, masks: np.ndarray,
                 config: PoolTrainConfig, epoch: int, report) -> float:
    """One pass over the tiles in a seeded order; the epoch's mean loss."""
    # Seed per epoch (numpy for batches and augmentation, torch for dropout) so that a
    # resumed run continues exactly as an uninterrupted one would.
    rng = np.random.default_rng([config.seed, epoch])
    torch.manual_seed(config.seed * 1000 + epoch)
    model.train()
    losses = []
    for batch in _batches(rng.permutation(len(images)), config.batch_size):
        batch = shard(batch)  # this rank's share under torchrun; the whole batch otherwise
        x = to_model_input(images[batch])
        y = torch.as_tensor(masks[batch]).long()
        x, y = to_device(*_augment(x, y, rng))
        loss = _loss(model(x), y, config.aux_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        report(epoch, losses)
    return float(np.mean(losses))


def load_trained(directory: Path) -> TrainedMethod:
    """Load a trained pool member written by ``train_method``; a missing, corrupt or misfitting
    file is a CheckpointError naming what to delete so that `rssqa build` trains it again."""
    directory = Path(directory)
    meta_path, weights_path = directory / META_FILE, directory / WEIGHTS_FILE
    if not meta_path.exists() or not weights_path.exists():
        raise CheckpointError(directory, "is not a trained rssqa segmentation model "
                              f"(needs {META_FILE} and {WEIGHTS_FILE})", "train it with `rssqa build`")
    retrain = f"delete the folder {directory} and run `rssqa build` again to retrain it"
    try:
        meta = json.loads(meta_path.read_text())
        method = get_method(meta["method"])
        with weights_to_be_loaded():  # every tensor: load_state_dict below is strict
            model = method.create(meta["num_classes"], pretrained=False, **meta["kwargs"])
    except (ValueError, KeyError, TypeError) as error:  # ValueError: also JSON and UTF-8 errors
        raise CheckpointError(meta_path, f"is not a readable training record "
                              f"({type(error).__name__}: {error})", retrain) from None
    try:
        weights = load_file(weights_path)
    except Exception as error:  # noqa: BLE001 - safetensors raises its own SafetensorError
        raise CheckpointError(weights_path, f"is corrupt or truncated ({error})", retrain) from None
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        raise CheckpointError(weights_path, f"does not fit a {method.name} model with "
                              f"{meta['num_classes']} classes ({str(error).splitlines()[0]})",
                              "retrain or point to the right checkpoint") from None
    return TrainedMethod(method, model.eval(), meta)
