"""MobileNet v1 (Howard et al., 2017) and MobileNetV2 (Sandler et al., 2018).

Papers: "MobileNets: Efficient convolutional neural networks for mobile vision applications" —
https://arxiv.org/abs/1704.04861
"MobileNetV2: Inverted residuals and linear bottlenecks", CVPR 2018 — https://arxiv.org/abs/1801.04381

Both are built from the depthwise separable convolution: a k×k convolution with one filter
per channel (``groups=C``, spatial filtering only) followed by a 1×1 "pointwise" convolution
(channel mixing only). For M input and N output channels on a D×D map it costs
k²·M·D² + M·N·D² multiply-accumulates instead of the standard k²·M·N·D²: a fraction
1/N + 1/k² (about 1/8 to 1/9 for k = 3).

MobileNet v1 stacks 13 separable layers after a standard 3×3 stem (v1 paper, Table 1). Its
width multiplier α thins every layer (channels ``int(α·c)``, at least 8, as in the reference
TensorFlow code); the resolution multiplier ρ is simply a smaller input, 224·ρ pixels. Both
cut the cost by about α²ρ² (v1 paper, Tables 6 and 7).

MobileNetV2's block is the inverted residual: a 1×1 expansion by t, a 3×3 depthwise
convolution (ReLU6 after both) and a *linear* 1×1 projection back to a thin bottleneck,
with the shortcut between the thin ends (V2 paper, Fig. 3 and Table 2). Attribute names
follow torchvision's ``mobilenet_v2`` so its ``state_dict`` loads with ``strict=True``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import ConvBNAct, make_divisible
from ._registry import check_input, register

__all__ = ["DepthwiseSeparable", "InvertedResidual", "MobileNetV1", "MobileNetV2", "mobilenet_v1", "mobilenet_v2"]

# MobileNet v1 body (v1 paper, Table 1): (output channels, stride) of the 13 separable layers.
# The table prints stride 2 for the last depthwise layer, but its input and output are both
# 7×7; the reference code (and every reimplementation) uses stride 1 there, as we do.
V1_LAYERS: tuple[tuple[int, int], ...] = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)


class V2Row(NamedTuple):
    """One row of the MobileNetV2 paper's Table 2."""

    t: int  # expansion factor of the block's hidden layer
    c: int  # output channels (before the width multiplier)
    n: int  # blocks in the stage
    s: int  # stride of the stage's first block


V2_SETTING: tuple[V2Row, ...] = (  # the V2 paper's Table 2, bottleneck rows
    V2Row(1, 16, 1, 1), V2Row(6, 24, 2, 2), V2Row(6, 32, 3, 2), V2Row(6, 64, 4, 2),
    V2Row(6, 96, 3, 1), V2Row(6, 160, 3, 2), V2Row(6, 320, 1, 1),
)


def _min_size(small_input: bool) -> int:
    # Five stride-2 steps shrink the image 32-fold; small_input removes the first two (8-fold).
    return 1 if small_input else 32


def _input_hint(small_input: bool) -> str:
    return "" if small_input else ("Its stem and stages shrink the image 32-fold; for CIFAR-sized images "
                                   "build it with small_input=True.")


class DepthwiseSeparable(nn.Sequential):
    """Depthwise k×k conv-BN-ReLU, then pointwise 1×1 conv-BN-ReLU (v1 paper, Fig. 3 right).

    (B, in_channels, H, W) → (B, out_channels, H/stride, W/stride).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, kernel_size: int = 3) -> None:
        super().__init__()
        self.depthwise = ConvBNAct(in_channels, in_channels, kernel_size, stride, groups=in_channels)
        self.pointwise = ConvBNAct(in_channels, out_channels, 1)
        self.out_channels = out_channels


class MobileNetV1(nn.Module):
    """Standard 3×3 stem, 13 depthwise separable layers, global average pool, linear classifier.

    ``width_mult`` is the paper's α (1.0, 0.75, 0.5, 0.25). ``small_input=True`` (CIFAR) makes
    the stem and the first stride-2 separable layer stride 1, so a 32×32 image ends at 4×4.
    """

    def __init__(
        self,
        width_mult: float = 1.0,
        *,
        layers: Sequence[tuple[int, int]] = V1_LAYERS,
        num_classes: int = 1000,
        dropout: float = 0.0,
        small_input: bool = False,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if width_mult <= 0:
            raise ValueError(f"width_mult (α) must be positive; got {width_mult}")

        def width(c: int) -> int:
            return max(int(c * width_mult), 8)

        channels = width(32)
        body: list[nn.Module] = [ConvBNAct(in_channels, channels, 3, 1 if small_input else 2)]
        first_downsample = True
        for out, stride in layers:
            if small_input and stride == 2 and first_downsample:
                stride, first_downsample = 1, False
            body.append(DepthwiseSeparable(channels, width(out), stride))
            channels = width(out)
        self.features = nn.Sequential(*body)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels, num_classes))
        self.num_features, self.in_channels, self.small_input = channels, in_channels, small_input
        _init_weights(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, model="MobileNetV1", in_channels=self.in_channels, min_size=_min_size(self.small_input),
                    hint=_input_hint(self.small_input))
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.forward_features(x), 1), 1))


class InvertedResidual(nn.Module):
    """Expand 1×1 (×t, ReLU6) → depthwise 3×3 (ReLU6) → project 1×1 (linear, no activation).

    (B, in_channels, H, W) → (B, out_channels, H/stride, W/stride). The shortcut adds the input
    when the shapes allow it (stride 1, in_channels == out_channels). With t = 1 there is no
    expansion layer. The projection is linear because a ReLU on a thin bottleneck destroys
    information (V2 paper, §3.2).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2; got {stride}")
        hidden = int(round(in_channels * expand_ratio))
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(in_channels, hidden, 1, activation=nn.ReLU6))
        layers += [
            ConvBNAct(hidden, hidden, 3, stride, groups=hidden, activation=nn.ReLU6),
            nn.Conv2d(hidden, out_channels, 1, bias=False),  # the linear bottleneck
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)
        self.use_res_connect = stride == 1 and in_channels == out_channels
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """Stem 3×3 (32), inverted-residual stages from ``setting`` (Table 2), 1×1 conv to 1280, classifier.

    Channels are ``make_divisible(c · width_mult, 8)``; the last layer keeps at least 1280.
    ``small_input=True`` (CIFAR) makes the stem and the first stride-2 stage stride 1.
    """

    def __init__(
        self,
        width_mult: float = 1.0,
        *,
        setting: Sequence[V2Row] = V2_SETTING,
        num_classes: int = 1000,
        dropout: float = 0.2,
        small_input: bool = False,
        in_channels: int = 3,
        last_channels: int = 1280,
    ) -> None:
        super().__init__()
        if width_mult <= 0:
            raise ValueError(f"width_mult must be positive; got {width_mult}")
        channels = make_divisible(32 * width_mult)
        self.last_channel = make_divisible(last_channels * max(1.0, width_mult))
        body: list[nn.Module] = [
            ConvBNAct(in_channels, channels, 3, 1 if small_input else 2, activation=nn.ReLU6)]
        first_downsample = True
        for t, c, n, s in setting:
            if small_input and s == 2 and first_downsample:
                s, first_downsample = 1, False
            out = make_divisible(c * width_mult)
            for i in range(n):  # only the first block of a stage strides
                body.append(InvertedResidual(channels, out, s if i == 0 else 1, expand_ratio=t))
                channels = out
        body.append(ConvBNAct(channels, self.last_channel, 1, activation=nn.ReLU6))
        self.features = nn.Sequential(*body)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.last_channel, num_classes))
        self.in_channels, self.small_input = in_channels, small_input
        _init_weights(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, model="MobileNetV2", in_channels=self.in_channels, min_size=_min_size(self.small_input),
                    hint=_input_hint(self.small_input))
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.forward_features(x), 1), 1))


def _small_normal(linear: nn.Linear) -> None:
    nn.init.normal_(linear.weight, 0, 0.01)


def _init_weights(model: nn.Module, linear_init: Callable[[nn.Linear], None] = _small_normal) -> None:
    """torchvision's MobileNet and EfficientNet initialisation: He-normal (fan-out) convs, BN at identity,
    linear layers by ``linear_init`` (MobileNet: normal with std 0.01) with zero biases."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            linear_init(m)
            nn.init.zeros_(m.bias)


@register
def mobilenet_v1(*, num_classes: int = 1000, **variant: object) -> MobileNetV1:
    """1.0 MobileNet-224: 4,231,976 parameters, 568.7 M MACs at 224×224 (paper: 4.2 M, 569 M)."""
    return MobileNetV1(num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def mobilenet_v2(*, num_classes: int = 1000, **variant: object) -> MobileNetV2:
    """MobileNetV2 1.0: 3,504,872 parameters, 0.30 GMACs at 224×224 (= torchvision ``mobilenet_v2``)."""
    return MobileNetV2(num_classes=num_classes, **variant)  # type: ignore[arg-type]
