"""A benchmark judges by the accuracy an experiment may take: OA, mIoU, F1 or one class's IoU."""

from __future__ import annotations

import pytest

from rssqa.benchmark.config import BenchmarkProtocol
from rssqa.errors import InputError


@pytest.mark.parametrize("target", ["oa", "miou", "f1", "iou:road"])
def test_every_experiment_target_is_a_benchmark_target(target):
    assert BenchmarkProtocol(target=target).target == target


def test_another_target_is_refused_naming_the_choices():
    with pytest.raises(InputError, match=r"target must be oa, miou, f1 or iou:<class>, got 'accuracy'"):
        BenchmarkProtocol(target="accuracy")
