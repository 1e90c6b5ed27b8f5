"""GoogLeNet / Inception v1 (Szegedy et al., 2015).

Paper: "Going deeper with convolutions", CVPR 2015 — https://arxiv.org/abs/1409.4842

An Inception module runs four branches side by side on the same input and concatenates
their outputs along the channels: a 1×1 convolution; a 1×1 reduction then a 3×3; a 1×1
reduction then a 5×5; a 3×3 max-pool then a 1×1 projection. The cheap 1×1 reductions are
what make the 3×3 and 5×5 branches affordable. The network is a stem, nine modules in
three stages separated by max-pools, global average pooling and one linear layer, with two
optional auxiliary classifiers used only in training.

Where this follows torchvision (so its ``state_dict`` loads) rather than the 2014 paper:
every convolution is followed by BatchNorm (eps 1e-3), which the paper predates; the stem
has no local response normalisation; and the "5×5" branch uses a 3×3 kernel — a slip in
the original port that torchvision kept for its pretrained weights (pytorch/vision#906).
``kernel_5x5=5`` gives the paper's kernel.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ._registry import check_input, register

__all__ = ["BasicConv2d", "GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "googlenet"]


class BasicConv2d(nn.Module):
    """Conv (no bias) → BatchNorm → ReLU with torchvision's names ``conv`` and ``bn``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """Four parallel branches concatenated: (B, C_in, H, W) → (B, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).

    Arguments in the column order of the paper's Table 1.
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int, *, kernel_5x5: int = 3) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, 1), BasicConv2d(ch3x3red, ch3x3, 3, padding=1))
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, 1),
            BasicConv2d(ch5x5red, ch5x5, kernel_5x5, padding=kernel_5x5 // 2),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, 1),
        )
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class InceptionAux(nn.Module):
    """Auxiliary classifier on a 14×14 map: pool to 4×4 → 1×1 conv (128) → FC 1024 → dropout → FC."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7) -> None:
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, 1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(F.adaptive_avg_pool2d(x, 4))  # the paper: 5×5 average pool, stride 3: 14×14 → 4×4
        x = self.dropout(F.relu(self.fc1(torch.flatten(x, 1)), inplace=True))
        return self.fc2(x)


class GoogLeNetOutputs(NamedTuple):
    """What a GoogLeNet with auxiliary classifiers returns in training mode."""

    logits: torch.Tensor
    aux_logits2: torch.Tensor
    aux_logits1: torch.Tensor


class GoogLeNet(nn.Module):
    """Stem → inception 3a-3b → pool → 4a-4e → pool → 5a-5b → average pool → dropout → ``fc``.

    ``aux_logits=True`` adds the two auxiliary classifiers (after 4a and 4d); in training mode
    the model then returns :class:`GoogLeNetOutputs`, in eval mode the logits alone.
    ``small_input=True`` is the course's CIFAR version: a 3×3 stride-1 stem without its
    max-pools, so the three stages run at 32, 16 and 8 pixels; adding ``stem_pool=True`` keeps the
    stem's second max-pool, so they run at 16, 8 and 4 pixels for about a quarter of the MACs (the
    course's bake-off model). ``width`` scales every channel count.
    """

    def __init__(self, num_classes: int = 1000, *, aux_logits: bool = False, dropout: float = 0.2,
                 dropout_aux: float = 0.7, small_input: bool = False, width: float = 1.0,
                 kernel_5x5: int = 3, stem_pool: bool = False) -> None:
        super().__init__()
        if stem_pool and not small_input:
            raise ValueError("stem_pool=True is an option of the CIFAR stem; use it with small_input=True")

        def c(n: int) -> int:
            return max(1, round(n * width))

        def inception(c_in: int, *cols: int) -> Inception:
            return Inception(c_in, *(c(n) for n in cols), kernel_5x5=kernel_5x5)

        pool = dict(kernel_size=3, stride=2, ceil_mode=True)
        if small_input:
            self.conv1 = BasicConv2d(3, c(64), 3, padding=1)
            self.maxpool1: nn.Module = nn.Identity()
        else:
            self.conv1 = BasicConv2d(3, c(64), 7, stride=2, padding=3)  # 224 → 112
            self.maxpool1 = nn.MaxPool2d(**pool)  # → 56
        self.conv2 = BasicConv2d(c(64), c(64), 1)
        self.conv3 = BasicConv2d(c(64), c(192), 3, padding=1)
        keep_pool2 = stem_pool or not small_input
        self.maxpool2: nn.Module = nn.MaxPool2d(**pool) if keep_pool2 else nn.Identity()  # → 28
        # The paper's Table 1: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj.
        self.inception3a = inception(c(192), 64, 96, 128, 16, 32, 32)
        self.inception3b = inception(self.inception3a.out_channels, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(**pool)  # → 14
        self.inception4a = inception(self.inception3b.out_channels, 192, 96, 208, 16, 48, 64)
        self.inception4b = inception(self.inception4a.out_channels, 160, 112, 224, 24, 64, 64)
        self.inception4c = inception(self.inception4b.out_channels, 128, 128, 256, 24, 64, 64)
        self.inception4d = inception(self.inception4c.out_channels, 112, 144, 288, 32, 64, 64)
        self.inception4e = inception(self.inception4d.out_channels, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=True)  # → 7
        self.inception5a = inception(self.inception4e.out_channels, 256, 160, 320, 32, 128, 128)
        self.inception5b = inception(self.inception5a.out_channels, 384, 192, 384, 48, 128, 128)
        self.aux1 = InceptionAux(self.inception4a.out_channels, num_classes, dropout_aux) if aux_logits else None
        self.aux2 = InceptionAux(self.inception4d.out_channels, num_classes, dropout_aux) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(self.inception5b.out_channels, num_classes)
        self.small_input = small_input
        for m in self.modules():  # torchvision's initialisation: truncated normal, std 0.01
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor | GoogLeNetOutputs:
        check_input(x, model="GoogLeNet", in_channels=3, min_size=1 if self.small_input else 15,
                    hint="" if self.small_input else "For CIFAR-sized images build it with small_input=True.")
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))  # (B, 192, 28, 28) at 224×224
        x = self.maxpool3(self.inception3b(self.inception3a(x)))  # (B, 480, 14, 14)
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))  # (B, 832, 7, 7)
        x = self.inception5b(self.inception5a(x))  # (B, 1024, 7, 7)
        x = self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))
        if aux1 is not None and aux2 is not None:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


@register
def googlenet(*, num_classes: int = 1000, **variant: object) -> GoogLeNet:
    """GoogLeNet as in torchvision: 6,624,904 parameters (13,004,888 with ``aux_logits=True``)."""
    return GoogLeNet(num_classes, **variant)  # type: ignore[arg-type]
