"""The pieces the routes share: painting masks by score, feature surgery, point sampling,
region proposals and region means."""

from __future__ import annotations

import numpy as np
import torch

from rssqa.text2seg.regions import propose_regions, region_masks
from rssqa.text2seg.scores import mask_crops, paint_masks, region_means
from rssqa.text2seg.surgery import normalised_maps, sample_points, surgery_maps


def test_overlapping_masks_are_resolved_by_score():
    masks = np.zeros((3, 4, 4), bool)
    masks[0, :, :3] = True   # class 0, score 0.6
    masks[1, :, 1:] = True   # class 1, score 0.9: wins the overlap
    masks[2, :2, :] = True   # class 0 again, score 0.3: never beats its own 0.6
    planes = paint_masks(masks, [0, 1, 0], [0.6, 0.9, 0.3], num_prompts=2)
    winner = planes.argmax(axis=0)
    assert (winner[:, 0] == 0).all() and (winner[:, 1:] == 1).all()
    assert planes[0, 0, 0] == np.float32(0.6) and planes[0, 0, 3] == np.float32(0.3)


def test_surgery_removes_what_every_prompt_shares():
    patches = torch.nn.functional.normalize(torch.randn(8, 3, 3), dim=0)
    prompts = torch.nn.functional.normalize(torch.randn(4, 8), dim=1)
    maps = surgery_maps(patches, prompts)
    torch.testing.assert_close(maps.sum(dim=0), torch.zeros(3, 3), atol=1e-5, rtol=0)
    # adding a direction shared by every prompt changes nothing after surgery
    shifted = surgery_maps(patches, prompts + torch.randn(1, 8))
    raw = torch.einsum("dhw,kd->khw", patches, prompts)
    assert not torch.allclose(raw - raw.mean(0), raw)
    torch.testing.assert_close(shifted, maps, atol=1e-5, rtol=0)


def test_points_are_the_highest_and_lowest_pixels():
    maps = np.zeros((1, 3, 4), np.float32)
    maps[0, 2, 1], maps[0, 0, 3] = 1.0, -1.0
    points, labels = sample_points(normalised_maps(torch.from_numpy(maps), (3, 4)), count=1)
    assert points[0].tolist() == [[1, 2], [3, 0]] and labels[0].tolist() == [1, 0]


def test_regions_cover_the_image_and_scale_with_its_area():
    image = np.random.default_rng(0).integers(0, 255, (64, 96, 3)).astype(np.uint8)
    for method in ("slic", "felzenszwalb"):
        labels = propose_regions(image, method=method, n_segments=64)
        assert labels.shape == (64, 96) and labels.min() == 0
        assert np.array_equal(np.unique(labels), np.arange(labels.max() + 1))
    assert region_masks(labels).sum(axis=0).tolist() == np.ones((64, 96), int).tolist()


def test_region_means_and_mask_crops():
    labels = np.array([[0, 0, 1], [0, 1, 1]])
    planes = np.array([[[1, 3, 0], [2, 4, 8]]], np.float32)
    np.testing.assert_allclose(region_means(planes, labels), [[2.0], [4.0]])
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    crop = mask_crops(image, region_masks(labels), margin=0)[1]
    assert crop.shape == (2, 2, 3)  # the bounding box of region 1
    np.testing.assert_array_equal(crop[0, 1], image[0, 2])
