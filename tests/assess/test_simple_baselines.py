import dataclasses

import numpy as np
import pytest
from scipy.stats import spearmanr

from rssqa.assess import available_assessors, create_assessor, load_assessor
from rssqa.assess.baselines import ConfidenceAssessor, PriorAssessor, RandomAssessor
from rssqa.assess.paper_rssqa import RSSQAAssessor
from rssqa.errors import CheckpointError, InputError


def test_prior_predicts_each_methods_train_mean_for_every_tile(train_inputs, test_inputs):
    prior = PriorAssessor().fit(train_inputs)
    pred = prior.predict(test_inputs)
    train_means = train_inputs.targets.mean(axis=0)
    np.testing.assert_allclose(pred, np.tile(train_means, (len(test_inputs), 1)), rtol=1e-6)
    best_on_average = int(np.argmax(train_inputs.targets.mean(axis=0)))
    assert (pred.argmax(axis=1) == best_on_average).all()


def test_confidence_maxprob_ranks_each_methods_tiles_by_max_probability(train_inputs, test_inputs):
    pred = ConfidenceAssessor("maxprob").fit(train_inputs).predict(test_inputs)
    for column, method in enumerate(test_inputs.methods):
        maxprob = test_inputs.confidence[method][:, 0]
        assert spearmanr(pred[:, column], maxprob)[0] == pytest.approx(1.0)
    # The fitted map puts the score on the OA scale: maxprob is OA plus small noise here.
    assert np.sqrt(np.mean((pred - test_inputs.targets) ** 2)) < 0.03


def test_confidence_entropy_ranks_low_entropy_first(train_inputs, test_inputs):
    pred = create_assessor("confidence-entropy").fit(train_inputs).predict(test_inputs)
    for column, method in enumerate(test_inputs.methods):
        entropy = test_inputs.confidence[method][:, 1]
        assert spearmanr(pred[:, column], entropy)[0] == pytest.approx(-1.0)


def test_confidence_that_falls_with_oa_keeps_its_order_and_predicts_the_mean(train_inputs):
    flipped = dataclasses.replace(train_inputs, confidence={
        m: np.stack([1.5 - c[:, 0], c[:, 1]], axis=1) for m, c in train_inputs.confidence.items()})
    assessor = ConfidenceAssessor("maxprob").fit(flipped)
    pred = assessor.predict(flipped)
    assert spearmanr(pred[:, 0], flipped.confidence["unet"][:, 0])[0] == pytest.approx(1.0)
    np.testing.assert_allclose(pred.mean(axis=0), flipped.targets.mean(axis=0), atol=1e-4)
    assert pred.std(axis=0).max() < 1e-4


def test_random_is_uniform_and_deterministic_given_the_seed(test_inputs):
    first = RandomAssessor(seed=3).predict(test_inputs)
    assert first.shape == (len(test_inputs), 2) and ((first >= 0) & (first < 1)).all()
    np.testing.assert_array_equal(first, RandomAssessor(seed=3).predict(test_inputs))
    assert not np.array_equal(first, RandomAssessor(seed=4).predict(test_inputs))


@pytest.mark.parametrize("name", ["random", "prior", "confidence-maxprob", "confidence-entropy"])
def test_every_simple_baseline_round_trips_through_load_assessor(name, train_inputs, test_inputs,
                                                                 tmp_path):
    assessor = create_assessor(name).fit(train_inputs)
    assessor.save(tmp_path / name)
    loaded = load_assessor(tmp_path / name)
    assert type(loaded) is type(assessor) and loaded.name == name
    np.testing.assert_array_equal(loaded.predict(test_inputs), assessor.predict(test_inputs))


def test_registry_names_and_errors(tmp_path):
    assert {"rssqa", "random", "prior", "confidence-maxprob",
            "confidence-entropy"} <= set(available_assessors())
    assert create_assessor("random", seed=7).seed == 7
    with pytest.raises(KeyError, match="unknown assessor 'oracle'. use one of: .*prior"):
        create_assessor("oracle")
    with pytest.raises(CheckpointError, match="no saved assessor here"):
        load_assessor(tmp_path)


def test_fitted_baselines_refuse_unknown_methods_and_unfitted_use(train_inputs, test_inputs,
                                                                  tmp_path):
    prior = PriorAssessor().fit(train_inputs.subset(np.arange(10)))
    other = dataclasses.replace(test_inputs, methods=["segformer"])
    with pytest.raises(CheckpointError, match="no model for method.*segformer"):
        prior.predict(other)
    with pytest.raises(InputError, match="not fitted"):
        ConfidenceAssessor().predict(test_inputs)
    with pytest.raises(InputError, match="not fitted"):
        PriorAssessor().save(tmp_path / "prior")
    PriorAssessor().fit(train_inputs).save(tmp_path / "prior")
    with pytest.raises(CheckpointError, match="holds a 'prior' assessor, not 'rssqa'"):
        RSSQAAssessor.load(tmp_path / "prior")
