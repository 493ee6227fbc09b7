import pytest

from rssqa.assess.config import RSSQAConfig
from rssqa.errors import InputError


def test_dict_round_trip_keeps_every_value():
    config = RSSQAConfig(hidden=64, branches="semantic", adapters=False, loss="mse", kl_tau=0.1)
    assert RSSQAConfig.from_dict(config.to_dict()) == config


def test_paper_defaults():
    config = RSSQAConfig()
    assert (config.depth, config.dropout, config.lr, config.kl_weight) == (3, 0.1, 1e-4, 0.5)
    assert (config.branches, config.fusion, config.adapters, config.loss) == ("both", "gate", True,
                                                                              "mse+kl")


def test_unknown_key_is_an_error_that_lists_the_known_keys():
    with pytest.raises(InputError, match="RS-SQA config: unknown key.*hiden.*known keys:.*hidden"):
        RSSQAConfig.from_dict({"hiden": 128})


@pytest.mark.parametrize("values,message", [
    ({"branches": "image"}, "branches='image' is not one of both, semantic, segmentation"),
    ({"fusion": "sum"}, "fusion"),
    ({"loss": "l1"}, "loss"),
    ({"hidden": 30, "heads": 4}, "not divisible"),
    ({"dropout": 1.0}, "dropout"),
    ({"kl_tau": 0.0}, "kl_tau"),
    ({"adapters": "no"}, "adapters"),
])
def test_invalid_values_are_reported(values, message):
    with pytest.raises(InputError, match=message):
        RSSQAConfig.from_dict(values)
