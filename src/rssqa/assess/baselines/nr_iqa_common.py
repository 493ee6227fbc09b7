"""What the no-reference IQA baselines share.

NR-IQA methods look at the image only, yet a tile's quality differs per segmentation method. As
in the paper, each baseline is retrained per method: one regressor per method on the same image
features. Two families:

- ``ImageFeatureRegressor``: hand-crafted statistics (BRISQUE, BLIINDS-II, Fractal), then one
  support-vector regressor per method, its C chosen by cross-validation on the train split only.
- ``FrozenBackboneRegressor``: a small learned head per method (HyperIQA, MANIQA, DEIQT) on
  multi-scale maps of the offline ImageNet EfficientNet-Lite0. The backbone stays frozen and its
  maps are computed once per tile: the original models fine-tune a ResNet-50 or ViT end to end,
  which a 2-core CPU cannot do for every method and seed.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.checks import require_methods, require_targets
from rssqa.errors import InputError
from rssqa.progress import progress_bar
from rssqa.backbones.pretrained import to_model_input
from rssqa.backbones.pretrained import efficientnet_lite0_features

if TYPE_CHECKING:  # scikit-learn is imported where a regressor is fitted: it is slow to import
    from sklearn.compose import TransformedTargetRegressor


def require_images(inputs: AssessmentInputs) -> np.ndarray:
    """The N x H x W x 3 uint8 tiles an NR-IQA baseline reads."""
    if inputs.images is None:
        raise InputError(None, "these inputs carry no images, and NR-IQA baselines read pixels",
                         "open the SQED split with images (store.inputs(split, with_images=True))")
    images = np.asarray(inputs.images)
    if images.ndim != 4 or images.shape[-1] != 3 or len(images) != len(inputs):
        raise InputError(None, f"images have shape {images.shape}, expected "
                         f"({len(inputs)}, H, W, 3)", "pass RGB tiles, one per tile id")
    return images


def luminance(images: np.ndarray) -> np.ndarray:
    """N x H x W x 3 uint8 RGB -> N x H x W float64 luma on 0..255 (ITU-R BT.601 weights)."""
    return np.asarray(images, dtype=np.float64) @ np.array([0.299, 0.587, 0.114])


def cross_validation_folds(groups: list[str], folds: int, seed: int):
    """Group k-fold when the inputs name enough groups (overlapping tiles never straddle a
    fold), shuffled k-fold otherwise."""
    from sklearn.model_selection import GroupKFold, KFold

    if groups and len(set(groups)) >= folds:
        return GroupKFold(n_splits=folds)
    return KFold(n_splits=folds, shuffle=True, random_state=seed)


class ImageFeatureRegressor(Assessor):
    """Hand-crafted image features, then one SVR (RBF) per segmentation method.

    Features are imputed (a flat tile can make a shape fit undefined) and standardised; the
    target is standardised too, so ``epsilon`` is in units of the train split's OA spread. ``C`` is
    picked from ``c_grid`` by cross-validation within the train split.
    """

    stochastic = False  # same inputs, same result: a benchmark runs it once, not once per seed

    def __init__(self, c_grid: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0), epsilon: float = 0.1,
                 folds: int = 3, seed: int = 0, verbose: bool = True):
        self.c_grid = tuple(c_grid)
        self.epsilon = epsilon
        self.folds = folds
        self.seed = seed
        self.verbose = verbose
        self.regressors: dict[str, TransformedTargetRegressor] = {}
        self.chosen_c: dict[str, float] = {}

    @abstractmethod
    def image_features(self, images: np.ndarray) -> np.ndarray:
        """n x H x W x 3 uint8 tiles -> n x F features (NaN where a statistic is undefined)."""

    def features(self, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
        with progress_bar(self.verbose) as progress:
            task = progress.add_task(f"{self.name} features", total=len(images))
            chunks = []
            for start in range(0, len(images), batch_size):
                chunk = np.asarray(images[start:start + batch_size])
                chunks.append(np.asarray(self.image_features(chunk), dtype=np.float64))
                progress.advance(task, len(chunk))
        return np.concatenate(chunks)

    def fit(self, train: AssessmentInputs) -> ImageFeatureRegressor:
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.impute import SimpleImputer
        from sklearn.model_selection import GridSearchCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVR

        targets = require_targets(train)
        features = self.features(require_images(train))
        folds = min(self.folds, len(train))
        self.regressors, self.chosen_c = {}, {}
        for column, method in enumerate(train.methods):
            model = TransformedTargetRegressor(
                regressor=make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                                        SVR(kernel="rbf", epsilon=self.epsilon)),
                transformer=StandardScaler())
            if len(self.c_grid) > 1 and folds >= 2:
                search = GridSearchCV(model, {"regressor__svr__C": list(self.c_grid)},
                                      cv=cross_validation_folds(train.groups, folds, self.seed),
                                      scoring="neg_mean_squared_error")
                search.fit(features, targets[:, column], groups=train.groups or None)
                model = search.best_estimator_
            else:
                model.set_params(regressor__svr__C=self.c_grid[0])
                model.fit(features, targets[:, column])
            self.regressors[method] = model
            self.chosen_c[method] = float(model.get_params()["regressor__svr__C"])
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_methods(self.regressors, inputs.methods)
        features = self.features(require_images(inputs))
        return np.stack([self.regressors[m].predict(features) for m in inputs.methods], axis=1)


class FrozenLiteBackbone:
    """Multi-scale maps of the frozen ImageNet EfficientNet-Lite0, memoised per tile id.

    Several baselines and seeds share one instance, so every tile passes the backbone once.
    Maps are kept as float16 (a 224 px tile's three maps hold about 69k values).
    """

    def __init__(self, input_size: int = 224, out_indices: tuple[int, ...] = (2, 3, 4),
                 batch_size: int = 32, pretrained: bool = True):
        self.input_size = input_size
        self.batch_size = batch_size
        self.network = efficientnet_lite0_features(out_indices, pretrained)
        self.network.eval().requires_grad_(False)
        self.channels: list[int] = list(self.network.feature_info.channels())
        self._memo: dict[str, tuple[torch.Tensor, ...]] = {}

    @torch.inference_mode()
    def maps(self, inputs: AssessmentInputs, verbose: bool = True) -> list[torch.Tensor]:
        """One float32 N x C_s x h_s x w_s tensor per scale, rows in ``inputs`` order."""
        missing = [i for i, tile in enumerate(inputs.tile_ids) if tile not in self._memo]
        if missing:
            images = require_images(inputs)
            with progress_bar(verbose) as progress:
                task = progress.add_task("backbone maps", total=len(missing))
                for start in range(0, len(missing), self.batch_size):
                    batch = missing[start:start + self.batch_size]
                    pixels = to_model_input(images[batch])
                    if pixels.shape[-2:] != (self.input_size, self.input_size):
                        pixels = nn.functional.interpolate(
                            pixels, size=(self.input_size,) * 2, mode="bilinear",
                            align_corners=False, antialias=True)
                    for row, *scales in zip(batch, *self.network(pixels)):
                        self._memo[inputs.tile_ids[row]] = tuple(s.half() for s in scales)
                    progress.advance(task, len(batch))
        rows = [self._memo[tile] for tile in inputs.tile_ids]
        return [torch.stack([row[s] for row in rows]).float() for s in range(len(self.channels))]


class FrozenBackboneRegressor(Assessor):
    """A learned head per segmentation method on frozen backbone maps.

    Subclasses build the head (``build_head(channels)``: a module mapping the list of maps to N
    scores) and name its training loss. Targets are standardised with the train split's mean and
    spread per method, so one learning rate suits every method. Training is deterministic given
    ``seed``.
    """

    stochastic = True
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = staticmethod(nn.functional.l1_loss)

    def __init__(self, epochs: int = 30, batch_size: int = 32, lr: float = 1e-3,
                 weight_decay: float = 1e-4, seed: int = 0, input_size: int = 224,
                 backbone: FrozenLiteBackbone | None = None, verbose: bool = True):
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.seed = seed
        self.input_size = input_size
        self.backbone = backbone
        self.verbose = verbose
        self.heads: dict[str, nn.Module] = {}
        self.target_scale: dict[str, tuple[float, float]] = {}

    @abstractmethod
    def build_head(self, channels: list[int], sizes: list[tuple[int, int]]) -> nn.Module:
        """Module mapping the list of per-scale maps (shapes N x channels[s] x sizes[s]) to N scores."""

    def frozen_maps(self, maps: list[torch.Tensor]) -> list[torch.Tensor]:
        """Parameter-free reshaping of the backbone maps (pooling onto a grid), done once per
        split instead of once per training step."""
        return maps

    def _backbone(self) -> FrozenLiteBackbone:
        if self.backbone is None:
            self.backbone = FrozenLiteBackbone(input_size=self.input_size)
        return self.backbone

    def fit(self, train: AssessmentInputs) -> FrozenBackboneRegressor:
        targets = require_targets(train)
        maps = self.frozen_maps(self._backbone().maps(train, self.verbose))
        channels = [m.shape[1] for m in maps]
        sizes = [tuple(m.shape[2:]) for m in maps]
        self.heads, self.target_scale = {}, {}
        with progress_bar(self.verbose) as progress:
            for column, method in enumerate(train.methods):
                mean, std = float(targets[:, column].mean()), float(targets[:, column].std())
                std = std if std > 1e-8 else 1.0
                target = torch.as_tensor((targets[:, column] - mean) / std, dtype=torch.float32)
                task = progress.add_task(f"{self.name} {method}", total=self.epochs)
                self.heads[method] = self._train_head(
                    maps, target, channels, sizes, lambda: progress.advance(task))
                self.target_scale[method] = (mean, std)
        return self

    def _train_head(self, maps: list[torch.Tensor], target: torch.Tensor, channels: list[int],
                    sizes: list[tuple[int, int]], tick: Callable[[], None]) -> nn.Module:
        torch.manual_seed(self.seed)
        head = self.build_head(channels, sizes)
        optimizer = torch.optim.AdamW(head.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.epochs)
        generator = torch.Generator().manual_seed(self.seed)
        for _ in range(self.epochs):
            head.train()
            for batch in torch.randperm(len(target), generator=generator).split(self.batch_size):
                loss = self.loss(head([m[batch] for m in maps]), target[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            schedule.step()
            tick()
        return head.eval()

    @torch.inference_mode()
    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_methods(self.heads, inputs.methods)
        maps = self.frozen_maps(self._backbone().maps(inputs, self.verbose))
        scores = np.empty((len(inputs), len(inputs.methods)), dtype=np.float64)
        for column, method in enumerate(inputs.methods):
            mean, std = self.target_scale[method]
            chunks = [self.heads[method]([m[i:i + 256] for m in maps])
                      for i in range(0, len(inputs), 256)]
            scores[:, column] = torch.cat(chunks).double().numpy() * std + mean
        return scores
