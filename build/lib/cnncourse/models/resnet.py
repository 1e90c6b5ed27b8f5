"""ResNet (He, Zhang, Ren and Sun, 2016) and its pre-activation, wide and ResNeXt relatives.

Papers: "Deep residual learning for image recognition", CVPR 2016 — https://arxiv.org/abs/1512.03385
"Identity mappings in deep residual networks", ECCV 2016 — https://arxiv.org/abs/1603.05027
"Wide residual networks", BMVC 2016 — https://arxiv.org/abs/1605.07146
"Aggregated residual transformations for deep neural networks" (ResNeXt), CVPR 2017 — https://arxiv.org/abs/1611.05431

A ResNet is a stem, a few stages of residual blocks and a global-average-pool head. The
ImageNet models are the rows of the ResNet paper's Table 1 (blocks per stage):

    ResNet-18   BasicBlock  2, 2, 2, 2        ResNet-101  Bottleneck  3, 4, 23, 3
    ResNet-34   BasicBlock  3, 4, 6, 3        ResNet-152  Bottleneck  3, 8, 36, 3
    ResNet-50   Bottleneck  3, 4, 6, 3

Stage ``i`` has ``widths[i]`` "planes" (64, 128, 256, 512); a Bottleneck expands them 4×.
Only the first block of a stage changes the stride (2, except in stage 1) or the width.
Like torchvision (its "V1.5"), a Bottleneck strides in its 3×3 convolution, not in the
first 1×1 as the paper did: that costs 4.09 instead of 3.8 GMACs and is more accurate.
Attribute names follow torchvision, so its ``state_dict`` loads with ``strict=True``.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..layers import SqueezeExcite, StochasticDepth
from ._registry import check_input, register

__all__ = [
    "BasicBlock", "Bottleneck", "PreActBlock", "ResNet", "preact_resnet18", "resnet18", "resnet20",
    "resnet34", "resnet50", "resnet56", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2",
]

SE_POSITIONS = ("standard", "pre", "post", "identity")


def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module | None:
    """The projection shortcut (option B of the paper): 1×1 conv + BN where the shape changes."""
    if stride == 1 and in_channels == out_channels:
        return None  # identity
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class _ResidualBlock(nn.Module):
    """What BasicBlock and Bottleneck share: the shortcut, the sum, and two optional extras.

    ``se_ratio=r`` adds a squeeze-and-excitation unit (C → C/r → C) at ``se_position``, one of
    the integration designs of the SE paper's Fig. 5: ``"standard"`` (on the residual branch,
    before the sum), ``"pre"`` (on the branch's input), ``"post"`` (after the sum and ReLU) or
    ``"identity"`` (on the shortcut, parallel to the branch). ``drop_path=p`` drops the whole
    residual branch of a training sample with probability p (stochastic depth). Neither adds
    anything to the module when left at its default, so torchvision's weights still load.
    """

    def _add_shortcut_and_extras(self, in_channels: int, out_channels: int, stride: int, *, residual: bool,
                                 se_ratio: int | None, se_position: str, drop_path: float) -> None:
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(in_channels, out_channels, stride) if residual else None
        self.residual = residual
        if se_position not in SE_POSITIONS:
            raise ValueError(f"se_position must be one of {SE_POSITIONS}; got {se_position!r}")
        if not residual and (se_position == "identity" or drop_path):
            raise ValueError("se_position='identity' and drop_path need the shortcut; use residual=True")
        self.se_position = se_position
        self.se: SqueezeExcite | None = None
        if se_ratio is not None:
            channels = in_channels if se_position == "pre" else out_channels
            self.se = SqueezeExcite(channels, max(1, channels // se_ratio))
        self.drop_path = StochasticDepth(drop_path) if drop_path else None

    def _se(self, x: torch.Tensor, position: str) -> torch.Tensor:
        return self.se(x) if self.se is not None and self.se_position == position else x

    def _merge(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Residual branch output ``out`` + shortcut of the block input ``x``, then ReLU."""
        out = self._se(out, "standard")
        if self.residual:
            if self.drop_path is not None:
                out = self.drop_path(out)
            shortcut = x if self.downsample is None else self.downsample(x)
            out = out + self._se(shortcut, "identity")
        return self._se(self.relu(out), "post")


class BasicBlock(_ResidualBlock):
    """Two 3×3 convolutions plus the shortcut: ``relu(bn2(conv2(relu(bn1(conv1 x)))) + x)``.

    (B, in_channels, H, W) → (B, channels, H/stride, W/stride). ``residual=False`` drops the
    shortcut, giving the "plain" network the paper compares against.
    """

    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int = 1, *, groups: int = 1,
                 width_per_group: int = 64, residual: bool = True, se_ratio: int | None = None,
                 se_position: str = "standard", drop_path: float = 0.0) -> None:
        super().__init__()
        if groups != 1 or width_per_group != 64:
            raise ValueError("BasicBlock supports only groups=1 and width_per_group=64; use Bottleneck")
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self._add_shortcut_and_extras(in_channels, channels, stride, residual=residual, se_ratio=se_ratio,
                                      se_position=se_position, drop_path=drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(self._se(x, "pre"))))
        return self._merge(x, self.bn2(self.conv2(out)))


class Bottleneck(_ResidualBlock):
    """1×1 reduce → 3×3 (strided, optionally grouped) → 1×1 expand ×4, plus the shortcut.

    (B, in_channels, H, W) → (B, 4·channels, H/stride, W/stride). The 3×3 convolution has
    ``channels · width_per_group/64 · groups`` filters in ``groups`` groups: ResNeXt-50 32×4d
    is ``groups=32, width_per_group=4``; Wide ResNet-50-2 is ``width_per_group=128``.
    """

    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1, *, groups: int = 1,
                 width_per_group: int = 64, residual: bool = True, se_ratio: int | None = None,
                 se_position: str = "standard", drop_path: float = 0.0) -> None:
        super().__init__()
        width = int(channels * width_per_group / 64) * groups
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self._add_shortcut_and_extras(in_channels, out_channels, stride, residual=residual, se_ratio=se_ratio,
                                      se_position=se_position, drop_path=drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(self._se(x, "pre"))))
        out = self.relu(self.bn2(self.conv2(out)))
        return self._merge(x, self.bn3(self.conv3(out)))


class PreActBlock(nn.Module):
    """The pre-activation basic block (He et al., "Identity mappings", 2016, Fig. 4e).

    ``conv2(relu(bn2(conv1(relu(bn1 x))))) + x``: BN and ReLU move before each convolution,
    so the shortcut path from block to block is a pure identity with nothing after the sum.
    """

    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int = 1, *, groups: int = 1,
                 width_per_group: int = 64, residual: bool = True) -> None:
        super().__init__()
        if groups != 1 or width_per_group != 64 or not residual:
            raise ValueError("PreActBlock supports only groups=1, width_per_group=64, residual=True")
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU(inplace=False)  # its input is still needed by the shortcut
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.downsample = (None if stride == 1 and in_channels == channels else
                           nn.Conv2d(in_channels, channels, 1, stride, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.relu(self.bn1(x))
        shortcut = x if self.downsample is None else self.downsample(pre)  # project the activated input
        out = self.conv2(self.relu(self.bn2(self.conv1(pre))))
        return out + shortcut


Block = type[BasicBlock] | type[Bottleneck] | type[PreActBlock]


class ResNet(nn.Module):
    """Stem → ``layer1`` … ``layerN`` (one per entry of ``depths``) → global average pool → ``fc``.

    ``small_input=True`` is the CIFAR stem of the paper's §4.2: one 3×3 stride-1 convolution
    and no max-pool, so a 32×32 image keeps its resolution in the first stage. ``se_ratio`` puts a
    squeeze-and-excitation unit in every block (SENet, see ``senet.py``); ``drop_path_rate`` is
    stochastic depth's p_L, the drop probability of the last block, with block l of L dropped
    with probability p_L · l / L (Huang et al. 2016, https://arxiv.org/abs/1603.09382).
    """

    def __init__(
        self,
        block: Block,
        depths: Sequence[int],
        *,
        widths: Sequence[int] = (64, 128, 256, 512),
        num_classes: int = 1000,
        small_input: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        residual: bool = True,
        zero_init_residual: bool = False,
        in_channels: int = 3,
        se_ratio: int | None = None,
        se_position: str = "standard",
        drop_path_rate: float = 0.0,
    ) -> None:
        super().__init__()
        if len(depths) != len(widths):
            raise ValueError(f"depths {tuple(depths)} and widths {tuple(widths)} need one entry per stage")
        if block is PreActBlock and (se_ratio is not None or drop_path_rate):
            raise ValueError("se_ratio and drop_path_rate are available for BasicBlock and Bottleneck only")
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError(f"drop_path_rate must be in [0, 1); got {drop_path_rate}")
        extras: dict[str, object] = {}
        if se_ratio is not None:
            extras.update(se_ratio=se_ratio, se_position=se_position)
        stem = widths[0]
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, stem, kernel_size=3, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, stem, kernel_size=7, stride=2, padding=3, bias=False)
        self.preact = block is PreActBlock
        # A pre-activation network starts its first block with BN-ReLU, so its stem is the conv alone.
        self.bn1 = nn.Identity() if self.preact else nn.BatchNorm2d(stem)
        self.relu = nn.Identity() if self.preact else nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        c_in, index, total = stem, 0, sum(depths)
        for i, (depth, width) in enumerate(zip(depths, widths)):
            blocks = []
            for j in range(depth):
                stride = 2 if i > 0 and j == 0 else 1
                index += 1
                if drop_path_rate:  # Huang et al.'s linear rule: block l of L is dropped with p_L · l / L
                    extras["drop_path"] = drop_path_rate * index / total
                blocks.append(block(c_in, width, stride, groups=groups, width_per_group=width_per_group,
                                    residual=residual, **extras))
                c_in = width * block.expansion
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
        self.num_stages = len(depths)
        # ... and ends with the BN-ReLU that no block applies after its last sum.
        self.final = nn.Sequential(nn.BatchNorm2d(c_in), nn.ReLU(inplace=True)) if self.preact else nn.Identity()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, num_classes)
        self.in_channels, self.small_input = in_channels, small_input
        self.num_features = c_in

        for m in self.modules():  # torchvision's initialisation (He et al. 2015, https://arxiv.org/abs/1502.01852)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:  # each block starts as the identity (Goyal et al. 2017, https://arxiv.org/abs/1706.02677)
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, num_features, H', W'): everything before the pooling head."""
        check_input(x, model="ResNet", in_channels=self.in_channels, min_size=1 if self.small_input else 32,
                    hint="" if self.small_input else "Its stem and stages shrink the image 32-fold; for "
                    "CIFAR-sized images build it with small_input=True.")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(1, self.num_stages + 1):
            x = getattr(self, f"layer{i}")(x)
        return self.final(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.avgpool(self.forward_features(x)), 1))


@register
def resnet18(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """ResNet-18: 11,689,512 parameters, 1.81 GMACs at 224×224."""
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def resnet34(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """ResNet-34: 21,797,672 parameters, 3.66 GMACs."""
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def resnet50(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """ResNet-50: 25,557,032 parameters, 4.09 GMACs (torchvision's V1.5 strides)."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def resnet101(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """ResNet-101: 44,549,160 parameters, 7.80 GMACs."""
    return ResNet(Bottleneck, (3, 4, 23, 3), num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def resnet152(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """ResNet-152: 60,192,808 parameters, 11.51 GMACs."""
    return ResNet(Bottleneck, (3, 8, 36, 3), num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def wide_resnet50_2(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """Wide ResNet-50-2: ResNet-50 with twice as wide 3×3 convolutions (68,883,240 parameters)."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, width_per_group=128, **variant)  # type: ignore[arg-type]


@register
def resnext50_32x4d(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """ResNeXt-50 (32×4d): 32 groups of 4 channels in each 3×3 convolution (25,028,904 parameters)."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, groups=32, width_per_group=4, **variant)  # type: ignore[arg-type]


@register
def resnet20(*, num_classes: int = 10, **variant: object) -> ResNet:
    """The paper's CIFAR ResNet-20 (§4.2): 3 stages of 3 basic blocks, 16-32-64 channels.

    The paper's shortcuts are parameter-free (option A, zero-padding); these use 1×1
    projections where the shape changes (option B), which adds two small convolutions.
    """
    return ResNet(BasicBlock, (3, 3, 3), widths=(16, 32, 64), num_classes=num_classes, small_input=True, **variant)  # type: ignore[arg-type]


@register
def resnet56(*, num_classes: int = 10, **variant: object) -> ResNet:
    """The paper's CIFAR ResNet-56: 3 stages of 9 basic blocks (6n + 2 layers with n = 9)."""
    return ResNet(BasicBlock, (9, 9, 9), widths=(16, 32, 64), num_classes=num_classes, small_input=True, **variant)  # type: ignore[arg-type]


@register
def preact_resnet18(*, num_classes: int = 1000, **variant: object) -> ResNet:
    """ResNet-18 built from pre-activation blocks (He et al., "Identity mappings", 2016)."""
    return ResNet(PreActBlock, (2, 2, 2, 2), num_classes=num_classes, **variant)  # type: ignore[arg-type]
