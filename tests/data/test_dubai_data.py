"""The real Dubai data: the shared development copy (when present) and the embedded demo copy."""

from pathlib import Path

import numpy as np
import pytest

from rssqa.data import (DUBAI_CLASSES, DubaiSource, demo_data_root, demo_source, image_size,
                        read_image, read_mask)

SHARED_DUBAI = Path(__file__).resolve().parents[3] / "shared" / "data" / "dubai"


def _check_dubai(samples, max_side=None):
    assert len(samples) == 72
    assert sorted({s.group for s in samples}) == [f"tile{t}" for t in range(1, 9)]
    assert all(sum(s.group == g for s in samples) == 9 for g in {s.group for s in samples})
    seen = np.zeros(256, dtype=bool)
    for sample in samples:
        shape = image_size(sample.image_path)
        if max_side is not None:
            assert max(shape) <= max_side
            assert read_image(sample.image_path).shape == (*shape, 3)
        # read_mask raises on any colour the Dubai class map does not know
        mask = read_mask(sample.mask_path, DUBAI_CLASSES, expected_shape=shape)
        seen[np.unique(mask)] = True
    assert seen[: DUBAI_CLASSES.num_classes].all() and seen[DUBAI_CLASSES.ignore_index]


@pytest.mark.skipif(not SHARED_DUBAI.exists(), reason=f"shared Dubai data not found at {SHARED_DUBAI}")
def test_shared_dubai_copy_reads_completely():
    _check_dubai(DubaiSource(SHARED_DUBAI).samples())


def test_embedded_demo_data_is_complete_and_readable():
    root = demo_data_root()
    assert "CC0" in (root / "README.md").read_text()
    _check_dubai(demo_source().samples(), max_side=384)
