"""VGG (Simonyan and Zisserman, 2015): depth from stacks of 3×3 convolutions.

Paper: "Very deep convolutional networks for large-scale image recognition", ICLR 2015 —
https://arxiv.org/abs/1409.1556

Every VGG is five stages of 3×3, stride-1, padding-1 convolutions (each followed by
ReLU, optionally preceded by BatchNorm as in torchvision's ``_bn`` models), each stage
ending in a 2×2 stride-2 max-pool, then three FC layers. The variants differ only in
how many convolutions each stage has — the columns of the paper's Table 1:

    stage widths       64  128  256  512  512
    VGG-11 (A)          1    1    2    2    2
    VGG-13 (B)          2    2    2    2    2
    VGG-16 (D)          2    2    3    3    3
    VGG-19 (E)          2    2    4    4    4

224×224×3 → 7×7×512 → 4096 → 4096 → 1000. Attribute names and the flat ``features``
layout follow torchvision, so ``torchvision.models.vgg16().state_dict()`` loads.
"""
from __future__ import annotations

import torch
from torch import nn

from ._registry import check_input, register

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]

WIDTHS = (64, 128, 256, 512, 512)
DEPTHS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


class VGG(nn.Module):
    """``features`` (five conv stages) → ``avgpool`` → ``classifier``.

    ``small_input=True`` is the course's CIFAR version: the five pools take 32×32 to 1×1,
    so the head is global average pooling and one linear layer instead of 7×7×512 → 4096 → 4096.
    ``width`` scales every stage's filters (VGG-11 with ``width=0.25``: 16-32-64-128-128).
    """

    def __init__(
        self,
        depths: tuple[int, ...],
        *,
        batch_norm: bool = False,
        num_classes: int = 1000,
        dropout: float = 0.5,
        small_input: bool = False,
        width: float = 1.0,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        widths = [max(1, round(c * width)) for c in WIDTHS]
        layers: list[nn.Module] = []
        c_in = in_channels
        for c_out, n_convs in zip(widths, depths):
            for _ in range(n_convs):
                layers.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(c_out))
                layers.append(nn.ReLU(inplace=True))
                c_in = c_out
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))  # halves H and W
        self.features = nn.Sequential(*layers)  # (B, widths[-1], H/32, W/32)
        if small_input:
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(nn.Linear(c_in, num_classes))
        else:
            hidden = max(1, round(4096 * width))
            self.avgpool = nn.AdaptiveAvgPool2d(7)
            self.classifier = nn.Sequential(
                nn.Linear(c_in * 7 * 7, hidden),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
                nn.Linear(hidden, hidden),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
                nn.Linear(hidden, num_classes),
            )
        self.in_channels = in_channels
        self.name = f"VGG-{sum(depths) + 3}{'-BN' if batch_norm else ''}"
        # torchvision's initialisation: He et al. 2015 (https://arxiv.org/abs/1502.01852) for
        # convolutions; the paper itself pre-trained the shallow net A to initialise the deeper ones.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, model=self.name, in_channels=self.in_channels, min_size=32,
                    hint="Its five 2×2 max-pools halve the image five times.")
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def _vgg(depth: int, batch_norm: bool, num_classes: int, variant: dict[str, object]) -> VGG:
    return VGG(DEPTHS[depth], batch_norm=batch_norm, num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def vgg11(*, num_classes: int = 1000, **variant: object) -> VGG:
    """VGG-11 (configuration A); ``variant``: ``dropout``, ``small_input``, ``width``, ``in_channels``."""
    return _vgg(11, False, num_classes, variant)


@register
def vgg11_bn(*, num_classes: int = 1000, **variant: object) -> VGG:
    """VGG-11 with BatchNorm after every convolution."""
    return _vgg(11, True, num_classes, variant)


@register
def vgg13(*, num_classes: int = 1000, **variant: object) -> VGG:
    """VGG-13 (configuration B)."""
    return _vgg(13, False, num_classes, variant)


@register
def vgg13_bn(*, num_classes: int = 1000, **variant: object) -> VGG:
    """VGG-13 with BatchNorm."""
    return _vgg(13, True, num_classes, variant)


@register
def vgg16(*, num_classes: int = 1000, **variant: object) -> VGG:
    """VGG-16 (configuration D): 138,357,544 parameters."""
    return _vgg(16, False, num_classes, variant)


@register
def vgg16_bn(*, num_classes: int = 1000, **variant: object) -> VGG:
    """VGG-16 with BatchNorm."""
    return _vgg(16, True, num_classes, variant)


@register
def vgg19(*, num_classes: int = 1000, **variant: object) -> VGG:
    """VGG-19 (configuration E): 143,667,240 parameters."""
    return _vgg(19, False, num_classes, variant)


@register
def vgg19_bn(*, num_classes: int = 1000, **variant: object) -> VGG:
    """VGG-19 with BatchNorm: 143,678,248 parameters."""
    return _vgg(19, True, num_classes, variant)
