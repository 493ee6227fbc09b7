"""One registry pattern behind every name a config can use."""

from __future__ import annotations

import pytest

from rssqa.assess.registry import ASSESSORS
from rssqa.data.sources.registry import SOURCES
from rssqa.encoders.registry import ENCODERS
from rssqa.errors import InputError, UnknownNameError
from rssqa.registry import Registry
from rssqa.segzoo.base import METHODS
from rssqa.pool.registry import MEMBER_KINDS


class Scaler:
    def __init__(self, factor: float, offset: float = 0.0):
        self.factor, self.offset = factor, offset


def test_defaults_are_overridden_by_kwargs_and_one_class_may_have_several_names():
    things = Registry("thing")
    things.register("double", factor=2.0)(Scaler)
    things.register("triple", factor=3.0, offset=1.0)(Scaler)
    assert things.create("double").factor == 2.0
    assert vars(things.create("triple", offset=0.5)) == {"factor": 3.0, "offset": 0.5}
    assert things.names() == ["double", "triple"]


def test_a_name_registered_twice_is_a_programming_error():
    things = Registry("thing")
    things.add("a", Scaler)
    with pytest.raises(ValueError, match="thing 'a' is registered twice"):
        things.add("a", Scaler)


def test_an_unknown_name_lists_the_nearest_names_first():
    with pytest.raises(UnknownNameError, match="unknown assessor 'lisstwise'. use one of: listwise, "):
        ASSESSORS.get("lisstwise")
    with pytest.raises(KeyError):  # code that catches KeyError keeps working
        METHODS.get("segformer")


def test_wrong_kwargs_are_one_input_error_listing_what_it_takes():
    things = Registry("thing")
    things.add("scale", Scaler)
    with pytest.raises(InputError, match="thing 'scale': unknown setting.*factr; missing setting.*factor"
                                         ".*it takes: factor, offset"):
        things.create("scale", factr=2)
    with pytest.raises(InputError, match="source kind 'dubai': unknown setting.*folder"):
        SOURCES.create("dubai", folder="x")


def test_every_registry_knows_its_built_ins_without_prior_imports():
    assert {"rssqa", "safe", "listwise", "prior"} <= set(ASSESSORS.names())
    assert {"unet", "fpn", "deeplabv3plus", "unetformer"} <= set(METHODS.names())
    assert {"efficientnet-lite0", "clip-rs"} <= set(ENCODERS.names())
    assert {"dubai", "folder", "loveda", "potsdam"} <= set(SOURCES.names())
    assert {"predictions", "torch"} <= set(MEMBER_KINDS.names())


def test_a_failed_import_of_the_built_ins_is_retried_on_the_next_lookup():
    attempts = []

    def load_builtins():
        attempts.append(1)
        if len(attempts) == 1:
            raise ImportError("a plug-in module is broken")
        things.add("late", Scaler)

    things = Registry("thing", load_builtins)
    with pytest.raises(ImportError):
        things.names()
    assert things.names() == ["late"] and len(attempts) == 2
