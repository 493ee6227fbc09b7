"""A black-box assessor: quality from a member's output alone, for models rssqa cannot open.

A folder of saved masks has no pre-classifier feature, so RS-SQA's segmentation branch has
nothing to read. What every member does have is its output, and a wrong segmentation tends to
look wrong: speckle and long boundaries, classes no other member sees, disagreement with the rest
of the pool, low confidence where probabilities exist. Per (tile, member) this assessor reads

- the mask's shape statistics (``rssqa.structure``: boundary density, fragment count and sizes),
- its class histogram, its agreement with the other members (consensus and pairwise),
- its confidence (mean max-probability, mean entropy, share of pixels at 0.9 or above; constants
  for a mask-only member, see ``rssqa.pool.run``),

each also relative to the tile's mean over the pool (only differences tell members apart on a
hard tile), plus a few principal components of the tile's semantic-encoder embedding (what the
scene is) and the member's identity, and fits one gradient-boosted regressor (LightGBM, saved as
text, never pickled) to the members' accuracy over all of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from safetensors.numpy import load_file as load_arrays
from safetensors.numpy import save_file as save_arrays

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.baselines.agreement import agreement_signal
from rssqa.assess.boosting import lightgbm_params, load_booster, train_booster
from rssqa.assess.checkpoint import restore_configured, write_manifest
from rssqa.assess.checks import require_same_methods, require_signals, require_targets
from rssqa.assess.registry import register_assessor
from rssqa.assess.scaling import PrincipalComponents
from rssqa.errors import InputError
from rssqa.signals import with_relative
from rssqa.typed_config import as_config

if TYPE_CHECKING:
    import lightgbm

KIND = "blackbox"
_CONFIDENT_BIN = 45  # of the 50 max-probability bins: pixels at 0.9 or above


@dataclass
class BlackBoxConfig:
    rounds: int = 300
    learning_rate: float = 0.05
    leaves: int = 15
    min_leaf: int = 20
    semantic_components: int = 8
    seed: int = 0
    threads: int = 1

    def lightgbm_params(self) -> dict:
        return lightgbm_params("regression", learning_rate=self.learning_rate, leaves=self.leaves,
                               min_leaf=self.min_leaf, seed=self.seed, threads=self.threads)


def output_table(inputs: AssessmentInputs) -> np.ndarray:
    """N x M x F features of each member's output on each tile, with their relative versions."""
    signals = require_signals(inputs)
    if signals.structure is None:
        raise InputError(None, "these inputs carry no mask shape statistics (signals.structure)",
                         "open them from a SQED store (SQEDStore.inputs) or from rssqa.pool.run.run_pool")
    confidence = np.stack([np.asarray(inputs.confidence[m], np.float64) for m in inputs.methods],
                          axis=1)
    confident = signals.share_from_bin(np.full(len(inputs.methods), _CONFIDENT_BIN))
    columns = np.concatenate([
        np.asarray(signals.structure, np.float64), np.asarray(signals.class_shares, np.float64),
        np.stack([agreement_signal(signals, "consensus"), agreement_signal(signals, "pairwise"),
                  confidence[:, :, 0], -confidence[:, :, 1], confident], axis=2)], axis=2)
    return with_relative(columns)


@register_assessor(KIND)
class BlackBoxAssessor(Assessor):
    """One LightGBM regressor over (tile, member) rows of output-only features."""

    name = KIND

    def __init__(self, config: dict | BlackBoxConfig | None = None):
        self.config = as_config(BlackBoxConfig, config, "black-box config")
        self.methods: list[str] = []
        self.semantic: PrincipalComponents | None = None
        self.booster: lightgbm.Booster | None = None
        self.source: Path | None = None

    def rows(self, inputs: AssessmentInputs) -> np.ndarray:
        """(N * M) x F design matrix, tile-major; the last column is the member's index."""
        table = output_table(inputs)
        semantic = self.semantic.transform(np.asarray(inputs.semantic_pooled, np.float32))
        n, m = table.shape[:2]
        semantic = np.broadcast_to(semantic[:, None, :], (n, m, semantic.shape[1]))
        member = np.broadcast_to(np.arange(m, dtype=np.float64)[None, :, None], (n, m, 1))
        return np.concatenate([table, semantic, member], axis=2).reshape(n * m, -1)

    def fit(self, train: AssessmentInputs) -> BlackBoxAssessor:
        targets = require_targets(train)
        self.methods = list(train.methods)
        self.semantic = PrincipalComponents.fit(np.asarray(train.semantic_pooled, np.float32),
                                               self.config.semantic_components)
        rows = self.rows(train)
        self.booster = train_booster(self.config.lightgbm_params(), rows, targets.reshape(-1),
                                     self.config.rounds, categorical=[rows.shape[1] - 1])
        self.source = None
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_same_methods(self.methods, list(inputs.methods), self.source)
        return self.booster.predict(self.rows(inputs)).reshape(len(inputs), len(self.methods))

    def save(self, directory: str | Path) -> None:
        require_same_methods(self.methods, self.methods)
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(directory / "model.txt"))
        save_arrays(self.semantic.state(""), directory / "semantic.safetensors")
        write_manifest(directory, KIND, {"config": asdict(self.config), "methods": self.methods})

    @classmethod
    def load(cls, directory: str | Path) -> BlackBoxAssessor:
        directory = Path(directory)
        assessor, _ = restore_configured(cls, directory, KIND)
        state = load_arrays(directory / "semantic.safetensors")
        assessor.semantic = PrincipalComponents.from_state(state, "")
        assessor.booster = load_booster(directory / "model.txt")
        assessor.source = directory
        return assessor
