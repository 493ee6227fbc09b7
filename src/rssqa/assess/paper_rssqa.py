"""RS-SQA as an ``Assessor``: one ``RSSQANet`` per segmentation method, trained on cached features.

Inputs are standardised feature-wise with statistics from the training tiles (saved with the
model). Departure from the paper, which feeds raw features: the pooled features of different
segmentation models differ in scale by orders of magnitude, and one learning rate serves them all
only once they share a scale. Training is deterministic given ``config.seed``: each method's network starts from
``torch.manual_seed(seed)`` and shuffles with its own seeded generator.

A saved assessor is a directory: ``assessor.json`` (kind, config, feature dimensions, methods,
training history, the per-method calibration lines when ``config.calibrate``),
``semantic-scaler.safetensors`` and one ``method-NN.safetensors`` per method
(network weights and that method's feature scaler).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch.optim.lr_scheduler import LinearLR, LRScheduler, SequentialLR, StepLR
from torch.utils.data import DataLoader, TensorDataset

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checkpoint import MANIFEST, read_manifest, write_manifest
from rssqa.assess.checks import require_methods, require_targets
from rssqa.assess.config import RSSQAConfig
from rssqa.assess.losses import rssqa_loss
from rssqa.assess.model import RSSQANet
from rssqa.assess.registry import register_assessor
from rssqa.assess.scaling import Standardizer, fit_increasing_line, to_oa_scale
from rssqa.errors import CheckpointError, InputError
from rssqa.torch_setup import torch_threads

KIND = "rssqa"
_SEMANTIC_SCALER_FILE = "semantic-scaler.safetensors"
_PREDICT_BATCH = 256

# (tokens N x L x C, segmentation features N x C_m, true OA N), already standardised.
TrainingData = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@register_assessor(KIND)
class RSSQAAssessor(Assessor):
    """The paper's assessor. ``fit`` trains one network per method in ``train.methods``;
    ``predict`` scores any subset of those methods.

    >>> assessor = RSSQAAssessor(RSSQAConfig(epochs=60)).fit(train)
    >>> assessor.predict(test)  # N x M predicted OA
    >>> assessor.save("runs/rssqa"); RSSQAAssessor.load("runs/rssqa")
    """

    name = KIND

    def __init__(self, config: RSSQAConfig | dict | None = None, verbose: bool = True,
                 device: str | torch.device = "cpu", threads: int | None = 1):
        """``threads``: CPU threads torch may use while fitting and predicting (restored after);
        None leaves torch's setting alone. One by default because the network is small: on a
        2-core machine shared with other jobs, two threads trained the default config 6x slower
        than one (thread start-up and contention outweigh the parallel work)."""
        if isinstance(config, dict):
            config = RSSQAConfig.from_dict(config)
        self.config = config or RSSQAConfig()
        self.verbose = verbose
        self.device = torch.device(device)
        self.threads = threads
        self.networks: dict[str, RSSQANet] = {}
        self.seg_scalers: dict[str, Standardizer] = {}
        self.token_scaler: Standardizer | None = None
        self.token_shape: tuple[int, int] | None = None  # (L, C)
        self.history: dict[str, dict] = {}
        self.calibration: dict[str, tuple[float, float]] = {}  # method -> (slope, intercept)
        self.source: Path | None = None  # the directory it was loaded from, named in errors

    @property
    def methods(self) -> list[str]:
        return list(self.networks)

    # ----------------------------------------------------------------------------- training
    def fit(self, train: AssessmentInputs, validation_fraction: float = 0.0) -> RSSQAAssessor:
        """Train a network per method on ``train``.

        ``validation_fraction`` > 0 holds out that share of tiles (whole ``groups`` when the
        inputs name them, so overlapping tiles never straddle the split), tracks the held-out MSE
        each epoch and keeps the weights of the best epoch. The paper trains on the whole train
        split, hence the default 0.
        """
        targets = require_targets(train)
        if not 0 <= validation_fraction < 1:
            raise InputError(None, f"validation_fraction must be in [0, 1), got "
                             f"{validation_fraction}", "use e.g. 0.1, or 0 to train on everything")
        missing = [m for m in train.methods if m not in train.seg_features]
        if missing:
            raise InputError(None, f"the training inputs lack segmentation features of "
                             f"{', '.join(missing)}", "rebuild the SQED store with every method")
        fit_index, val_index = _validation_split(train, validation_fraction, self.config.seed)

        tokens = np.asarray(train.semantic_tokens)
        self.token_shape = tuple(tokens.shape[1:])
        self.token_scaler = Standardizer.fit(tokens[fit_index])
        tokens = torch.from_numpy(self.token_scaler.transform(tokens))
        self.networks, self.seg_scalers, self.history, self.calibration = {}, {}, {}, {}

        with _progress(self.verbose) as progress, torch_threads(self.threads):
            for column, method in enumerate(train.methods):
                seg = np.asarray(train.seg_features[method])
                self.seg_scalers[method] = Standardizer.fit(seg[fit_index])
                seg = torch.from_numpy(self.seg_scalers[method].transform(seg))
                oa = torch.from_numpy(targets[:, column].astype(np.float32))
                task = progress.add_task(method, total=self.config.epochs, status="")
                network, history = self._train_one(
                    (tokens[fit_index], seg[fit_index], oa[fit_index]),
                    (tokens[val_index], seg[val_index], oa[val_index]) if len(val_index) else None,
                    lambda status, task=task: progress.update(task, advance=1, status=status))
                self.networks[method], self.history[method] = network, history
                if self.config.calibrate:
                    raw = self._predict_tensors(network, tokens[fit_index], seg[fit_index]).numpy()
                    self.calibration[method] = fit_increasing_line(raw, targets[fit_index, column])
        self.source = None
        return self

    def _train_one(self, fit_data: TrainingData, val_data: TrainingData | None,
                   report: Callable[[str], None]) -> tuple[RSSQANet, dict]:
        config = self.config
        torch.manual_seed(config.seed)
        tokens, seg, _ = fit_data
        network = RSSQANet(tokens.shape[2], tokens.shape[1], seg.shape[1], config)
        network.head.start_at(float(fit_data[2].mean()))
        network.to(self.device)
        optimizer = torch.optim.AdamW(network.parameters(), lr=config.lr,
                                      weight_decay=config.weight_decay)
        scheduler = _warmup_then_step(optimizer, config)
        loader = DataLoader(TensorDataset(*fit_data), batch_size=config.batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(config.seed))
        history = {"train_loss": [], "val_mse": [], "best_epoch": None}
        best_state, best_mse = None, float("inf")
        for epoch in range(config.epochs):
            network.train()
            total, count = 0.0, 0
            for batch_tokens, batch_seg, batch_oa in loader:
                batch_oa = batch_oa.to(self.device)
                pred = network(batch_tokens.to(self.device), batch_seg.to(self.device))
                loss = rssqa_loss(pred, batch_oa, config.kl_weight, config.kl_tau, config.loss)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total, count = total + loss.item() * len(batch_oa), count + len(batch_oa)
            scheduler.step()
            history["train_loss"].append(total / count)
            status = f"loss {total / count:.4f}"
            if val_data is not None:
                val_mse = float(torch.mean((self._predict_tensors(network, *val_data[:2])
                                            - val_data[2]) ** 2))
                history["val_mse"].append(val_mse)
                status += f"  val mse {val_mse:.4f}"
                if val_mse < best_mse:
                    best_mse, history["best_epoch"] = val_mse, epoch
                    best_state = copy.deepcopy(network.state_dict())
            report(status)
        if best_state is not None:
            network.load_state_dict(best_state)
        return network.eval(), history

    # ---------------------------------------------------------------------------- inference
    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        self._check_compatible(inputs)
        with torch_threads(self.threads):
            return self._predict(inputs)

    def _predict(self, inputs: AssessmentInputs) -> np.ndarray:
        tokens = torch.from_numpy(self.token_scaler.transform(inputs.semantic_tokens))
        scores = np.empty((len(inputs), len(inputs.methods)), dtype=np.float32)
        for column, method in enumerate(inputs.methods):
            seg = torch.from_numpy(self.seg_scalers[method].transform(inputs.seg_features[method]))
            raw = self._predict_tensors(self.networks[method], tokens, seg).numpy()
            scores[:, column] = (to_oa_scale(raw, self.calibration[method])
                                 if method in self.calibration else raw)
        return scores

    @torch.inference_mode()
    def _predict_tensors(self, network: RSSQANet, tokens: torch.Tensor,
                         seg: torch.Tensor) -> torch.Tensor:
        was_training = network.training
        network.eval()
        chunks = [network(tokens[i:i + _PREDICT_BATCH].to(self.device),
                          seg[i:i + _PREDICT_BATCH].to(self.device)).cpu()
                  for i in range(0, len(tokens), _PREDICT_BATCH)]
        network.train(was_training)
        return torch.cat(chunks) if chunks else torch.empty(0)

    def _check_compatible(self, inputs: AssessmentInputs) -> None:
        require_methods(self.methods, inputs.methods, self.source)
        shape = tuple(np.shape(inputs.semantic_tokens)[1:])
        if shape != self.token_shape:
            raise CheckpointError(self.source, f"the assessor was trained on semantic tokens of "
                                  f"shape {self.token_shape} (tokens x channels), these inputs "
                                  f"have {shape}", "encode the tiles with the semantic encoder "
                                  "and input size used at training, or retrain")
        for method in inputs.methods:
            if method not in inputs.seg_features:
                raise InputError(None, f"the inputs lack segmentation features of {method!r}",
                                 "rebuild the SQED store with every method")
            trained = len(self.seg_scalers[method].mean)
            given = np.shape(inputs.seg_features[method])
            if given[1:] != (trained,):
                raise CheckpointError(self.source, f"the assessor for {method!r} was trained on "
                                      f"{trained}-dim segmentation features, these inputs have "
                                      f"shape {given}", "rebuild the SQED with the same "
                                      "segmentation models, or retrain")

    # ------------------------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> None:
        require_methods(self.methods, [])  # raises if not fitted
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        save_file(self.token_scaler.state_dict("scaler."), directory / _SEMANTIC_SCALER_FILE)
        files = {}
        for index, (method, network) in enumerate(self.networks.items()):
            files[method] = f"method-{index:02d}.safetensors"
            state = {f"network.{k}": v.detach().cpu().contiguous()
                     for k, v in network.state_dict().items()}
            save_file({**state, **self.seg_scalers[method].state_dict("scaler.")},
                      directory / files[method])
        write_manifest(directory, KIND, {
            "config": self.config.to_dict(),
            "token_shape": list(self.token_shape),
            "seg_dims": {m: len(s.mean) for m, s in self.seg_scalers.items()},
            "methods": self.methods,
            "files": files,
            "history": self.history,
            "calibration": {m: list(line) for m, line in self.calibration.items()},
        })

    @classmethod
    def load(cls, directory: str | Path, verbose: bool = True, device: str | torch.device = "cpu",
             threads: int | None = 1) -> RSSQAAssessor:
        directory = Path(directory)
        manifest = read_manifest(directory, KIND)
        try:
            config = RSSQAConfig.from_dict(manifest["config"])
            num_tokens, token_dim = manifest["token_shape"]
            seg_dims, files = manifest["seg_dims"], manifest["files"]
            methods = manifest["methods"]
        except (KeyError, TypeError, ValueError, InputError) as error:
            raise CheckpointError(directory / MANIFEST, f"is incomplete or invalid ({error})",
                                  "save the assessor again") from None
        assessor = cls(config, verbose=verbose, device=device, threads=threads)
        assessor.token_shape = (num_tokens, token_dim)
        assessor.token_scaler = Standardizer.from_state_dict(
            _load_tensors(directory / _SEMANTIC_SCALER_FILE), "scaler.")
        for method in methods:
            path = directory / files[method]
            state = _load_tensors(path)
            network = RSSQANet(token_dim, num_tokens, seg_dims[method], config)
            weights = {k.removeprefix("network."): v for k, v in state.items()
                       if k.startswith("network.")}
            try:
                network.load_state_dict(weights, strict=True)
                scaler = Standardizer.from_state_dict(state, "scaler.")
            except (RuntimeError, KeyError) as error:
                raise CheckpointError(path, f"does not fit the network assessor.json describes "
                                      f"({str(error).splitlines()[0]})",
                                      "the directory mixes files of different runs; save the "
                                      "assessor again") from None
            assessor.networks[method] = network.to(assessor.device).eval()
            assessor.seg_scalers[method] = scaler
        assessor.history = manifest.get("history", {})
        assessor.calibration = {m: (float(a), float(b))
                                for m, (a, b) in manifest.get("calibration", {}).items()}
        assessor.source = directory
        return assessor


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(path, "is missing", "the saved assessor is incomplete; save it again")
    try:
        return load_file(path)
    except SafetensorError as error:
        raise CheckpointError(path, f"is not a readable safetensors file ({error})",
                              "save the assessor again") from None


def _validation_split(inputs: AssessmentInputs, fraction: float,
                      seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit  # slow to import

    everything = np.arange(len(inputs))
    if fraction == 0:
        return everything, everything[:0]
    if inputs.groups:
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        fit_index, val_index = next(splitter.split(everything, groups=inputs.groups))
    else:
        splitter = ShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        fit_index, val_index = next(splitter.split(everything))
    return np.sort(fit_index), np.sort(val_index)


def _warmup_then_step(optimizer: torch.optim.Optimizer, config: RSSQAConfig) -> LRScheduler:
    decay = StepLR(optimizer, step_size=config.lr_step, gamma=config.lr_gamma)
    if config.warmup_epochs == 0:
        return decay
    warmup = LinearLR(optimizer, start_factor=config.warmup_start_factor, end_factor=1.0,
                      total_iters=config.warmup_epochs)
    return SequentialLR(optimizer, [warmup, decay], milestones=[config.warmup_epochs])


def _progress(verbose: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("epochs"), TimeElapsedColumn(), TextColumn("{task.fields[status]}"),
                    disable=not verbose)
