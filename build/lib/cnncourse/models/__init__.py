"""Every architecture of the course, one module per family, all in one registry."""
from ._registry import check_input, get_model, list_models, register
from .alexnet import AlexNet, alexnet, alexnet_paper, zfnet
from .convnext import ConvNeXt, ConvNeXtBlock, convnext_base, convnext_large, convnext_small, convnext_tiny
from .densenet import (
    DenseBlock, DenseLayer, DenseNet, Transition, densenet121, densenet161, densenet169, densenet201, densenet264,
)
from .efficientnet import (
    EfficientNet, MBConv, efficientnet_b0, efficientnet_b1, efficientnet_b2, efficientnet_b3, efficientnet_b4,
    efficientnet_b5, efficientnet_b6, efficientnet_b7,
)
from .googlenet import GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, googlenet
from .lenet import LeNet5, lenet5
from .mobilenet import DepthwiseSeparable, InvertedResidual, MobileNetV1, MobileNetV2, mobilenet_v1, mobilenet_v2
from .resnet import (
    BasicBlock, Bottleneck, PreActBlock, ResNet, preact_resnet18, resnet18, resnet20, resnet34, resnet50,
    resnet56, resnet101, resnet152, resnext50_32x4d, wide_resnet50_2,
)
from .resnext import EarlyConcatenation, SplitTransformMerge, early_concatenation, split_transform_merge
from .senet import se_resnet18, se_resnet34, se_resnet50, se_resnet101, se_resnet152, se_resnext50_32x4d
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from .vit import VisionTransformer, vit_b_16, vit_b_32

__all__ = [
    "AlexNet", "BasicBlock", "Bottleneck", "DenseBlock", "DenseLayer", "DenseNet", "Transition",
    "ConvNeXt", "ConvNeXtBlock", "convnext_base", "convnext_large", "convnext_small", "convnext_tiny",
    "DepthwiseSeparable", "EfficientNet", "InvertedResidual", "MBConv", "MobileNetV1", "MobileNetV2",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4",
    "efficientnet_b5", "efficientnet_b6", "efficientnet_b7", "mobilenet_v1", "mobilenet_v2",
    "densenet121", "densenet161", "densenet169", "densenet201", "densenet264", "GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "LeNet5", "PreActBlock", "ResNet", "VGG", "alexnet",
    "alexnet_paper", "check_input", "get_model", "googlenet", "lenet5", "list_models", "preact_resnet18", "register",
    "resnet18", "resnet20", "resnet34", "resnet50", "resnet56", "resnet101", "resnet152",
    "resnext50_32x4d", "EarlyConcatenation", "SplitTransformMerge", "early_concatenation", "split_transform_merge",
    "se_resnet18", "se_resnet34", "se_resnet50", "se_resnet101", "se_resnet152", "se_resnext50_32x4d", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
    "vgg19", "vgg19_bn", "VisionTransformer", "vit_b_16", "vit_b_32", "wide_resnet50_2", "zfnet",
]
