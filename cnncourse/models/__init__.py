"""Every architecture of the course, one module per family, all in one registry."""
from ._registry import check_input, get_model, list_models, register
from .alexnet import AlexNet, alexnet, alexnet_paper, zfnet
from .lenet import LeNet5, lenet5
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

__all__ = [
    "AlexNet", "LeNet5", "VGG", "alexnet", "alexnet_paper", "check_input", "get_model", "lenet5",
    "list_models", "register", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
    "vgg19", "vgg19_bn", "zfnet",
]
