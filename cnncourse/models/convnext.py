"""ConvNeXt (Liu, Mao, Wu, Feichtenhofer, Darrell and Xie, 2022): a ResNet modernised step by step.

Paper: "A ConvNet for the 2020s", CVPR 2022 — https://arxiv.org/abs/2201.03545

Starting from ResNet-50, the paper adopts one design choice of vision transformers at a time
and keeps what helps: a "patchify" stem (4×4 convolution, stride 4), stage ratio 1:1:3:1,
depthwise convolutions with a wider network, the inverted bottleneck, a 7×7 depthwise kernel
moved to the top of the block, GELU, fewer activations and norms, LayerNorm instead of
BatchNorm, and separate 2×2 stride-2 downsampling layers between stages. The result:

    ConvNeXt-T  widths 96, 192, 384, 768    blocks 3, 3, 9, 3     drop path 0.1
    ConvNeXt-S  widths 96, 192, 384, 768    blocks 3, 3, 27, 3    drop path 0.4
    ConvNeXt-B  widths 128, 256, 512, 1024  blocks 3, 3, 27, 3    drop path 0.5
    ConvNeXt-L  widths 192, 384, 768, 1536  blocks 3, 3, 27, 3    drop path 0.5

Attribute names follow torchvision's ``convnext_*`` so its ``state_dict`` loads with ``strict=True``.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import torch
from torch import nn

from ..layers import LayerNorm2d, Permute, StochasticDepth
from ._registry import check_input, register

__all__ = ["ConvNeXt", "ConvNeXtBlock", "convnext_base", "convnext_large", "convnext_small", "convnext_tiny"]


class ConvNeXtBlock(nn.Module):
    """7×7 depthwise conv → LayerNorm → 1×1 expand ×4 → GELU → 1×1 project, scaled, plus the input.

    (B, C, H, W) → (B, C, H, W). The two 1×1 convolutions are ``nn.Linear`` layers applied to
    channels-last pixels (the same arithmetic). One norm and one activation per block, where a
    ResNet bottleneck has three of each. ``layer_scale`` multiplies the branch by a learnable
    per-channel factor that starts tiny (1e-6), so every block starts close to the identity
    (Touvron et al. 2021, https://arxiv.org/abs/2103.17239); ``drop_path`` is stochastic depth.
    """

    def __init__(self, channels: int, *, layer_scale: float = 1e-6, drop_path: float = 0.0,
                 expansion: int = 4, kernel_size: int = 7) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels),
            Permute(0, 2, 3, 1),  # (B, H, W, C)
            nn.LayerNorm(channels, eps=1e-6),
            nn.Linear(channels, expansion * channels),
            nn.GELU(),
            nn.Linear(expansion * channels, channels),
            Permute(0, 3, 1, 2),  # (B, C, H, W)
        )
        self.layer_scale = nn.Parameter(torch.full((channels, 1, 1), layer_scale))
        self.stochastic_depth = StochasticDepth(drop_path, "row")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.stochastic_depth(self.layer_scale * self.block(x))


class ConvNeXt(nn.Module):
    """Patchify stem, four stages of ConvNeXt blocks with LayerNorm + 2×2 stride-2 downsampling between, head.

    ``widths[i]`` channels and ``depths[i]`` blocks in stage ``i``. Stochastic depth grows
    linearly from 0 in the first block to ``drop_path_rate`` in the last (torchvision's rule).
    ``small_input=True`` (CIFAR) uses a 2×2 stride-2 stem instead of 4×4 stride 4, so a
    32×32 image reaches the last stage at 2×2 instead of 1×1.
    """

    def __init__(
        self,
        widths: Sequence[int] = (96, 192, 384, 768),
        depths: Sequence[int] = (3, 3, 9, 3),
        *,
        drop_path_rate: float = 0.0,
        layer_scale: float = 1e-6,
        num_classes: int = 1000,
        small_input: bool = False,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if len(widths) != len(depths):
            raise ValueError(f"widths and depths need one entry per stage; got {len(widths)} and {len(depths)}")
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError(f"drop_path_rate must be in [0, 1); got {drop_path_rate}")
        norm = partial(LayerNorm2d, eps=1e-6)
        patch = 2 if small_input else 4
        layers: list[nn.Module] = [nn.Sequential(  # patchify: non-overlapping patch×patch patches
            nn.Conv2d(in_channels, widths[0], kernel_size=patch, stride=patch), norm(widths[0]))]
        total, index = sum(depths), 0
        for i, (width, depth) in enumerate(zip(widths, depths)):
            blocks = []
            for _ in range(depth):
                rate = drop_path_rate * index / (total - 1) if total > 1 else 0.0
                blocks.append(ConvNeXtBlock(width, layer_scale=layer_scale, drop_path=rate))
                index += 1
            layers.append(nn.Sequential(*blocks))
            if i < len(widths) - 1:  # downsampling between stages
                layers.append(nn.Sequential(norm(width), nn.Conv2d(width, widths[i + 1], kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(norm(widths[-1]), nn.Flatten(1), nn.Linear(widths[-1], num_classes))
        self.num_features, self.in_channels, self.small_input = widths[-1], in_channels, small_input
        self.min_size = patch * 2 ** (len(widths) - 1)

        for m in self.modules():  # the paper's (and torchvision's) initialisation
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, num_features, H/32, W/32) (H/16 with ``small_input``)."""
        check_input(x, model="ConvNeXt", in_channels=self.in_channels, min_size=self.min_size,
                    hint="" if self.small_input else "For CIFAR-sized images build it with small_input=True.")
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.avgpool(self.forward_features(x)))


@register
def convnext_tiny(*, num_classes: int = 1000, **variant: object) -> ConvNeXt:
    """ConvNeXt-T: 28,589,128 parameters, 4.46 GMACs at 224×224."""
    variant.setdefault("drop_path_rate", 0.1)
    return ConvNeXt((96, 192, 384, 768), (3, 3, 9, 3), num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def convnext_small(*, num_classes: int = 1000, **variant: object) -> ConvNeXt:
    """ConvNeXt-S: 50,223,688 parameters."""
    variant.setdefault("drop_path_rate", 0.4)
    return ConvNeXt((96, 192, 384, 768), (3, 3, 27, 3), num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def convnext_base(*, num_classes: int = 1000, **variant: object) -> ConvNeXt:
    """ConvNeXt-B: 88,591,464 parameters, 15.36 GMACs at 224×224."""
    variant.setdefault("drop_path_rate", 0.5)
    return ConvNeXt((128, 256, 512, 1024), (3, 3, 27, 3), num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def convnext_large(*, num_classes: int = 1000, **variant: object) -> ConvNeXt:
    """ConvNeXt-L: 197,767,336 parameters."""
    variant.setdefault("drop_path_rate", 0.5)
    return ConvNeXt((192, 384, 768, 1536), (3, 3, 27, 3), num_classes=num_classes, **variant)  # type: ignore[arg-type]
