"""RS-SQA's training loss: MSE on the scores plus a KL term on their distribution in the batch.

The MSE anchors each prediction to its true OA; the KL term compares how the batch's scores are
spread, which rewards getting the *order and spacing* of tiles right (it is blind to a shift
common to all predictions, which the MSE fixes).

The two distributions are formed over the N tiles of a batch, at temperature ``tau``:

    P = softmax(y / tau)        from the true scores y (N,)
    Q = softmax(y_hat / tau)    from the predicted scores y_hat (N,)
    loss_KL = KL(P || Q) = sum_i P_i (log P_i - log Q_i)

The batch is one distribution, so ``batchmean`` reduction over a batch of one gives exactly this
sum (not the sum divided by N). ``RSSQAConfig.kl_tau`` documents the default temperature.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSS_KINDS = ("mse+kl", "mse", "kl")


def score_distribution_kl(pred: torch.Tensor, target: torch.Tensor, tau: float) -> torch.Tensor:
    """KL(softmax(target / tau) || softmax(pred / tau)) over the batch dimension."""
    log_q = F.log_softmax(pred / tau, dim=0).unsqueeze(0)
    log_p = F.log_softmax(target / tau, dim=0).unsqueeze(0)
    return F.kl_div(log_q, log_p, reduction="batchmean", log_target=True)


def rssqa_loss(pred: torch.Tensor, target: torch.Tensor, kl_weight: float = 0.5,
               tau: float = 0.05, kind: str = "mse+kl") -> torch.Tensor:
    """``mse + kl_weight * kl`` (``kind="mse+kl"``, the paper's), or either term alone.

    pred, target: N scores of one method on N tiles. ``kind="kl"`` returns the unweighted KL.
    """
    if kind not in LOSS_KINDS:
        raise ValueError(f"unknown loss kind {kind!r}; known: {', '.join(LOSS_KINDS)}")
    if kind == "mse":
        return F.mse_loss(pred, target)
    kl = score_distribution_kl(pred, target, tau)
    if kind == "kl":
        return kl
    return F.mse_loss(pred, target) + kl_weight * kl
