"""EfficientNet B0–B7 (Tan and Le, 2019): one baseline, scaled by a compound rule.

Paper: "EfficientNet: Rethinking model scaling for convolutional neural networks", ICML 2019 —
https://arxiv.org/abs/1905.11946

EfficientNet-B0 (the paper's Table 1, found by architecture search) is a stem, seven stages
of MBConv blocks and a 1×1 head. MBConv is MobileNetV2's inverted residual with a
squeeze-and-excitation unit after the depthwise convolution, SiLU ("swish") activations and
stochastic depth on the residual branch.

Compound scaling grows depth, width and resolution together: d = α^φ, w = β^φ, r = γ^φ with
α = 1.2, β = 1.1, γ = 1.15 chosen so that α·β²·γ² ≈ 2, hence FLOPs ∝ d·w²·r² ≈ 2^φ. The
released B1–B7 round these to the (width, depth, resolution) triples of ``SCALING`` below,
taken from the reference implementation (and torchvision); channels are rounded to multiples
of 8 and block counts up to integers. Attribute names follow torchvision's
``efficientnet_b0`` … ``efficientnet_b7`` so their ``state_dict`` loads with ``strict=True``.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import NamedTuple

import torch
from torch import nn

from ..layers import ConvBNAct, SqueezeExcite, StochasticDepth, make_divisible
from ._registry import check_input, register
from .mobilenet import _init_weights

__all__ = ["B0_STAGES", "SCALING", "EfficientNet", "MBConv", "compound_coefficients"] + [
    f"efficientnet_b{i}" for i in range(8)]


class Stage(NamedTuple):
    """One MBConv row of the EfficientNet paper's Table 1 (B0)."""

    expand_ratio: int  # "MBConv6" → 6
    kernel: int  # depthwise kernel size
    stride: int  # stride of the stage's first block
    channels: int  # output channels
    layers: int  # blocks in the stage


STEM_CHANNELS = 32
B0_STAGES: tuple[Stage, ...] = (  # Table 1, stages 2–8 (stage 1 is the stem, stage 9 the head)
    Stage(1, 3, 1, 16, 1), Stage(6, 3, 2, 24, 2), Stage(6, 5, 2, 40, 2), Stage(6, 3, 2, 80, 3),
    Stage(6, 5, 1, 112, 3), Stage(6, 5, 2, 192, 4), Stage(6, 3, 1, 320, 1),
)


class Scaling(NamedTuple):
    """How a released model scales B0: multipliers, input resolution, classifier dropout."""

    width: float
    depth: float
    resolution: int
    dropout: float


SCALING: dict[str, Scaling] = {
    "b0": Scaling(1.0, 1.0, 224, 0.2), "b1": Scaling(1.0, 1.1, 240, 0.2),
    "b2": Scaling(1.1, 1.2, 260, 0.3), "b3": Scaling(1.2, 1.4, 300, 0.3),
    "b4": Scaling(1.4, 1.8, 380, 0.4), "b5": Scaling(1.6, 2.2, 456, 0.4),
    "b6": Scaling(1.8, 2.6, 528, 0.5), "b7": Scaling(2.0, 3.1, 600, 0.5),
}


def compound_coefficients(phi: float, alpha: float = 1.2, beta: float = 1.1,
                          gamma: float = 1.15) -> tuple[float, float, float]:
    """The paper's compound rule (its Eq. 3): (depth, width, resolution) multipliers α^φ, β^φ, γ^φ."""
    return alpha ** phi, beta ** phi, gamma ** phi


class MBConv(nn.Module):
    """Expand 1×1 → depthwise k×k → squeeze-excite → project 1×1 (linear), plus a shortcut.

    (B, in_channels, H, W) → (B, out_channels, H/stride, W/stride). SiLU after the expansion
    and the depthwise conv; the SE unit squeezes to ``in_channels // 4`` (a quarter of the
    block's *input*, not of the expanded width). When stride is 1 and the widths agree the
    branch is added to the input, through stochastic depth with probability ``drop_path``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        expand_ratio: int,
        kernel_size: int = 3,
        *,
        drop_path: float = 0.0,
        norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2; got {stride}")
        hidden = make_divisible(in_channels * expand_ratio)
        layers: list[nn.Module] = []
        if hidden != in_channels:
            layers.append(ConvBNAct(in_channels, hidden, 1, norm_layer=norm_layer, activation=nn.SiLU))
        layers += [
            ConvBNAct(hidden, hidden, kernel_size, stride, groups=hidden, norm_layer=norm_layer,
                      activation=nn.SiLU),
            SqueezeExcite(hidden, max(1, in_channels // 4), activation=partial(nn.SiLU, inplace=True)),
            ConvBNAct(hidden, out_channels, 1, norm_layer=norm_layer, activation=None),  # linear projection
        ]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(drop_path, "row")
        self.use_res_connect = stride == 1 and in_channels == out_channels
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        if self.use_res_connect:
            out = self.stochastic_depth(out) + x
        return out


class EfficientNet(nn.Module):
    """Stem 3×3 (stride 2, SiLU), MBConv stages, 1×1 head conv to 4× the last width, pool, classifier.

    ``width_mult`` scales channels (rounded to multiples of 8), ``depth_mult`` scales each
    stage's block count (rounded up). ``drop_path_rate`` is stochastic depth's largest
    probability; block ``i`` of ``N`` (counted from 0) gets ``drop_path_rate · i / N``, as in
    torchvision. ``small_input=True`` (CIFAR) makes the stem and the first stride-2 stage
    stride 1, so a 32×32 image ends at 4×4.
    """

    def __init__(
        self,
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        *,
        stages: Sequence[Stage] = B0_STAGES,
        dropout: float = 0.2,
        drop_path_rate: float = 0.2,
        num_classes: int = 1000,
        norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
        small_input: bool = False,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if width_mult <= 0 or depth_mult <= 0:
            raise ValueError(f"width_mult and depth_mult must be positive; got {width_mult}, {depth_mult}")
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError(f"drop_path_rate must be in [0, 1); got {drop_path_rate}")
        repeats = [math.ceil(stage.layers * depth_mult) for stage in stages]
        total, index = sum(repeats), 0
        channels = make_divisible(STEM_CHANNELS * width_mult)
        features: list[nn.Module] = [
            ConvBNAct(in_channels, channels, 3, 1 if small_input else 2, norm_layer=norm_layer, activation=nn.SiLU)]
        first_downsample = True
        for stage, n in zip(stages, repeats):
            stride = stage.stride
            if small_input and stride == 2 and first_downsample:
                stride, first_downsample = 1, False
            out = make_divisible(stage.channels * width_mult)
            blocks = []
            for i in range(n):  # only the first block of a stage strides or changes width
                blocks.append(MBConv(channels, out, stride if i == 0 else 1, stage.expand_ratio, stage.kernel,
                                     drop_path=drop_path_rate * index / total, norm_layer=norm_layer))
                channels, index = out, index + 1
            features.append(nn.Sequential(*blocks))
        self.num_features = 4 * channels
        features.append(ConvBNAct(channels, self.num_features, 1, norm_layer=norm_layer, activation=nn.SiLU))
        self.features = nn.Sequential(*features)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout, inplace=True), nn.Linear(self.num_features, num_classes))
        self.in_channels, self.small_input = in_channels, small_input

        _init_weights(self, _uniform_by_outputs)  # torchvision's; only the linear layer differs from MobileNet's

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, num_features, H/32, W/32) (H/8 with ``small_input``)."""
        hint = "" if self.small_input else ("Its stem and stages shrink the image 32-fold; for CIFAR-sized "
                                            "images build it with small_input=True.")
        check_input(x, model="EfficientNet", in_channels=self.in_channels, min_size=1 if self.small_input else 32,
                    hint=hint)
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.forward_features(x)), 1))


def _uniform_by_outputs(linear: nn.Linear) -> None:
    bound = 1.0 / math.sqrt(linear.out_features)
    nn.init.uniform_(linear.weight, -bound, bound)


def _efficientnet(name: str, num_classes: int, variant: dict[str, object]) -> EfficientNet:
    scaling = SCALING[name]
    if name in ("b5", "b6", "b7"):  # torchvision builds these with TensorFlow's BatchNorm settings
        variant.setdefault("norm_layer", partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01))
    variant.setdefault("dropout", scaling.dropout)
    return EfficientNet(scaling.width, scaling.depth, num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def efficientnet_b0(*, num_classes: int = 1000, **variant: object) -> EfficientNet:
    """EfficientNet-B0 (224×224): 5,288,548 parameters."""
    return _efficientnet("b0", num_classes, variant)


@register
def efficientnet_b1(*, num_classes: int = 1000, **variant: object) -> EfficientNet:
    """EfficientNet-B1 (width 1.0, depth 1.1, 240×240): 7,794,184 parameters."""
    return _efficientnet("b1", num_classes, variant)


@register
def efficientnet_b2(*, num_classes: int = 1000, **variant: object) -> EfficientNet:
    """EfficientNet-B2 (width 1.1, depth 1.2, 260×260): 9,109,994 parameters."""
    return _efficientnet("b2", num_classes, variant)


@register
def efficientnet_b3(*, num_classes: int = 1000, **variant: object) -> EfficientNet:
    """EfficientNet-B3 (width 1.2, depth 1.4, 300×300): 12,233,232 parameters."""
    return _efficientnet("b3", num_classes, variant)


@register
def efficientnet_b4(*, num_classes: int = 1000, **variant: object) -> EfficientNet:
    """EfficientNet-B4 (width 1.4, depth 1.8, 380×380): 19,341,616 parameters."""
    return _efficientnet("b4", num_classes, variant)


@register
def efficientnet_b5(*, num_classes: int = 1000, **variant: object) -> EfficientNet:
    """EfficientNet-B5 (width 1.6, depth 2.2, 456×456): 30,389,784 parameters."""
    return _efficientnet("b5", num_classes, variant)


@register
def efficientnet_b6(*, num_classes: int = 1000, **variant: object) -> EfficientNet:
    """EfficientNet-B6 (width 1.8, depth 2.6, 528×528): 43,040,704 parameters."""
    return _efficientnet("b6", num_classes, variant)


@register
def efficientnet_b7(*, num_classes: int = 1000, **variant: object) -> EfficientNet:
    """EfficientNet-B7 (width 2.0, depth 3.1, 600×600): 66,347,960 parameters."""
    return _efficientnet("b7", num_classes, variant)
