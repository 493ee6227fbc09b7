"""The pieces behind the API: every method's mask, conformal intervals, the safe default's
verdict, the streamed body limit, the bounded queue, and safe display names."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import numpy as np
import pytest
from fastapi.testclient import TestClient

from rssqa.assess.conformal import SplitConformal, load_intervals, save_conformal
from rssqa.serve.app import create_app
from rssqa.serve.results import assessment_payload
from rssqa.serve.settings import ServeSettings
from rssqa.serve.upload import UploadError, decode_upload, display_name
from rssqa.serve.workers import BoundedWorkers
from tests.serve.conftest import image_bytes


def test_all_masks_keeps_every_method_and_the_pick_is_unchanged(experiment):
    pixels = decode_upload(image_bytes((80, 40), seed=1), 10**6)
    plain = experiment.recommender.assess(pixels, "x")
    full = experiment.recommender.assess(pixels, "x", all_masks=True)
    assert plain.method_labels is None and plain.recommended == full.recommended
    assert set(full.method_labels) == set(experiment.methods)
    assert all(mask.shape == (40, 80) for mask in full.method_labels.values())
    np.testing.assert_array_equal(full.method_labels[full.recommended], plain.labels)


def test_conformal_intervals_from_the_assessor_directory(experiment, tmp_path):
    methods = experiment.methods
    rng = np.random.default_rng(0)
    pred = rng.uniform(0.3, 0.8, (40, len(methods)))
    true = pred + rng.normal(0, [0.02, 0.1][:len(methods)], pred.shape)
    save_conformal(tmp_path, SplitConformal.calibrate(pred, true), methods)
    intervals, note = load_intervals(tmp_path, methods, 0.9)
    assert intervals.level == 0.9 and "calibrated on 40 tiles" in note and "per method" in note
    half = intervals.half_widths(np.full((1, len(methods)), 0.5))[0]
    assert half[0] < half[1]
    low, high = intervals.bounds(np.full((1, len(methods)), 0.5))
    assert low[0, 1] == pytest.approx(0.5 - half[1]) and high[0, 1] > 0.5

    served = experiment.with_intervals(intervals, note)
    pixels = decode_upload(image_bytes(), 10**6)
    result, seconds = served.assess(pixels, "x")
    rows = assessment_payload(served, result, pixels, seconds, images=False)["methods"]
    for row in rows:
        assert row["interval"][0] <= row["predicted_oa"] <= row["interval"][1]


def test_a_calibration_for_other_methods_is_not_used(tmp_path):
    save_conformal(tmp_path, SplitConformal.calibrate(np.zeros((20, 2)), np.ones((20, 2)) * .1),
                   ["a", "b"])
    intervals, note = load_intervals(tmp_path, ["a", "c"], 0.9)
    assert intervals is None and "not this pool's" in note


def test_safe_default_verdict_in_the_payload(experiment):
    pixels = decode_upload(image_bytes(), 10**6)
    result, seconds = experiment.assess(pixels, "x")
    other = next(m for m in experiment.methods if m != result.recommended)
    kept = dataclasses.replace(result, default=result.recommended)
    replaced = dataclasses.replace(result, default=other)
    body = assessment_payload(experiment, kept, pixels, seconds, images=False)
    assert body["kept_default"] is True and body["predicted_gain"] == pytest.approx(0)
    body = assessment_payload(experiment, replaced, pixels, seconds, images=False)
    assert body["kept_default"] is False and body["predicted_gain"] > 0
    assert [row["method"] for row in body["methods"] if row["default"]] == [other]


def test_a_chunked_body_is_cut_off_at_the_limit(experiment):
    app = create_app(experiment, ServeSettings(max_bytes=50_000))
    boundary = "xyz"

    def chunks():  # no Content-Length: the body arrives in pieces
        yield f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n".encode()
        for _ in range(20):
            yield b"0" * 10_000
        yield f"\r\n--{boundary}--\r\n".encode()

    with TestClient(app) as client:
        response = client.post("/api/assess", content=chunks(),
                               headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_the_queue_is_bounded():
    workers = BoundedWorkers(workers=1, max_queue=1)
    release = threading.Event()

    async def scenario():
        running = [asyncio.ensure_future(workers.run(release.wait, 5)) for _ in range(2)]
        await asyncio.sleep(0.1)
        with pytest.raises(UploadError) as refused:
            await workers.run(lambda: None)
        release.set()
        await asyncio.gather(*running)
        return refused.value

    refused = asyncio.run(scenario())
    assert refused.status == 429 and "busy" in refused.message
    assert workers.pending == 0
    workers.shutdown()


@pytest.mark.parametrize("given, shown", [("../../etc/passwd", "passwd"), (r"C:\\x\\my scene.tif", "my_scene"),
                                          (None, "image"), ("...", "image"), ("<i>x.png", "i_x")])
def test_display_names_are_labels_not_paths(given, shown):
    assert display_name(given) == shown
