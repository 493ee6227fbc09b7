"""Every method of the pool against the shared contract in ``method_tester``."""

from __future__ import annotations


from .method_tester import MethodTester


class TestBANet(MethodTester):
    method_name = "banet"


class TestABCNet(MethodTester):
    method_name = "abcnet"


class TestMANet(MethodTester):
    method_name = "manet"


class TestA2FPN(MethodTester):
    method_name = "a2fpn"


class TestUperNet(MethodTester):
    method_name = "upernet"


class TestUNetFormer(MethodTester):
    method_name = "unetformer"


class TestDCSwin(MethodTester):
    method_name = "dcswin"


class TestAerialFormer(MethodTester):
    method_name = "aerialformer"


class SMPMethodTester(MethodTester):
    # The segmentation-models-pytorch methods have a single size; a non-offline configuration is
    # another encoder.
    non_offline_overrides = {"encoder": "resnet18"}


class TestUNet(SMPMethodTester):
    method_name = "unet"


class TestFPN(SMPMethodTester):
    method_name = "fpn"


class TestDeepLabV3Plus(SMPMethodTester):
    method_name = "deeplabv3plus"
