"""A user's PyTorch model as a pool member: by entry point + weights, or as an exported program;
the named tap gives its pre-classifier feature; offline, pickle-free loading only."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch
import yaml
from safetensors.torch import save_file

from rssqa.errors import CheckpointError, InputError
from rssqa.pool.torch_member import TorchMember

MODEL_SOURCE = textwrap.dedent('''
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self, classes=3, width=8):
            super().__init__()
            self.encoder = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.ReLU())
            self.decoder = nn.Module()
            self.decoder.head = nn.Sequential(nn.Conv2d(width, width, 1), nn.ReLU(),
                                              nn.Conv2d(width, classes, 1))

        def forward(self, x):
            return {"out": self.decoder.head(self.encoder(x))}

    def build(classes=3, width=8):
        return Net(classes, width)
''')
TAP = "decoder.head.2"


@pytest.fixture
def user_model(tmp_path, monkeypatch):
    """An importable user package ``usermodels`` and its weights as safetensors."""
    (tmp_path / "usermodels.py").write_text(MODEL_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    module = importlib.import_module("usermodels")
    torch.manual_seed(0)
    model = module.build(classes=3, width=8).eval()
    save_file(model.state_dict(), tmp_path / "net.safetensors")
    return model, tmp_path


def tiles(n=2, size=32):
    return np.random.default_rng(0).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def reference(model, images):
    """What the member should return: the model's logits and the tap's pooled input."""
    captured = {}
    handle = model.get_submodule(TAP).register_forward_pre_hook(
        lambda module, inputs: captured.update(feature=inputs[0].mean(dim=(2, 3))))
    with torch.no_grad():
        x = (torch.as_tensor(images).permute(0, 3, 1, 2).float() - 127) / 128
        logits = model(x)["out"]
    handle.remove()
    return logits, captured["feature"]


def test_entry_point_with_safetensors_weights_and_a_tap(user_model):
    model, root = user_model
    member = TorchMember("mine", classes=3, module="usermodels:build",
                         weights=root / "net.safetensors", tap=TAP, build_kwargs={"width": 8})
    images = tiles()
    out = member.segment(images)
    logits, feature = reference(model, images)
    assert np.array_equal(out.masks, logits.argmax(dim=1).numpy())
    assert np.allclose(out.features, feature.numpy(), atol=1e-6)
    assert out.features.shape == (2, 8) and np.allclose(out.probabilities.sum(axis=1), 1, atol=1e-5)


def test_a_tap_that_does_not_exist_lists_the_nearest_names(user_model):
    root = user_model[1]
    with pytest.raises(InputError) as error:
        TorchMember("mine", 3, module="usermodels:build", weights=root / "net.safetensors",
                    tap="decoder.heads.2")
    assert "has no module 'decoder.heads.2'" in str(error.value)
    assert "nearest module names: decoder.head.2" in str(error.value)


def test_weights_that_do_not_fit_or_need_unpickling_are_refused(user_model, tmp_path):
    root = user_model[1]
    with pytest.raises(CheckpointError, match="does not fit"):
        TorchMember("mine", 3, module="usermodels:build", weights=root / "net.safetensors",
                    build_kwargs={"width": 4})
    torch.save({"model": object()}, tmp_path / "pickled.pt")  # only an unpickle could read it
    with pytest.raises(CheckpointError, match="plain weights"):
        TorchMember("mine", 3, module="usermodels:build", weights=tmp_path / "pickled.pt")
    torch.save(user_model[0].state_dict(), tmp_path / "state.pt")  # a plain state dict loads
    assert TorchMember("mine", 3, module="usermodels:build", weights=tmp_path / "state.pt").meta["sha256"]


def test_exported_program_is_tapped_like_the_eager_model(user_model, tmp_path):
    model = user_model[0]
    example = torch.zeros(2, 3, 32, 32)
    batch = torch.export.Dim("batch", min=1, max=64)
    program = torch.export.export(model, (example,), dynamic_shapes={"x": {0: batch}})
    torch.export.save(program, tmp_path / "net.pt2")
    member = TorchMember("exported", classes=3, program=tmp_path / "net.pt2", tap=TAP)
    images = tiles(3)
    out = member.segment(images)
    logits, feature = reference(model, images)
    assert np.array_equal(out.masks, logits.argmax(dim=1).numpy())
    assert np.allclose(out.features, feature.numpy(), atol=1e-5)


def test_torchscript_runs_without_a_tap_and_refuses_one(user_model, tmp_path):
    model = user_model[0]
    traced = torch.jit.trace(model, torch.zeros(1, 3, 32, 32), strict=False)
    traced.save(str(tmp_path / "net.ts"))
    with pytest.raises(InputError, match="cannot be tapped"):
        TorchMember("scripted", 3, program=tmp_path / "net.ts", tap=TAP)
    out = TorchMember("scripted", 3, program=tmp_path / "net.ts").segment(tiles())
    assert out.features is None and out.masks.shape == (2, 32, 32)


def test_a_torch_member_in_a_pool_builds_a_store_with_its_features(user_model, tiny_dataset, tmp_path):
    from rssqa.config import load_config
    from rssqa.stages import build_store
    from tests.conftest import tiny_config_dict

    root = user_model[1]
    config = tiny_config_dict(tiny_dataset, tmp_path / "run")
    config["pool"] = {"methods": [
        {"name": "torch", "kwargs": {"label": "mine", "module": "usermodels:build", "classes": 3,
                                     "weights": str(root / "net.safetensors"), "tap": TAP}},
        {"name": "torch", "kwargs": {"label": "blind", "module": "usermodels:build", "classes": 3,
                                     "weights": str(root / "net.safetensors")}}]}
    config["sqed"] = {"groups": ["g3"], "test_per_group": 1}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    store = build_store(load_config(path), verbose=False)
    assert store.methods == ["mine", "blind"]
    assert store.array("seg_mine").shape == (len(store.tiles), 8)
    assert store.array("seg_blind").shape == (len(store.tiles), 0)
    # same weights, same predictions: the two members agree everywhere
    assert np.array_equal(store.predictions("mine"), store.predictions("blind"))
