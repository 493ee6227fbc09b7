"""What assessing a tile costs at inference: the semantic encoder, and each segmentation method.

The image-only fast mode (RS-SQA's semantic branch alone) recommends a method before any
segmentation runs: per tile it costs one encoder pass. The full model needs every method's
segmentation of the tile first. Inference time does not depend on the weights, so the pool's
architectures are timed untrained, built from the segmentation zoo by the store's method names.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import torch

from rssqa.backbones.pretrained import to_model_input


def _seconds_per_tile(run, images: np.ndarray, batch_size: int) -> float:
    run(images[:1])  # warm-up: first calls allocate
    start = time.perf_counter()
    for i in range(0, len(images), batch_size):
        run(images[i:i + batch_size])
    return (time.perf_counter() - start) / len(images)


@torch.inference_mode()
def inference_costs(images: np.ndarray, encoder: dict[str, Any] | None, methods: list[str],
                    num_classes: int, batch_size: int = 8) -> pd.DataFrame:
    """Milliseconds per tile of the encoder and of each method the segmentation zoo knows."""
    from rssqa.encoders.registry import create_encoder
    from rssqa.segzoo.base import available_methods, get_method

    rows = []
    if encoder is not None:
        model = create_encoder(encoder["name"], **encoder.get("kwargs", {}))
        rows.append({"stage": f"semantic encoder ({encoder['name']})",
                     "ms/tile": 1000 * _seconds_per_tile(model.encode, images, batch_size)})
    known = set(available_methods())
    for method in methods:
        if method not in known:
            continue
        network = get_method(method).create(num_classes=num_classes, pretrained=False).eval()
        rows.append({"stage": f"segmentation ({method})", "ms/tile": 1000 * _seconds_per_tile(
            lambda batch: network(to_model_input(batch)), images, batch_size)})
    return pd.DataFrame(rows, columns=["stage", "ms/tile"]).set_index("stage")
