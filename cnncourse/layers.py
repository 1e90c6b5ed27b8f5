"""Blocks shared by several architecture families.

Each block keeps torchvision's attribute layout so that torchvision's
``state_dict`` loads into the course's models with ``strict=True``.
"""
from __future__ import annotations

from collections.abc import Callable

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


def _inplace(activation: Callable[[], nn.Module]) -> nn.Module:
    """Build the activation in place when it supports it (saves one activation map)."""
    try:
        return activation(inplace=True)  # type: ignore[call-arg]
    except TypeError:
        return activation()
