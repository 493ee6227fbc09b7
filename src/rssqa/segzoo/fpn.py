"""Feature Pyramid Network decoder (Kirillov et al. 2019), EfficientNet-Lite0 encoder; built by segmentation-models-pytorch."""

from functools import partial

import segmentation_models_pytorch as smp

from rssqa.segzoo._smp import SMP_CLASSIFIER, build_smp
from rssqa.segzoo.base import SegMethod, register_method

METHOD = register_method(SegMethod(
    name="fpn",
    build=partial(build_smp, smp.FPN),
    classifier=SMP_CLASSIFIER,
    description="Feature Pyramid Network decoder (Kirillov et al. 2019), EfficientNet-Lite0 encoder",
))
