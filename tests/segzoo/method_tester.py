"""The contract every segmentation method of the pool keeps, as one base class of tests.

A method's test module subclasses ``MethodTester`` and sets ``method_name``; pytest then runs every
test below against that method (the base class itself is not collected: its name lacks "Test").
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_model, save_model

from rssqa.errors import InputError
from rssqa.segzoo import FeatureTap, available_methods, get_method

NUM_CLASSES = 4


def split_output(output) -> tuple[torch.Tensor, list[torch.Tensor]]:
    return output if isinstance(output, tuple) else (output, [])


class MethodTester:
    method_name: str
    variant = "cpu"
    input_size = (64, 64)
    odd_size = (45, 71)  # neither side a multiple of any encoder stride
    # Building this configuration with pretrained=True must fail: its weights cannot be had offline.
    non_offline_overrides: dict = {"variant": "paper"}
    pretrained_error: type[Exception] = InputError

    # ---- helpers -------------------------------------------------------------------------------
    @property
    def method(self):
        return get_method(self.method_name)

    def build(self, seed: int = 0, **overrides):
        torch.manual_seed(seed)
        return self.method.create(NUM_CLASSES, **{"variant": self.variant, **overrides})

    @pytest.fixture(scope="class")
    @classmethod
    def model(cls):
        torch.manual_seed(0)
        return get_method(cls.method_name).create(NUM_CLASSES, variant=cls.variant)

    def batch(self, n: int = 2, size=None, seed: int = 1) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        return torch.randn(n, 3, *(size or self.input_size), generator=generator)

    # ---- the contract --------------------------------------------------------------------------
    def test_registry_finds_it(self):
        assert self.method_name in available_methods()
        assert self.method.name == self.method_name

    def test_forward_backward_reaches_every_parameter(self, model):
        model.train()
        model.zero_grad()
        x = self.batch()
        target = torch.randint(0, NUM_CLASSES, (x.shape[0], *x.shape[-2:]))
        logits, aux = split_output(model(x))
        assert logits.shape == (2, NUM_CLASSES, *self.input_size)
        loss = F.cross_entropy(logits, target) + sum(
            F.cross_entropy(F.interpolate(a, size=x.shape[-2:], mode="bilinear"), target) for a in aux)
        loss.backward()
        assert torch.isfinite(loss)
        without_grad = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
        assert not without_grad, f"parameters outside the training graph: {without_grad[:5]}"

    def test_odd_input_size_gives_logits_of_that_size(self, model):
        model.eval()
        with torch.no_grad():
            logits = model(self.batch(1, self.odd_size))
        assert isinstance(logits, torch.Tensor)
        assert logits.shape == (1, NUM_CLASSES, *self.odd_size)
        assert torch.isfinite(logits).all()

    def test_feature_tap_reads_the_classifier_input(self, model):
        model.eval()
        classifier = model.get_submodule(self.method.classifier)
        with FeatureTap(model, self.method.classifier) as tap, torch.no_grad():
            model(self.batch(3))
        assert tap.pooled is not None and tap.pooled.shape == (3, classifier.in_channels)
        # Different images give different features: the tap is not reading a constant.
        assert not torch.allclose(tap.pooled[0], tap.pooled[1])

    def test_eval_returns_deterministic_logits_and_train_may_add_aux(self, model):
        x = self.batch()
        model.eval()
        with torch.no_grad():
            first, second = model(x), model(x)
        assert isinstance(first, torch.Tensor)
        torch.testing.assert_close(first, second)

        model.train()
        output = model(x)
        if isinstance(output, tuple):
            logits, aux = output
            assert logits.shape == first.shape and len(aux) >= 1
            assert all(a.shape[:2] == (2, NUM_CLASSES) for a in aux)
        else:
            assert output.shape == first.shape

    def test_safetensors_round_trip_reproduces_eval_outputs(self, tmp_path):
        original, other = self.build(seed=0), self.build(seed=1)
        path = tmp_path / "model.safetensors"
        save_model(original, str(path))
        x = self.batch()
        original.eval(), other.eval()
        with torch.no_grad():
            expected = original(x)
            assert not torch.allclose(other(x), expected)  # a fresh model differs ...
            load_model(other, str(path))
            torch.testing.assert_close(other(x), expected)  # ... until the weights are loaded

    def test_pretrained_without_offline_weights_raises(self):
        with pytest.raises(self.pretrained_error):
            self.method.create(NUM_CLASSES, pretrained=True, **self.non_offline_overrides)

    def test_pretrained_offline_variant_loads_imagenet_weights(self):
        random_init = self.build(seed=0).state_dict()
        pretrained = self.build(seed=0, pretrained=True).state_dict()
        changed = [k for k in random_init if not torch.equal(random_init[k], pretrained[k])]
        assert changed, "pretrained=True loaded nothing"
        # Only the encoder takes the ImageNet weights; the decoder keeps its (seeded) initialisation.
        assert len(changed) < len(random_init)
