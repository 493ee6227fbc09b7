"""UperNet on a hybrid window/global-attention transformer, standing in for RSP-ViTAEv2-S.

Xiao, T., Liu, Y., Zhou, B., Jiang, Y., Sun, J. (2018). Unified perceptual parsing for scene
understanding. ECCV. Encoder as used in the pool: Wang, D., Zhang, J., Du, B., Xia, G.-S., Tao, D.
(2023). An empirical study of remote sensing pretraining. IEEE TGRS, 61, 1-20 (RSP-ViTAEv2-S).

The decoder is segmentation-models-pytorch's ``UPerNetDecoder`` (pyramid pooling on stage 4, FPN
over stages 1-3, fusion of all four at stride 4), then dropout and the 1x1 classifier; an FCN
auxiliary head on stage 3 supervises training, as in the mmsegmentation recipe the RSP paper used.

Departures: ViTAEv2 is not in timm and no RSP weights are obtainable offline. ``paper`` uses timm's
Twins-SVT-S, the closest timm backbone: the same 64/128/256/512 four-stage pyramid, window
(locally grouped) attention interleaved with global sub-sampled attention and convolutional
position encoding, as ViTAEv2 mixes window attention with convolution (24M vs 19M parameters);
512 decoder channels. ``cpu`` uses the offline ImageNet EfficientNet-Lite0 encoder with 64
decoder channels. The classifier reads the fused stride-4 map (decoder channels wide).
"""

from __future__ import annotations

from pathlib import Path

from segmentation_models_pytorch.decoders.upernet.decoder import UPerNetDecoder
from torch import nn

from rssqa.backbones.timm_pyramid import Encoder
from rssqa.segzoo.base import register_variants
from rssqa.segzoo.blocks import AuxHead, SegmentationModel

VARIANTS = {
    "paper": dict(encoder="twins_svt_small", decoder_channels=512, aux_channels=256),
    "cpu": dict(encoder="tf_efficientnet_lite0", decoder_channels=64, aux_channels=32),
}


class UperNet(SegmentationModel):
    def __init__(self, num_classes: int, encoder: str = "twins_svt_small", decoder_channels: int = 512,
                 aux_channels: int = 256, dropout: float = 0.1, pretrained: bool = False,
                 weights: str | Path | None = None):
        super().__init__()
        self.encoder = Encoder(encoder, pretrained=pretrained, weights=weights)
        channels = self.encoder.channels
        # smp's decoder expects the strides 1 and 2 ahead of strides 4..32 and skips them.
        self.decoder = UPerNetDecoder(encoder_channels=[0, 0, *channels], encoder_depth=5,
                                      decoder_channels=decoder_channels)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(decoder_channels, num_classes, 1)
        self.aux_head = AuxHead(channels[2], aux_channels, num_classes)

    def segment(self, x):
        features = self.encoder(x)
        fused = self.decoder([None, None, *features])
        logits = self.classifier(self.dropout(fused))
        return logits, ([self.aux_head(features[2])] if self.training else [])


register_variants(
    UperNet, VARIANTS,
    name="upernet",
    classifier="classifier",
    description="UperNet (PPM + FPN) on a transformer encoder (RSP-ViTAEv2-S; here Twins-SVT-S)",
    paper="Xiao et al., UperNet, ECCV 2018; encoder per Wang et al., RSP, IEEE TGRS 61 (2023)",
)
