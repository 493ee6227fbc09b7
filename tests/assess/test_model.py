import itertools
import math

import pytest
import torch
from torch import nn

from rssqa.assess.config import RSSQAConfig
from rssqa.assess.model import CrossGating, QualityHead, RSSQANet

pytestmark = pytest.mark.usefixtures("single_thread")

TOKEN_DIM, SEG_DIM = 320, 48


@pytest.mark.parametrize("num_tokens", [64, 16])  # EfficientNet-Lite0 at 256 px and at 128 px
@pytest.mark.parametrize("branches,fusion,adapters",
                         list(itertools.product(("both", "semantic", "segmentation"),
                                                ("gate", "concat"), (True, False))))
def test_every_ablation_maps_a_batch_to_one_score_per_tile(num_tokens, branches, fusion, adapters):
    torch.manual_seed(0)
    config = RSSQAConfig(hidden=32, heads=4, branches=branches, fusion=fusion, adapters=adapters)
    net = RSSQANet(TOKEN_DIM, num_tokens, SEG_DIM, config).eval()
    out = net(torch.randn(5, num_tokens, TOKEN_DIM), torch.randn(5, SEG_DIM))
    assert out.shape == (5,)
    assert ((out > 0) & (out < 1)).all()


def test_paper_adapter_has_depth_vit_blocks_and_ablation_has_none():
    from timm.models.vision_transformer import Block

    full = RSSQANet(TOKEN_DIM, 16, SEG_DIM, RSSQAConfig(hidden=32))
    linear = RSSQANet(TOKEN_DIM, 16, SEG_DIM, RSSQAConfig(hidden=32, adapters=False))
    assert sum(isinstance(m, Block) for m in full.modules()) == 3
    assert not any(isinstance(m, Block) for m in linear.modules())
    assert full.semantic.position.shape == (1, 17, 32)  # CLS + 16 tokens


@pytest.mark.parametrize("branches,ignored", [("semantic", "seg"), ("segmentation", "tokens")])
def test_single_branch_ablation_ignores_the_other_input(branches, ignored):
    torch.manual_seed(0)
    net = RSSQANet(TOKEN_DIM, 16, SEG_DIM, RSSQAConfig(hidden=32, branches=branches)).eval()
    tokens, seg = torch.randn(4, 16, TOKEN_DIM), torch.randn(4, SEG_DIM)
    if ignored == "seg":
        changed = (tokens, torch.randn_like(seg))
    else:
        changed = (torch.randn_like(tokens), seg)
    torch.testing.assert_close(net(tokens, seg), net(*changed))


def test_both_branches_use_both_inputs():
    torch.manual_seed(0)
    net = RSSQANet(TOKEN_DIM, 16, SEG_DIM, RSSQAConfig(hidden=32)).eval()
    tokens, seg = torch.randn(4, 16, TOKEN_DIM), torch.randn(4, SEG_DIM)
    base = net(tokens, seg)
    assert not torch.allclose(base, net(tokens, torch.randn_like(seg)))
    assert not torch.allclose(base, net(torch.randn_like(tokens), seg))


def _set(linear: nn.Linear, weight, bias):
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight))
        linear.bias.copy_(torch.tensor(bias))


def test_cross_gating_matches_the_paper_formula_by_hand():
    block = CrossGating(hidden=2)
    _set(block.semantic, [[1.0, 0.0], [0.0, -1.0]], [0.0, 0.5])
    _set(block.segmentation, [[2.0, 0.0], [1.0, 1.0]], [0.0, -1.0])
    _set(block.fuse, [[1.0, 1.0], [0.0, 3.0]], [0.1, 0.0])
    f_sem, f_seg = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.5, 1.5]])

    def gelu(x):  # exact (erf) GELU
        return 0.5 * x * (1 + math.erf(x / math.sqrt(2)))

    gate = [gelu(1.0), gelu(-2.0 + 0.5)]          # GELU(W_sem f_sem)
    seg = [2.0 * 0.5, 0.5 + 1.5 - 1.0]             # W_seg f_seg = [1.0, 1.0]
    gated = [gate[0] * seg[0], gate[1] * seg[1]]
    expected = [gated[0] + gated[1] + 0.1 + seg[0], 3.0 * gated[1] + seg[1]]  # W_fuse(.) + F_seg'
    torch.testing.assert_close(block(f_sem, f_seg), torch.tensor([expected]))


def test_head_output_is_a_probability_even_for_extreme_features():
    head = QualityHead(hidden=8, dropout=0.1).eval()
    out = head(torch.cat([torch.full((1, 8), 1e4), torch.full((1, 8), -1e4), torch.zeros(1, 8)]))
    assert out.shape == (3,)
    assert ((out >= 0) & (out <= 1)).all()
