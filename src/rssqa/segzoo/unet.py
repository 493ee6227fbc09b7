"""U-Net decoder with skip connections (Ronneberger et al. 2015), EfficientNet-Lite0 encoder; built by segmentation-models-pytorch."""

from functools import partial

import segmentation_models_pytorch as smp

from rssqa.segzoo._smp import SMP_CLASSIFIER, build_smp
from rssqa.segzoo.base import SegMethod, register_method

METHOD = register_method(SegMethod(
    name="unet",
    build=partial(build_smp, smp.Unet),
    classifier=SMP_CLASSIFIER,
    # A narrower decoder than smp's (256, 128, 64, 32, 16): the full-resolution stages dominate
    # CPU time, and the pool needs models that train in minutes on two cores.
    defaults={"decoder_channels": (128, 64, 48, 32, 16)},
    description="U-Net decoder with skip connections (Ronneberger et al. 2015), EfficientNet-Lite0 encoder",
))
