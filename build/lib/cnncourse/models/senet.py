"""Squeeze-and-excitation networks (Hu, Shen, Albanie, Sun and Wu, 2018).

Paper: "Squeeze-and-excitation networks", CVPR 2018 / TPAMI 2020 — https://arxiv.org/abs/1709.01507

An SE unit (``cnncourse.layers.SqueezeExcite``) squeezes a (B, C, H, W) map to one number per
channel by global average pooling, "excites" that vector through C → C/r → C fully connected
layers (ReLU between, sigmoid after) and scales each channel of the map by its gate. An
SE-ResNet is a ResNet with one SE unit in every residual block; these builders reuse the
course's ``BasicBlock`` and ``Bottleneck`` (``se_ratio``, ``se_position``), so nothing of
ResNet is copied here. The paper's design, ``se_position="standard"``, gates the residual
branch just before the sum; its Fig. 5 compares that with ``"pre"``, ``"post"`` and
``"identity"``, which the blocks also accept.

Each SE unit on C channels adds 2·C·C/r weights and C/r + C biases (the paper's 2C²/r,
which leaves the biases out). With r = 16 on ResNet-50 that is 2,530,992 parameters:
25,557,032 → 28,088,024, the paper's "~28.1 million" (its Table 2: SE-ResNet-50).
There is no torchvision counterpart; the count is checked against that figure in the tests.
"""
from __future__ import annotations

from ._registry import register
from .resnet import BasicBlock, Bottleneck, ResNet

__all__ = ["se_resnet18", "se_resnet34", "se_resnet50", "se_resnet101", "se_resnet152", "se_resnext50_32x4d"]

REDUCTION = 16  # the paper's default ratio r (its Table 10 compares 2 … 32)


def _se(variant: dict[str, object]) -> dict[str, object]:
    variant.setdefault("se_ratio", REDUCTION)
    return variant


@register
def se_resnet18(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """SE-ResNet-18: ResNet-18 plus an SE unit (r = 16) in each basic block."""
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes=num_classes, **_se(variant))  # type: ignore[arg-type]


@register
def se_resnet34(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """SE-ResNet-34: ResNet-34 plus an SE unit (r = 16) in each basic block."""
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes=num_classes, **_se(variant))  # type: ignore[arg-type]


@register
def se_resnet50(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """SE-ResNet-50: 28,088,024 parameters (the paper: ~28.1 M), ResNet-50's plus 2,530,992."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, **_se(variant))  # type: ignore[arg-type]


@register
def se_resnet101(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """SE-ResNet-101: ResNet-101 plus an SE unit (r = 16) in each bottleneck."""
    return ResNet(Bottleneck, (3, 4, 23, 3), num_classes=num_classes, **_se(variant))  # type: ignore[arg-type]


@register
def se_resnet152(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """SE-ResNet-152: ResNet-152 plus an SE unit (r = 16) in each bottleneck."""
    return ResNet(Bottleneck, (3, 8, 36, 3), num_classes=num_classes, **_se(variant))  # type: ignore[arg-type]


@register
def se_resnext50_32x4d(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """SE-ResNeXt-50 (32×4d): ResNeXt-50 plus an SE unit (r = 16) in each bottleneck."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, groups=32, width_per_group=4,  # type: ignore[arg-type]
                  **_se(variant))
