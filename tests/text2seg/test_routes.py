"""Every Text2Seg route end to end through the pool member, on tiny random models."""

from __future__ import annotations

import numpy as np
import pytest

from rssqa.pool.member import PoolMember
from rssqa.text2seg import Text2SegMember
from tests.text2seg.conftest import CLASSMAP, PROMPTS

# Settings that let tiny random models produce masks at all (the real defaults filter them out).
EVERYTHING = {"points_per_side": 4, "pred_iou_thresh": 0.0, "stability_score_thresh": 0.0}
ROUTES = {
    "grounded-sam": ({"sam", "grounding_dino"}, {"box_threshold": 0.0, "text_threshold": 0.0}),
    "surgery-sam": ({"sam", "clip"}, {"points_per_class": 2}),
    "sam-clip": ({"sam", "clip"}, EVERYTHING),
    "sam": ({"sam", "clip"}, EVERYTHING),
    "superpixel-clip": ({"lit"}, {"n_segments": 12}),
    "superpixel-surgery": ({"lit"}, {"n_segments": 12, "points_per_class": 2}),
    "offline": ({"lit"}, {"n_segments": 12}),
}


def make_member(route, tiny_models, **kwargs):
    needs, options = ROUTES[route]
    models = {key: str(tiny_models[key]) for key in needs if key != "lit"}
    if "lit" in needs:
        models["clip"] = str(tiny_models["lit"])
    return Text2SegMember(classmap=CLASSMAP, prompts=PROMPTS, route=route, background="land",
                          options=options, **models, **kwargs)


@pytest.mark.parametrize("route", list(ROUTES))
def test_route_segments_end_to_end(route, tiny_models, images):
    member = make_member(route, tiny_models)
    assert isinstance(member, PoolMember)
    out = member.segment(images, None)
    n, height, width = images.shape[:3]
    assert out.masks.shape == (n, height, width) and out.masks.dtype == np.uint8
    assert out.probabilities.shape == (n, CLASSMAP.num_classes, height, width)
    np.testing.assert_allclose(out.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert out.features.shape == (n, CLASSMAP.num_classes)
    # only prompted classes and the background can be predicted
    allowed = {CLASSMAP.names.index(name) for name in [*PROMPTS, "land"]}
    assert set(np.unique(out.masks)) <= allowed
    # the mask is the argmax of the class-score map the feature pools
    np.testing.assert_array_equal(out.masks, out.probabilities.argmax(axis=1))
    # the route claimed pixels for some prompted class (not everything left to the background)
    prompted = [CLASSMAP.names.index(name) for name in PROMPTS]
    assert member.class_score_map(images[0])[prompted].max() > 0


@pytest.mark.parametrize("route", ["sam-clip", "offline", "surgery-sam", "grounded-sam"])
def test_route_is_deterministic_and_batch_independent(route, tiny_models, images):
    member = make_member(route, tiny_models)
    together = member.segment(images)
    again = make_member(route, tiny_models).segment(images)
    alone = member.segment(images[1:])
    np.testing.assert_array_equal(together.masks, again.masks)
    np.testing.assert_allclose(together.probabilities, again.probabilities, atol=1e-6)
    np.testing.assert_array_equal(together.masks[1:], alone.masks)


@pytest.mark.parametrize("route", ["offline", "superpixel-surgery", "grounded-sam", "surgery-sam"])
@pytest.mark.parametrize("shape", [(17, 23), (64, 64), (90, 37)])
def test_any_image_size(route, shape, tiny_models):
    image = np.random.default_rng(1).integers(0, 255, (1, *shape, 3)).astype(np.uint8)
    out = make_member(route, tiny_models).segment(image)
    assert out.masks.shape == (1, *shape)
    assert out.probabilities.shape == (1, CLASSMAP.num_classes, *shape)


def test_background_threshold_claims_unsure_pixels(tiny_models, images):
    member = make_member("offline", tiny_models, background_threshold=1.01)
    out = member.segment(images)
    assert np.all(out.masks == CLASSMAP.names.index("land"))


def test_everything_prompts_sam_with_a_grid_of_points_per_side(tiny_models, images, monkeypatch):
    from rssqa.text2seg.sam import Sam

    sam = Sam(tiny_models["sam"])
    seen = []
    original = sam.model.forward

    def counting_forward(*args, **kwargs):
        if kwargs.get("input_points") is not None:
            seen.append(kwargs["input_points"].shape[1])  # point prompts in this batch
        return original(*args, **kwargs)

    monkeypatch.setattr(sam.model, "forward", counting_forward)
    sam.everything(images[0], points_per_side=3, pred_iou_thresh=0.0, stability_score_thresh=0.0)
    assert sum(seen) == 9


def test_every_route_is_registered_under_its_own_name():
    from rssqa.text2seg.route import ROUTES

    assert ROUTES.names() == sorted(["grounded-sam", "surgery-sam", "sam-clip", "sam",
                                     "superpixel-clip", "superpixel-surgery", "offline"])
    assert all(ROUTES.get(name).name == name for name in ROUTES.names())


def test_fingerprint_follows_settings(tiny_models):
    base = make_member("offline", tiny_models)
    other = make_member("offline", tiny_models, background_threshold=0.5)
    assert base.meta["fingerprint"] != other.meta["fingerprint"]
    assert base.meta["fingerprint"] == make_member("offline", tiny_models).meta["fingerprint"]
    assert base.name == "text2seg-offline"


def test_pixels_no_mask_covers_go_to_the_background(tiny_models, images):
    member = make_member("offline", tiny_models)
    member.route.class_scores = lambda image: np.zeros((len(PROMPTS), *image.shape[:2]), np.float32)
    out = member.segment(images)
    assert np.all(out.masks == CLASSMAP.names.index("land"))


def test_vanilla_sam_gives_every_mask_the_image_level_class(tiny_models, images):
    member = make_member("sam", tiny_models)
    planes = member.route.class_scores(images[0])
    claimed = [k for k in range(len(PROMPTS)) if planes[k].max() > 0]
    assert len(claimed) == 1  # SAM found masks, and all of them took one class
