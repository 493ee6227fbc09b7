"""Label-free accuracy estimators: agreement with the pool, ATC and DoC."""

import numpy as np
import pytest

from rssqa.assess.registry import create_assessor, load_assessor
from rssqa.errors import InputError
from rssqa.metrics import srocc


@pytest.mark.parametrize("name", ["agreement", "agreement-pairwise", "atc", "doc"])
def test_estimator_tracks_accuracy_and_survives_a_save(name, pool_inputs, tmp_path):
    train, test = pool_inputs(200, seed=1), pool_inputs(100, seed=2)
    assessor = create_assessor(name).fit(train)
    predicted = assessor.predict(test)
    assert predicted.shape == (100, 3)
    assert all(srocc(predicted[:, j], test.targets[:, j]) > 0.5 for j in range(3))
    assessor.save(tmp_path / name)
    np.testing.assert_allclose(load_assessor(tmp_path / name).predict(test), predicted)


def test_atc_threshold_matches_the_training_accuracy(pool_inputs):
    train = pool_inputs(300, seed=1)
    predicted = create_assessor("atc").fit(train).predict(train)
    # ATC chooses the threshold so that its mean estimate equals the mean training accuracy,
    # up to the 0.02-wide bins of the confidence histogram.
    np.testing.assert_allclose(predicted.mean(axis=0), train.targets.mean(axis=0), atol=0.03)


def test_a_store_without_pool_signals_is_told_to_rebuild(pool_inputs):
    train = pool_inputs(50, seed=1)
    train.signals = None
    with pytest.raises(InputError, match="rebuild the SQED store"):
        create_assessor("agreement").fit(train)
