"""Blocks shared by several architecture families.

Each block keeps torchvision's attribute layout so that torchvision's
``state_dict`` loads into the course's models with ``strict=True``.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


class ConvBNAct(nn.Sequential):
    """Convolution → BatchNorm → activation, the workhorse of every modern CNN.

    (B, in_channels, H, W) → (B, out_channels, ⌈H/stride⌉, ⌈W/stride⌉) with the
    default "same" padding ``(kernel_size - 1) // 2 * dilation``.

    The convolution has no bias: BatchNorm subtracts the per-channel mean right
    after it, which cancels any constant the bias would add, and BN's own shift
    (beta) plays the bias's role (Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167).
    Pass ``norm_layer=None`` for a conv with bias and no norm, ``activation=None``
    for a linear block (e.g. MobileNetV2's projection). Children are named ``0``,
    ``1``, ``2`` like torchvision's ``Conv2dNormActivation``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        *,
        groups: int = 1,
        dilation: int = 1,
        padding: int | None = None,
        norm_layer: Callable[[int], nn.Module] | None = nn.BatchNorm2d,
        activation: Callable[[], nn.Module] | None = nn.ReLU,
    ) -> None:
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups={groups} must divide both in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        layers: list[nn.Module] = [
            nn.Conv2d(
                in_channels, out_channels, kernel_size, stride, padding,
                dilation=dilation, groups=groups, bias=norm_layer is None,
            )
        ]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation is not None:
            layers.append(_inplace(activation))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation: reweight each channel by a gate computed from the whole map.

    Squeeze: global average pooling, (B, C, H, W) → (B, C, 1, 1). Excitation: C → C/r → C
    through two 1×1 convolutions (fully connected layers on the pooled vector) with an
    activation between and a sigmoid gate after. Scale: multiply the input by the gate.
    Hu et al. 2018, "Squeeze-and-Excitation Networks", https://arxiv.org/abs/1709.01507.
    Attribute names follow torchvision's ``SqueezeExcitation`` (``fc1``, ``fc2``).
    """

    def __init__(
        self,
        channels: int,
        squeeze_channels: int,
        *,
        activation: Callable[[], nn.Module] = nn.ReLU,
        gate: Callable[[], nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        if squeeze_channels < 1:
            raise ValueError(f"squeeze_channels must be positive; got {squeeze_channels}")
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1)
        self.activation = activation()
        self.scale_activation = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return x * weights


class StochasticDepth(nn.Module):
    """Randomly drop a residual branch during training; the identity at evaluation.

    Put it on the branch, before the addition: ``x + drop(branch(x))``. In training each
    sample's branch (``mode="row"``) or the whole batch's (``mode="batch"``) is zeroed with
    probability ``p`` and the survivors are scaled by ``1 / (1 - p)``, so the expected output
    equals the evaluation output. Huang et al. 2016, "Deep Networks with Stochastic Depth",
    https://arxiv.org/abs/1603.09382. Same semantics as ``torchvision.ops.StochasticDepth``.
    """

    def __init__(self, p: float, mode: str = "row") -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"drop probability p must be in [0, 1]; got {p}")
        if mode not in ("row", "batch"):
            raise ValueError(f"mode must be 'row' (per sample) or 'batch' (whole batch); got {mode!r}")
        self.p, self.mode = p, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        shape = (x.shape[0],) + (1,) * (x.dim() - 1) if self.mode == "row" else (1,) * x.dim()
        mask = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(keep)
        if keep > 0.0:
            mask.div_(keep)
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode!r}"


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of each pixel of a (B, C, H, W) map (ConvNeXt's norm).

    ``nn.LayerNorm(C)`` normalises the last dimension, so the map is moved to channels-last,
    normalised and moved back. Same as torchvision's ``convnext.LayerNorm2d``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)  # (B, H, W, C)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)  # (B, C, H, W)


class Permute(nn.Module):
    """Reorder a tensor's dimensions, e.g. ``Permute(0, 2, 3, 1)``: (B, C, H, W) → (B, H, W, C)."""

    def __init__(self, *dims: int) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(*self.dims)

    def extra_repr(self) -> str:
        return f"dims={self.dims}"


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to the nearest multiple of ``divisor``, but never more than 10% down.

    MobileNetV2 and EfficientNet scale widths by a real multiplier and then round, because
    hardware runs multiples of 8 channels fastest. Rounding to nearest can lose up to half a
    divisor; when that would cut more than 10% of ``value`` the next multiple up is used.
    This is the rule of the TensorFlow reference code and of torchvision (``_make_divisible``).
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _inplace(activation: Callable[[], nn.Module]) -> nn.Module:
    """Build the activation in place when it supports it (saves one activation map)."""
    try:
        return activation(inplace=True)  # type: ignore[call-arg]
    except TypeError:
        return activation()
