"""DeepLabV3+ atrous spatial pyramid pooling decoder (Chen et al. 2018), EfficientNet-Lite0 encoder; built by segmentation-models-pytorch."""

from functools import partial

import segmentation_models_pytorch as smp

from rssqa.segzoo._smp import SMP_CLASSIFIER, build_smp
from rssqa.segzoo.base import SegMethod, register_method

METHOD = register_method(SegMethod(
    name="deeplabv3plus",
    build=partial(build_smp, smp.DeepLabV3Plus),
    classifier=SMP_CLASSIFIER,
    description="DeepLabV3+ atrous spatial pyramid pooling decoder (Chen et al. 2018), EfficientNet-Lite0 encoder",
))
