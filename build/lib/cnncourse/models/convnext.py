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
from dataclasses import dataclass, replace
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import LayerNorm2d, Permute, StochasticDepth
from ._registry import check_input, register

__all__ = ["ROADMAP", "ConvNeXt", "ConvNeXtBlock", "Design", "RoadmapBlock", "RoadmapNet", "convnext_base",
           "convnext_large", "convnext_small", "convnext_tiny", "roadmap"]


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


# ---- The roadmap: ResNet-50 → ConvNeXt-T, one design change at a time (the paper's §2 and Fig. 2) ----

@dataclass(frozen=True)
class Design:
    """Every choice the roadmap changes; the defaults are torchvision's ResNet-50."""

    depths: tuple[int, ...] = (3, 4, 6, 3)  # blocks per stage
    stem: str = "resnet"  # "resnet": 7×7/2 conv, norm, act, 3×3/2 max-pool; "patchify": 4×4/4 conv, norm
    width: int = 64  # stage-1 width: the bottleneck's inner width, or the inverted block's input/output width
    depthwise: bool = False  # the k×k convolution has one group per channel (ResNeXt-ify)
    inverted: bool = False  # thin → 4× wide → thin (instead of wide → thin → wide)
    depthwise_first: bool = False  # the k×k depthwise convolution moved up, before the 1×1 expansion
    kernel: int = 3
    activation: str = "relu"  # or "gelu"
    fewer_activations: bool = False  # one activation per block, between the two 1×1 convolutions
    fewer_norms: bool = False  # one norm per block, after its first convolution
    norm: str = "bn"  # or "ln" (then every convolution has a bias, as in ConvNeXt)
    separate_downsampling: bool = False  # norm + 2×2/2 conv between stages, norms after stem and pooling
    layer_scale: bool = False  # a learnable per-channel scale on the branch (the paper's training recipe)


def _roadmap() -> list[tuple[str, Design]]:
    changes: list[tuple[str, dict[str, object]]] = [
        ("ResNet-50", {}),
        ("stage ratio 3:3:9:3", dict(depths=(3, 3, 9, 3))),
        ("patchify stem 4×4, stride 4", dict(stem="patchify")),
        ("depthwise convolution", dict(depthwise=True)),
        ("width 64 → 96", dict(width=96)),
        ("inverted bottleneck", dict(inverted=True)),
        ("depthwise conv moved up", dict(depthwise_first=True)),
        ("kernel 3×3 → 7×7", dict(kernel=7)),
        ("ReLU → GELU", dict(activation="gelu")),
        ("fewer activations", dict(fewer_activations=True)),
        ("fewer norms", dict(fewer_norms=True)),
        ("BN → LN", dict(norm="ln")),
        ("separate downsampling layers", dict(separate_downsampling=True)),
        ("layer scale (= ConvNeXt-T)", dict(layer_scale=True)),
    ]
    steps, design = [], Design()
    for name, change in changes:
        design = replace(design, **change)  # type: ignore[arg-type]
        steps.append((name, design))
    return steps


ROADMAP: list[tuple[str, Design]] = _roadmap()


def _norm(design: Design, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if design.norm == "bn" else LayerNorm2d(channels, eps=1e-6)


def _act(design: Design) -> nn.Module:
    return nn.ReLU(inplace=True) if design.activation == "relu" else nn.GELU()


class RoadmapBlock(nn.Module):
    """A residual block at any step of the roadmap: three convolutions, their norms and activations
    as ``design`` says, a shortcut (projected when the shape changes), optionally a layer scale."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, design: Design) -> None:
        super().__init__()
        d, k = design, design.kernel
        if d.inverted and d.depthwise_first:
            hidden = 4 * out_channels
            convs = [(in_channels, in_channels, k, stride, in_channels), (in_channels, hidden, 1, 1, 1),
                     (hidden, out_channels, 1, 1, 1)]
        else:
            hidden = 4 * out_channels if d.inverted else out_channels // 4
            convs = [(in_channels, hidden, 1, 1, 1), (hidden, hidden, k, stride, hidden if d.depthwise else 1),
                     (hidden, out_channels, 1, 1, 1)]
        layers: list[nn.Module] = []
        for i, (c_in, c_out, kernel, s, groups) in enumerate(convs):
            layers.append(nn.Conv2d(c_in, c_out, kernel, s, kernel // 2, groups=groups, bias=d.norm == "ln"))
            if not d.fewer_norms or i == 0:
                layers.append(_norm(d, c_out))
            if i < 2 and (not d.fewer_activations or i == 1):
                layers.append(_act(d))
        self.branch = nn.Sequential(*layers)
        self.layer_scale = nn.Parameter(torch.full((out_channels, 1, 1), 1e-6)) if d.layer_scale else None
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=d.norm == "ln"), _norm(d, out_channels))
        self.act = nn.Identity() if d.fewer_activations else _act(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.branch(x)
        if self.layer_scale is not None:
            out = self.layer_scale * out
        return self.act(out + self.shortcut(x))


class RoadmapNet(nn.Module):
    """The network of one roadmap step: stem, four stages of :class:`RoadmapBlock`, pooled linear head."""

    def __init__(self, design: Design = Design(), *, num_classes: int = 1000) -> None:
        super().__init__()
        d, bias = design, design.norm == "ln"
        if d.stem == "resnet":
            self.stem = nn.Sequential(nn.Conv2d(3, d.width, 7, 2, 3, bias=bias), _norm(d, d.width), _act(d),
                                      nn.MaxPool2d(3, 2, 1))
        else:
            self.stem = nn.Sequential(nn.Conv2d(3, d.width, 4, 4, bias=bias), _norm(d, d.width))
        scale = 1 if d.inverted else 4  # a bottleneck's output is 4× its inner width
        channels, stages = d.width, []
        for i, depth in enumerate(d.depths):
            out = d.width * 2 ** i * scale
            blocks: list[nn.Module] = []
            if d.separate_downsampling and i > 0:
                blocks.append(nn.Sequential(_norm(d, channels), nn.Conv2d(channels, out, 2, 2, bias=bias)))
                channels = out
            for j in range(depth):
                stride = 2 if i > 0 and j == 0 and not d.separate_downsampling else 1
                blocks.append(RoadmapBlock(channels, out, stride, d))
                channels = out
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head_norm = _norm(d, channels) if d.separate_downsampling else nn.Identity()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, model="RoadmapNet", in_channels=3, min_size=32)
        x = F.adaptive_avg_pool2d(self.stages(self.stem(x)), 1)
        return self.fc(torch.flatten(self.head_norm(x), 1))


def roadmap() -> list[tuple[str, RoadmapNet]]:
    """One model per roadmap step, in order: (name of the change, network after it)."""
    return [(name, RoadmapNet(design)) for name, design in ROADMAP]
