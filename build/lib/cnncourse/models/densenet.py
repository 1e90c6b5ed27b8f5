"""DenseNet (Huang, Liu, van der Maaten and Weinberger, 2017).

Paper: "Densely connected convolutional networks", CVPR 2017 — https://arxiv.org/abs/1608.06993

Inside a dense block every layer reads the concatenation of the block's input and of all
earlier layers' outputs, and adds ``growth_rate`` (k) new channels: after ``n`` layers a
block that started with C channels has C + n·k. Each layer is the "DenseNet-B" bottleneck
BN-ReLU-1×1 conv (``bn_size``·k = 4k channels)-BN-ReLU-3×3 conv (k channels). Between
blocks a transition BN-ReLU-1×1 conv halves the channels (compression 0.5, "DenseNet-C")
and a 2×2 average pool halves the resolution. The ImageNet models (the paper's Table 1):

    DenseNet-121  k=32  6, 12, 24, 16      DenseNet-201  k=32  6, 12, 48, 32
    DenseNet-169  k=32  6, 12, 32, 32      DenseNet-264  k=32  6, 12, 64, 48
    DenseNet-161  k=48  6, 12, 36, 24  (stem width 96)

Attribute names follow torchvision, so its ``state_dict`` loads with ``strict=True``.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._registry import check_input, register

__all__ = ["DenseBlock", "DenseLayer", "DenseNet", "Transition", "densenet121", "densenet161", "densenet169",
           "densenet201", "densenet264"]


class DenseLayer(nn.Module):
    """BN-ReLU-1×1 conv-BN-ReLU-3×3 conv on the concatenation of all earlier feature maps.

    ``forward`` takes the list of maps so far, each (B, C_i, H, W), and returns only the
    ``growth_rate`` new channels (B, k, H, W); the block keeps the list.
    """

    def __init__(self, in_channels: int, growth_rate: int, bn_size: int = 4, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)
        self.drop_rate = drop_rate

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x = torch.cat(features, 1)  # the dense connection: every earlier map, side by side
        x = self.conv1(self.relu1(self.norm1(x)))
        x = self.conv2(self.relu2(self.norm2(x)))
        return F.dropout(x, p=self.drop_rate, training=self.training) if self.drop_rate > 0 else x


class DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers: (B, C, H, W) → (B, C + num_layers·growth_rate, H, W)."""

    def __init__(self, num_layers: int, in_channels: int, growth_rate: int, bn_size: int = 4,
                 drop_rate: float = 0.0) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}",
                            DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size, drop_rate))
        self.out_channels = in_channels + num_layers * growth_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    """BN-ReLU-1×1 conv (C → out_channels) then 2×2 average pool: (B, C, H, W) → (B, C', H/2, W/2)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(OrderedDict([
            ("norm", nn.BatchNorm2d(in_channels)),
            ("relu", nn.ReLU(inplace=True)),
            ("conv", nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)),
            ("pool", nn.AvgPool2d(kernel_size=2, stride=2)),
        ]))


class DenseNet(nn.Module):
    """Stem, dense blocks separated by transitions, BN-ReLU, global average pool, linear.

    ``small_input=True`` is the CIFAR version: a 3×3 stride-1 stem without the max-pool.
    ``compression`` is the fraction of channels a transition keeps (θ = 0.5 in the paper).
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config: Sequence[int] = (6, 12, 24, 16),
        num_init_features: int = 64,
        *,
        bn_size: int = 4,
        compression: float = 0.5,
        drop_rate: float = 0.0,
        num_classes: int = 1000,
        small_input: bool = False,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if not 0.0 < compression <= 1.0:
            raise ValueError(f"compression must be in (0, 1]; got {compression}")
        if small_input:
            stem: list[tuple[str, nn.Module]] = [
                ("conv0", nn.Conv2d(in_channels, num_init_features, kernel_size=3, padding=1, bias=False))]
        else:
            stem = [("conv0", nn.Conv2d(in_channels, num_init_features, kernel_size=7, stride=2, padding=3,
                                        bias=False))]
        stem += [("norm0", nn.BatchNorm2d(num_init_features)), ("relu0", nn.ReLU(inplace=True))]
        if not small_input:
            stem.append(("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)))
        self.features = nn.Sequential(OrderedDict(stem))
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            block = DenseBlock(num_layers, channels, growth_rate, bn_size, drop_rate)
            self.features.add_module(f"denseblock{i + 1}", block)
            channels = block.out_channels
            if i < len(block_config) - 1:
                out = int(channels * compression)
                self.features.add_module(f"transition{i + 1}", Transition(channels, out))
                channels = out
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.classifier = nn.Linear(channels, num_classes)
        self.num_features, self.in_channels, self.small_input = channels, in_channels, small_input
        # The smallest input that leaves the last transition's pool one pixel: 2^t after the stem
        # (t transitions), which the ImageNet stem's two stride-2 layers turn into 4·2^t − 3 (29 for t = 3).
        halvings = 2 ** (len(block_config) - 1)
        self.min_size = halvings if small_input else 4 * halvings - 3

        for m in self.modules():  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, num_features, H', W'), after the final BN-ReLU."""
        check_input(x, model="DenseNet", in_channels=self.in_channels, min_size=self.min_size,
                    hint="" if self.small_input else "For CIFAR-sized images build it with small_input=True.")
        return F.relu(self.features(x), inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.forward_features(x), 1), 1))


@register
def densenet121(*, num_classes: int = 1000, **variant: object) -> DenseNet:
    """DenseNet-121 (k=32; 6, 12, 24, 16 layers): 7,978,856 parameters."""
    return DenseNet(32, (6, 12, 24, 16), 64, num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def densenet161(*, num_classes: int = 1000, **variant: object) -> DenseNet:
    """DenseNet-161 (k=48, stem 96; 6, 12, 36, 24 layers): 28,681,000 parameters."""
    return DenseNet(48, (6, 12, 36, 24), 96, num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def densenet169(*, num_classes: int = 1000, **variant: object) -> DenseNet:
    """DenseNet-169 (k=32; 6, 12, 32, 32 layers): 14,149,480 parameters."""
    return DenseNet(32, (6, 12, 32, 32), 64, num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def densenet201(*, num_classes: int = 1000, **variant: object) -> DenseNet:
    """DenseNet-201 (k=32; 6, 12, 48, 32 layers): 20,013,928 parameters."""
    return DenseNet(32, (6, 12, 48, 32), 64, num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def densenet264(*, num_classes: int = 1000, **variant: object) -> DenseNet:
    """DenseNet-264 (k=32; 6, 12, 64, 48 layers), the paper's largest ImageNet model (no torchvision builder)."""
    return DenseNet(32, (6, 12, 64, 48), 64, num_classes=num_classes, **variant)  # type: ignore[arg-type]
