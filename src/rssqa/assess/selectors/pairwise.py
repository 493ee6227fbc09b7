"""Pairwise cost-sensitive classification, the classic strong selector of algorithm selection.

As in SATzilla's later versions: for every pair of methods (a, b) a classifier learns, from the
features of a tile, whether a beats b there; each training tile weighs by how much accuracy is at
stake, |acc(a) - acc(b)|, so tiles where the choice hardly matters hardly count. A new tile's
score for a method is its share of the (soft) pairwise votes it wins. The classifiers are
gradient-boosted trees (LightGBM), saved as LightGBM's own text model: nothing is pickled.

The scores rank methods; they are vote shares, not accuracies, so only the selection measures
(and rank correlations within a tile) are meaningful for this assessor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rssqa.assess.base import AssessmentInputs, Assessor
from rssqa.assess.boosting import lightgbm_params, load_booster, train_booster
from rssqa.assess.checkpoint import read_saved, restore_configured, write_manifest
from rssqa.assess.checks import require_methods, require_same_methods, require_targets
from rssqa.assess.registry import register_assessor
from rssqa.assess.selectors.features import SelectorFeatures
from rssqa.typed_config import as_config

if TYPE_CHECKING:
    import lightgbm

KIND = "pairwise"


@dataclass
class PairwiseConfig:
    rounds: int = 100
    learning_rate: float = 0.05
    leaves: int = 7
    min_leaf: int = 20
    seed: int = 0
    semantic_components: int = 8
    seg_components: int = 4

    def lightgbm_params(self) -> dict:
        return lightgbm_params("binary", learning_rate=self.learning_rate, leaves=self.leaves,
                               min_leaf=self.min_leaf, seed=self.seed)


@register_assessor(KIND)
class PairwiseSelector(Assessor):
    """One boosted-tree classifier per pair of methods; score = share of pairwise wins."""

    name = KIND

    def __init__(self, config: PairwiseConfig | dict | None = None):
        self.config = as_config(PairwiseConfig, config, "pairwise config")
        self.features: SelectorFeatures | None = None
        self.methods: list[str] = []
        # (a, b) -> a booster predicting P(a beats b), or the training share of a's wins when the
        # training tiles never disagree about the pair
        self.judges: dict[tuple[int, int], lightgbm.Booster | float] = {}
        self.source: Path | None = None

    def fit(self, train: AssessmentInputs) -> PairwiseSelector:
        targets = require_targets(train)
        self.methods = list(train.methods)
        self.features = SelectorFeatures(self.config.semantic_components,
                                         self.config.seg_components).fit(train)
        rows = self._rows(train)
        self.judges = {}
        for a, b in combinations(range(len(self.methods)), 2):
            stake = np.abs(targets[:, a] - targets[:, b])
            wins = (targets[:, a] > targets[:, b]).astype(np.float64)
            decided = stake > 0
            if len(np.unique(wins[decided])) < 2:
                self.judges[(a, b)] = float(wins[decided].mean()) if decided.any() else 0.5
                continue
            self.judges[(a, b)] = train_booster(
                self.config.lightgbm_params(), _pair(rows, a, b)[decided], wins[decided],
                self.config.rounds, weight=stake[decided] / stake[decided].mean())
        self.source = None
        return self

    def predict(self, inputs: AssessmentInputs) -> np.ndarray:
        require_same_methods(self.methods, inputs.methods, self.source)
        rows = self._rows(inputs)
        wins = np.zeros((len(inputs), len(self.methods)))
        for (a, b), judge in self.judges.items():
            p = (np.full(len(inputs), judge) if isinstance(judge, float)
                 else judge.predict(_pair(rows, a, b)))
            wins[:, a] += p
            wins[:, b] += 1 - p
        return wins / max(1, len(self.methods) - 1)

    def _rows(self, inputs: AssessmentInputs) -> np.ndarray:
        """N x M x F features without the one-hot columns (each classifier knows its pair)."""
        return self.features.transform(inputs)[:, :, :-len(self.methods)]

    def save(self, directory: str | Path) -> None:
        require_methods(self.methods, [])
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.features.save(directory)
        judges = {}
        for (a, b), judge in self.judges.items():
            if isinstance(judge, float):
                judges[f"{a}-{b}"] = judge
            else:
                judges[f"{a}-{b}"] = f"pair-{a:02d}-{b:02d}.txt"
                judge.save_model(str(directory / judges[f"{a}-{b}"]))
        write_manifest(directory, KIND, {"config": asdict(self.config), "methods": self.methods,
                                         "judges": judges})

    @classmethod
    def load(cls, directory: str | Path) -> PairwiseSelector:
        directory = Path(directory)
        selector, manifest = restore_configured(cls, directory, KIND)
        selector.features = SelectorFeatures.load(directory, selector.methods)
        for pair, judge in manifest["judges"].items():
            a, b = (int(i) for i in pair.split("-"))
            selector.judges[(a, b)] = (float(judge) if isinstance(judge, (int, float))
                                       else read_saved(directory / judge, load_booster))
        selector.source = directory
        return selector


def _pair(rows: np.ndarray, a: int, b: int) -> np.ndarray:
    return np.concatenate([rows[:, a], rows[:, b], rows[:, a] - rows[:, b]], axis=1)
