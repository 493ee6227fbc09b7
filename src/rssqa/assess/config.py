"""Every hyper-parameter of the RS-SQA assessor, with the paper's values as defaults (but a
CPU-sized width, see ``RSSQAConfig``).

The ablation switches (``branches``, ``fusion``, ``adapters``, ``loss``) live here too, so an
ablation run is a config and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rssqa.assess.losses import LOSS_KINDS
from rssqa.typed_config import below, from_dict, not_positive, refuse

BRANCHES = ("both", "semantic", "segmentation")
FUSIONS = ("gate", "concat")


@dataclass(frozen=True)
class RSSQAConfig:
    """Hyper-parameters of one RS-SQA assessor (one network per segmentation method).

    Model: ``hidden`` width everywhere after the input projections; the semantic adapter has
    ``depth`` ViT blocks with ``heads`` heads and an MLP of ``mlp_ratio * hidden``; ``dropout``
    precedes each of the head's two linear layers.

    Departure from the paper, for CPU: ``hidden`` defaults to 64, not 256. On 64 tokens of 320
    channels (EfficientNet-Lite0 at 256 px) and 400 tiles, 60 epochs take about 40 CPU-seconds
    per method at width 64 and about 350 at width 256, per CPU thread; pass ``hidden=256`` on a GPU.

    Optimisation: AdamW at ``lr`` with decoupled ``weight_decay`` 0.01 (PyTorch's default; the
    paper does not state one). The learning rate warms up linearly from ``warmup_start_factor *
    lr`` over ``warmup_epochs``, then is multiplied by ``lr_gamma`` every ``lr_step`` epochs
    (``SequentialLR`` of ``LinearLR`` and ``StepLR``, stepped once per epoch).

    Loss: ``MSE + kl_weight * KL(P || Q)`` with P and Q softmaxes of the true and the predicted
    scores over the batch at temperature ``kl_tau`` (see ``rssqa.assess.losses``). Departure from
    the paper, whose KL term has no temperature (a softmax of raw OA values is nearly uniform,
    so the term would carry no ranking signal). The default
    0.05 is picked for the narrow range OA lives in: a batch whose OA spreads with a standard
    deviation of 0.05-0.1 then gives logits spread by 1-2, a distribution whose effective support
    is about 9-21 of 32 tiles. A larger tau flattens P towards uniform (KL carries no ranking
    signal); a smaller one collapses it onto the batch's best tile.

    Ablations: ``branches`` keeps both branches or only one; ``fusion`` is the paper's cross
    gating or a plain concatenation + linear layer; ``adapters=False`` replaces the ViT-block
    semantic adapter and the MLP segmentation adapter by one linear projection each (of the
    mean token, and of the pooled feature); ``loss`` keeps both terms or one.

    ``calibrate`` (not in the paper, off by default): after training, each method's predictions
    on the training tiles are mapped to its true OA by an increasing straight line (clipped to
    [0, 1] when predicting). Per-method networks are each trained against their own method only,
    so their biases and compression differ; recommending by argmax across methods needs them on
    one scale. The map keeps each method's ranking of tiles, so per-method SROCC is unchanged.
    """

    hidden: int = 64
    heads: int = 4
    depth: int = 3
    mlp_ratio: float = 4.0
    dropout: float = 0.1
    lr: float = 1e-4
    weight_decay: float = 0.01
    epochs: int = 60
    batch_size: int = 32
    warmup_epochs: int = 5
    warmup_start_factor: float = 0.1
    lr_step: int = 20
    lr_gamma: float = 0.5
    kl_weight: float = 0.5
    kl_tau: float = 0.05
    seed: int = 0
    branches: str = "both"
    fusion: str = "gate"
    adapters: bool = True
    loss: str = "mse+kl"
    calibrate: bool = False

    def __post_init__(self) -> None:
        problems = [f"{name}={getattr(self, name)!r} is not one of {', '.join(choices)}"
                    for name, choices in (("branches", BRANCHES), ("fusion", FUSIONS),
                                          ("loss", LOSS_KINDS))
                    if getattr(self, name) not in choices]
        problems += [f"{name} must be true or false, got {getattr(self, name)!r}"
                     for name in ("adapters", "calibrate") if not isinstance(getattr(self, name), bool)]
        problems += below(self, 1, "hidden", "heads", "depth", "epochs", "batch_size", "lr_step")
        problems += not_positive(self, "lr", "kl_tau", "lr_gamma", "mlp_ratio", "warmup_start_factor")
        problems += below(self, 0, "weight_decay", "kl_weight", "warmup_epochs")
        if not problems and self.hidden % self.heads:
            problems.append(f"hidden={self.hidden} is not divisible by heads={self.heads}")
        if not 0 <= self.dropout < 1:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        refuse(["invalid RS-SQA config: " + "; ".join(problems)] if problems else [],
               "fix these values in the assessor config")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RSSQAConfig:
        """Build from a plain mapping (YAML, JSON); unknown keys are an error, not ignored."""
        return from_dict(cls, values, "RS-SQA config")
