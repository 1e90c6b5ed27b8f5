"""Every model with a torchvision counterpart: parameters and MACs agree with torchvision's published metadata.

``weights.meta`` is part of torchvision's code (nothing is downloaded): ``num_params`` and
``_ops``, the GMACs of one 224×224 image ("GFLOPS" in torchvision's tables).
"""
from __future__ import annotations

import pytest
import torchvision.models as tv

from cnncourse import costs, models
from cnncourse.reference import num_params

WEIGHTS = {
    "alexnet": tv.AlexNet_Weights.IMAGENET1K_V1,
    "vgg16": tv.VGG16_Weights.IMAGENET1K_V1,
    "vgg19_bn": tv.VGG19_BN_Weights.IMAGENET1K_V1,
    "googlenet": tv.GoogLeNet_Weights.IMAGENET1K_V1,
    "densenet121": tv.DenseNet121_Weights.IMAGENET1K_V1,
    "densenet161": tv.DenseNet161_Weights.IMAGENET1K_V1,
    "densenet169": tv.DenseNet169_Weights.IMAGENET1K_V1,
    "densenet201": tv.DenseNet201_Weights.IMAGENET1K_V1,
    "resnet18": tv.ResNet18_Weights.IMAGENET1K_V1,
    "resnet34": tv.ResNet34_Weights.IMAGENET1K_V1,
    "resnet50": tv.ResNet50_Weights.IMAGENET1K_V2,
    "resnet101": tv.ResNet101_Weights.IMAGENET1K_V2,
    "resnet152": tv.ResNet152_Weights.IMAGENET1K_V2,
    "wide_resnet50_2": tv.Wide_ResNet50_2_Weights.IMAGENET1K_V2,
    "resnext50_32x4d": tv.ResNeXt50_32X4D_Weights.IMAGENET1K_V2,
}


@pytest.mark.parametrize("name", sorted(WEIGHTS))
def test_params_and_macs_match_torchvision_metadata(name: str) -> None:
    meta = WEIGHTS[name].meta
    model = models.get_model(name)
    assert num_params(model) == meta["num_params"]
    gmacs = costs.count(model, (1, 3, 224, 224)).macs / 1e9
    assert abs(gmacs - meta["_ops"]) / meta["_ops"] < 0.005, (gmacs, meta["_ops"])
