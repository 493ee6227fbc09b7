import math

import pytest
import torch
import torch.nn.functional as F

from rssqa.assess.losses import rssqa_loss

TARGET = torch.tensor([0.70, 0.80, 0.90, 0.75])
PRED = torch.tensor([0.72, 0.78, 0.80, 0.85])


def test_mse_kind_is_plain_mean_squared_error():
    torch.testing.assert_close(rssqa_loss(PRED, TARGET, kind="mse"), F.mse_loss(PRED, TARGET))


def test_kl_is_the_documented_kl_between_batch_softmaxes():
    tau = 0.05
    p = torch.softmax(TARGET / tau, 0)
    q = torch.softmax(PRED / tau, 0)
    by_hand = sum(float(p[i]) * math.log(float(p[i]) / float(q[i])) for i in range(4))
    assert float(rssqa_loss(PRED, TARGET, tau=tau, kind="kl")) == pytest.approx(by_hand, rel=1e-5)


def test_kl_is_zero_for_identical_distributions_and_positive_otherwise():
    assert float(rssqa_loss(TARGET, TARGET, kind="kl")) == pytest.approx(0.0, abs=1e-7)
    # A shift common to every prediction leaves the distribution, hence the KL, unchanged.
    assert float(rssqa_loss(TARGET + 0.1, TARGET, kind="kl")) == pytest.approx(0.0, abs=1e-6)
    assert float(rssqa_loss(PRED, TARGET, kind="kl")) > 0


def test_default_loss_is_mse_plus_weighted_kl():
    mse = rssqa_loss(PRED, TARGET, kind="mse")
    kl = rssqa_loss(PRED, TARGET, tau=0.1, kind="kl")
    torch.testing.assert_close(rssqa_loss(PRED, TARGET, kl_weight=0.5, tau=0.1), mse + 0.5 * kl)


def test_loss_has_gradients_for_the_predictions():
    pred = PRED.clone().requires_grad_(True)
    rssqa_loss(pred, TARGET).backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="mse\\+kl"):
        rssqa_loss(PRED, TARGET, kind="huber")
