"""The shared building blocks: linear attention, padding to any size, encoders and their weights."""

from __future__ import annotations

import pytest
import timm
import torch
from safetensors.torch import save_file

from rssqa.errors import CheckpointError, InputError
from rssqa.segzoo import get_method
from rssqa.segzoo.aerialformer import MultiDilatedConv
from rssqa.backbones.timm_pyramid import Encoder, pick_variant
from rssqa.segzoo.blocks import SegmentationModel, linear_attention
from rssqa.segzoo.unetformer import window_self_attention


def quadratic_attention(q, k, v, similarity):
    weights = similarity(q, k)  # B x L x L
    return (weights @ v) / weights.sum(dim=-1, keepdim=True)


def test_taylor_linear_attention_equals_its_quadratic_form():
    q, k, v = torch.randn(2, 10, 4), torch.randn(2, 10, 4), torch.randn(2, 10, 3)
    unit = torch.nn.functional.normalize
    expected = quadratic_attention(q, k, v, lambda a, b: 1 + unit(a, dim=-1) @ unit(b, dim=-1).transpose(1, 2))
    torch.testing.assert_close(linear_attention(q, k, v, "taylor"), expected, atol=1e-5, rtol=1e-4)


def test_softplus_linear_attention_equals_its_quadratic_form():
    q, k, v = torch.randn(2, 10, 4), torch.randn(2, 10, 4), torch.randn(2, 10, 3)
    softplus = torch.nn.functional.softplus
    expected = quadratic_attention(q, k, v, lambda a, b: softplus(a) @ softplus(b).transpose(1, 2))
    torch.testing.assert_close(linear_attention(q, k, v, "softplus"), expected, atol=1e-5, rtol=1e-4)


def test_window_self_attention_attends_within_each_window_only():
    heads, window, head_dim = 2, 4, 3
    qkv = torch.randn(1, 3 * heads * head_dim, 8, 12)
    bias = torch.randn(1, heads, window**2, window**2)
    out = window_self_attention(qkv, heads, window, bias)
    q, k, v = qkv.reshape(3, heads, head_dim, 8, 12)
    for top in range(0, 8, window):
        for left in range(0, 12, window):
            def tokens(t):  # heads x window^2 x head_dim
                return t[..., top:top + window, left:left + window].flatten(2).transpose(1, 2)
            logits = tokens(q) @ tokens(k).transpose(1, 2) / head_dim**0.5 + bias[0]
            expected = logits.softmax(-1) @ tokens(v)
            got = out[0, :, top:top + window, left:left + window].reshape(heads, head_dim, -1).transpose(1, 2)
            torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


class Echo(SegmentationModel):
    """Returns its padded input as 'logits', and a half-resolution copy as auxiliary logits."""

    def segment(self, x):
        assert x.shape[-2] % 32 == 0 and x.shape[-1] % 32 == 0
        return x, [torch.nn.functional.avg_pool2d(x, 2)]


def test_segmentation_model_pads_to_the_divisor_and_crops_back():
    x = torch.randn(1, 3, 45, 71)
    model = Echo().eval()
    torch.testing.assert_close(model(x), x)  # the crop is aligned with the input
    logits, aux = model.train()(x)
    assert logits.shape == aux[0].shape == x.shape


def test_multi_dilated_conv_splits_any_channel_count():
    for channels in (16, 47, 49):
        block = MultiDilatedConv(channels, 8, ((3, 1), (3, 2), (3, 3)))
        assert sum(block.splits) == channels
        assert block(torch.randn(1, channels, 9, 9)).shape == (1, 8, 9, 9)


def test_encoder_gives_nchw_maps_at_strides_4_to_32_for_channels_last_models():
    encoder = Encoder("swin_tiny_patch4_window7_224", img_size=64, strict_img_size=False,
                      embed_dim=24, depths=(1, 1, 1, 1), num_heads=(1, 1, 1, 1))
    features = encoder(torch.randn(1, 3, 64, 64))
    assert [f.shape[1] for f in features] == encoder.channels == [24, 48, 96, 192]
    assert [f.shape[-1] for f in features] == [16, 8, 4, 2]


def test_local_weights_file_initialises_the_encoder(tmp_path):
    reference = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    torch.nn.init.normal_(reference.conv_stem.weight)  # distinguishable from a fresh init
    path = tmp_path / "lite0.safetensors"
    save_file(reference.state_dict(), str(path))
    model = get_method("unetformer").create(3, variant="cpu", weights=path)
    torch.testing.assert_close(model.encoder.body.conv_stem.weight, reference.conv_stem.weight)


def test_weights_of_another_architecture_raise_checkpoint_error(tmp_path):
    path = tmp_path / "resnet18.safetensors"
    save_file(timm.create_model("resnet18", pretrained=False).state_dict(), str(path))
    with pytest.raises(CheckpointError, match="resnet18.safetensors"):
        Encoder("tf_efficientnet_lite0", weights=path)


def test_missing_weights_file_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        Encoder("resnet18", weights=tmp_path / "absent.pth")


def test_pretrained_encoder_without_offline_weights_raises_before_building():
    with pytest.raises(InputError, match="weights="):
        Encoder("resnet50", pretrained=True)


def test_unknown_variant_names_the_known_ones():
    with pytest.raises(InputError, match="paper, cpu"):
        pick_variant("banet", {"paper": {}, "cpu": {}}, "huge")
    with pytest.raises(InputError):
        get_method("dcswin").create(3, variant="huge")
