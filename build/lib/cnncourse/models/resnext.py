"""The three equivalent forms of a ResNeXt block (Xie et al. 2017, Fig. 3).

Paper: "Aggregated residual transformations for deep neural networks", CVPR 2017 —
https://arxiv.org/abs/1611.05431

A ResNeXt bottleneck with cardinality C and bottleneck width d can be written three ways:

(a) split-transform-merge: C separate paths, each 1×1 (→ d) → 3×3 (d → d) → 1×1 (d → out),
    whose outputs are summed;
(b) early concatenation: the same C paths stop after their 3×3; their outputs are
    concatenated (C·d channels) and one 1×1 convolution maps them to ``out``;
(c) grouped convolution: one 1×1 (→ C·d), one 3×3 with ``groups=C``, one 1×1 (→ out) —
    the course's ``Bottleneck(groups=C, width_per_group=...)``, which is what torchvision
    and every fast implementation use.

(a) = (b) because a sum of 1×1 convolutions of separate inputs is one 1×1 convolution of
their concatenation; (b) = (c) because a grouped convolution is separate convolutions on
slices of the channels. BatchNorm is per channel, so it slices the same way (in training
mode too). ``split_transform_merge`` and ``early_concatenation`` build (a) and (b) from a
grouped block (c), copying its weights, so the three can be run side by side.
"""
from __future__ import annotations

import torch
from torch import nn

from .resnet import Bottleneck, _shortcut

__all__ = ["EarlyConcatenation", "SplitTransformMerge", "early_concatenation", "split_transform_merge"]


def _path(in_channels: int, d: int, stride: int) -> nn.Sequential:
    """1×1 (→ d) → BN → ReLU → 3×3 (d → d, strided) → BN → ReLU: one path up to its 3×3."""
    return nn.Sequential(
        nn.Conv2d(in_channels, d, 1, bias=False), nn.BatchNorm2d(d), nn.ReLU(inplace=True),
        nn.Conv2d(d, d, 3, stride, padding=1, bias=False), nn.BatchNorm2d(d), nn.ReLU(inplace=True),
    )


class _Forms(nn.Module):
    """The parts (a) and (b) share: ``cardinality`` paths, a BN after the merge, the shortcut."""

    def __init__(self, in_channels: int, out_channels: int, cardinality: int, d: int, stride: int) -> None:
        super().__init__()
        self.paths = nn.ModuleList(_path(in_channels, d, stride) for _ in range(cardinality))
        self.bn = nn.BatchNorm2d(out_channels)
        self.downsample = _shortcut(in_channels, out_channels, stride)  # the grouped block's own shortcut
        self.relu = nn.ReLU(inplace=True)

    def merge(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn(self.merge(x)) + shortcut)


class SplitTransformMerge(_Forms):
    """Form (a): each path ends with its own 1×1 convolution (d → out); the outputs are summed."""

    def __init__(self, in_channels: int, out_channels: int, cardinality: int = 32, d: int = 4, stride: int = 1) -> None:
        super().__init__(in_channels, out_channels, cardinality, d, stride)
        self.expand = nn.ModuleList(nn.Conv2d(d, out_channels, 1, bias=False) for _ in range(cardinality))

    def merge(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([expand(path(x)) for path, expand in zip(self.paths, self.expand)]).sum(0)


class EarlyConcatenation(_Forms):
    """Form (b): the paths' 3×3 outputs are concatenated, then one 1×1 convolution (C·d → out)."""

    def __init__(self, in_channels: int, out_channels: int, cardinality: int = 32, d: int = 4, stride: int = 1) -> None:
        super().__init__(in_channels, out_channels, cardinality, d, stride)
        self.expand = nn.Conv2d(cardinality * d, out_channels, 1, bias=False)

    def merge(self, x: torch.Tensor) -> torch.Tensor:
        return self.expand(torch.cat([path(x) for path in self.paths], dim=1))


def _copy_paths(form: _Forms, block: Bottleneck, d: int) -> None:
    """Give each path of ``form`` its slice of the grouped block's 1×1, 3×3 and BNs (and the rest)."""
    for g, path in enumerate(form.paths):
        rows = slice(g * d, (g + 1) * d)
        path[0].weight.data.copy_(block.conv1.weight[rows])
        path[3].weight.data.copy_(block.conv2.weight[rows])  # a grouped weight is (C·d, d, 3, 3): group g's rows
        for bn, grouped_bn in ((path[1], block.bn1), (path[4], block.bn2)):
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(bn, name).data.copy_(getattr(grouped_bn, name)[rows])
    form.bn.load_state_dict(block.bn3.state_dict())
    if block.downsample is not None:
        form.downsample.load_state_dict(block.downsample.state_dict())


def _check(block: Bottleneck) -> tuple[int, int, int, int, int]:
    if not isinstance(block, Bottleneck) or block.se is not None:
        raise TypeError("expected a cnncourse Bottleneck without SE, e.g. Bottleneck(256, 64, groups=32, width_per_group=4)")
    cardinality = block.conv2.groups
    d = block.conv2.out_channels // cardinality
    return block.conv1.in_channels, block.conv3.out_channels, cardinality, d, block.conv2.stride[0]


def split_transform_merge(block: Bottleneck) -> SplitTransformMerge:
    """Form (a) computing exactly what the grouped ``block`` (form (c)) computes."""
    in_channels, out_channels, cardinality, d, stride = _check(block)
    form = SplitTransformMerge(in_channels, out_channels, cardinality, d, stride)
    _copy_paths(form, block, d)
    for g, expand in enumerate(form.expand):  # path g's 1×1 reads columns g·d … (g+1)·d of conv3
        expand.weight.data.copy_(block.conv3.weight[:, g * d:(g + 1) * d])
    return form.train(block.training)


def early_concatenation(block: Bottleneck) -> EarlyConcatenation:
    """Form (b) computing exactly what the grouped ``block`` (form (c)) computes."""
    in_channels, out_channels, cardinality, d, stride = _check(block)
    form = EarlyConcatenation(in_channels, out_channels, cardinality, d, stride)
    _copy_paths(form, block, d)
    form.expand.weight.data.copy_(block.conv3.weight)
    return form.train(block.training)
