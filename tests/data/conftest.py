"""Fixtures shared by the data tests."""

import pytest

from rssqa.data.classmap import ClassMap


@pytest.fixture
def classmap() -> ClassMap:
    """red -> 0, green -> 1, black ignored (255): the colours ``fakes.colour_mask`` draws."""
    return ClassMap(["red", "green"], ["#FF0000", "#00FF00"], ignore_colours=["#000000"])
