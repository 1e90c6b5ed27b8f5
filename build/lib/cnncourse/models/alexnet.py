"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012) and ZFNet (Zeiler and Fergus, 2014).

Papers: "ImageNet classification with deep convolutional neural networks", NeurIPS 2012 —
https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html
"Visualizing and understanding convolutional networks", ECCV 2014 — https://arxiv.org/abs/1311.2901

Three networks share one class, ``AlexNet`` (``features`` → ``avgpool`` → ``classifier``,
torchvision's attribute names):

* ``alexnet_paper()``: the 2012 network, 227×227×3 input, 96-256-384-384-256 filters,
  local response normalisation after conv1 and conv2, and conv2/4/5 split into two
  groups, one per GPU (60,965,224 parameters):

      conv1 96×11×11 s4      227×227×3  → 55×55×96    (LRN, max-pool 3×3 s2 → 27×27×96)
      conv2 256×5×5 p2 g2    27×27×96   → 27×27×256   (LRN, max-pool → 13×13×256)
      conv3 384×3×3 p1       13×13×256  → 13×13×384
      conv4 384×3×3 p1 g2    13×13×384  → 13×13×384
      conv5 256×3×3 p1 g2    13×13×384  → 13×13×256   (max-pool → 6×6×256)
      fc6 4096, fc7 4096 (dropout 0.5 before each), fc8 1000

* ``alexnet()``: torchvision's single-tower variant (64-192-384-256-256 filters, no LRN,
  61,100,840 parameters), loadable from ``torchvision.models.alexnet().state_dict()``;
  ``alexnet(small_input=True)`` is the course's CIFAR-sized version.
* ``zfnet()``: ZFNet, AlexNet with a 7×7 stride-2 first layer, a stride-2 conv2 and, as
  in the variant Zeiler and Fergus found best (their Table 3), 512-1024-512 filters in conv3-5.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._registry import check_input, register

__all__ = ["AlexNet", "alexnet", "alexnet_paper", "zfnet"]


class AlexNet(nn.Module):
    """``features`` (convolutions) → ``avgpool`` to ``pooled``×``pooled`` → ``classifier`` (three FC layers).

    ``min_size`` is the smallest input side for which ``features`` still produces a map
    (``None``: any size works); smaller inputs get a ``ValueError`` that says what to use instead.
    """

    def __init__(
        self,
        features: nn.Sequential,
        *,
        out_channels: int,
        pooled: int,
        hidden: int,
        num_classes: int,
        dropout: float,
        min_size: int | None,
        name: str,
        hint: str = "",
    ) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d(pooled)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(out_channels * pooled * pooled, hidden),  # fc6
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),  # fc7
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),  # fc8
        )
        self.in_channels: int = features[0].in_channels
        self.min_size, self.name, self.hint = min_size, name, hint

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, model=self.name, in_channels=self.in_channels, min_size=self.min_size, hint=self.hint)
        x = self.avgpool(self.features(x))  # (B, C, pooled, pooled)
        return self.classifier(torch.flatten(x, 1))


def _conv(c_in: int, c_out: int, kernel_size: int, stride: int = 1, padding: int = 0, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel_size, stride, padding, groups=groups), nn.ReLU(inplace=True)]


def _lrn() -> nn.Module:
    # The paper's b = a / (k + α Σ a²)^β with k=2, n=5, α=1e-4, β=0.75 sums over n neighbouring
    # channels; PyTorch divides α by n, so α=5e-4 here reproduces the paper's 1e-4.
    return nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0)


def _pool() -> nn.Module:
    return nn.MaxPool2d(kernel_size=3, stride=2)  # "overlapping pooling": windows 3, step 2


def _init_paper(model: AlexNet, biased: Sequence[nn.Module]) -> None:
    """The paper's initialisation (§5): weights N(0, 0.01²); biases 1 in ``biased`` layers, else 0."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.constant_(m.bias, 1.0 if any(m is b for b in biased) else 0.0)


@register
def alexnet_paper(*, num_classes: int = 1000, lrn: bool = True, groups: int = 2, dropout: float = 0.5) -> AlexNet:
    """The 2012 AlexNet for 227×227 inputs; ``groups=1`` merges the two GPU towers, ``lrn=False`` drops LRN."""
    def norm() -> list[nn.Module]:
        return [_lrn()] if lrn else []

    features = nn.Sequential(
        *_conv(3, 96, 11, stride=4), *norm(), _pool(),  # (B, 96, 27, 27)
        *_conv(96, 256, 5, padding=2, groups=groups), *norm(), _pool(),  # (B, 256, 13, 13)
        *_conv(256, 384, 3, padding=1),  # conv3 sees both towers
        *_conv(384, 384, 3, padding=1, groups=groups),
        *_conv(384, 256, 3, padding=1, groups=groups), _pool(),  # (B, 256, 6, 6)
    )
    model = AlexNet(features, out_channels=256, pooled=6, hidden=4096, num_classes=num_classes,
                    dropout=dropout, min_size=67, name="AlexNet (paper)",
                    hint="The paper's network was trained on 227×227 crops.")
    convs = [m for m in features if isinstance(m, nn.Conv2d)]
    _init_paper(model, biased=[convs[1], convs[3], convs[4], model.classifier[1], model.classifier[4]])
    return model


# Filters of conv1-conv5 in torchvision's single-tower AlexNet (Krizhevsky, "One weird trick", 2014).
_TORCHVISION_WIDTHS = (64, 192, 384, 256, 256)


@register
def alexnet(*, num_classes: int = 1000, dropout: float = 0.5, small_input: bool = False, width: float = 1.0) -> AlexNet:
    """torchvision's AlexNet (``width=1``); ``small_input=True`` adapts it to 32×32 CIFAR images.

    The CIFAR version keeps the layer pattern (five convolutions, three overlapping
    max-pools, three FC layers) but starts with a 5×5 stride-1 convolution, pads the pools
    so each halves the map (32 → 16 → 8 → 4) and uses ``hidden = 1024·width`` units.
    ``width`` scales every layer's filters.
    """
    c1, c2, c3, c4, c5 = (max(1, round(c * width)) for c in _TORCHVISION_WIDTHS)
    if small_input:
        pool: nn.Module = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        features = nn.Sequential(
            *_conv(3, c1, 5, padding=2), pool,  # (B, c1, 16, 16)
            *_conv(c1, c2, 5, padding=2), nn.MaxPool2d(3, 2, padding=1),  # (B, c2, 8, 8)
            *_conv(c2, c3, 3, padding=1),
            *_conv(c3, c4, 3, padding=1),
            *_conv(c4, c5, 3, padding=1), nn.MaxPool2d(3, 2, padding=1),  # (B, c5, 4, 4)
        )
        return AlexNet(features, out_channels=c5, pooled=4, hidden=max(1, round(1024 * width)),
                       num_classes=num_classes, dropout=dropout, min_size=None, name="AlexNet (CIFAR)")
    features = nn.Sequential(
        *_conv(3, c1, 11, stride=4, padding=2), _pool(),  # 224 → (B, 64, 27, 27)
        *_conv(c1, c2, 5, padding=2), _pool(),  # (B, 192, 13, 13)
        *_conv(c2, c3, 3, padding=1),
        *_conv(c3, c4, 3, padding=1),
        *_conv(c4, c5, 3, padding=1), _pool(),  # (B, 256, 6, 6)
    )
    return AlexNet(features, out_channels=c5, pooled=6, hidden=max(1, round(4096 * width)),
                   num_classes=num_classes, dropout=dropout, min_size=63, name="AlexNet",
                   hint="For CIFAR-sized images use alexnet(small_input=True).")


@register
def zfnet(*, num_classes: int = 1000, widths: tuple[int, int, int] = (512, 1024, 512), dropout: float = 0.5) -> AlexNet:
    """ZFNet for 224×224 inputs; ``widths=(384, 384, 256)`` gives the network of the paper's Fig. 3.

    Padding and ``ceil_mode`` are chosen so the map sizes are the paper's: 110, 55, 26, 13, 13, 13, 6.
    """
    c3, c4, c5 = widths
    pool = dict(kernel_size=3, stride=2, ceil_mode=True)
    features = nn.Sequential(
        *_conv(3, 96, 7, stride=2, padding=1), nn.MaxPool2d(**pool),  # (B, 96, 110, 110) → 55
        *_conv(96, 256, 5, stride=2), nn.MaxPool2d(**pool),  # (B, 256, 26, 26) → 13
        *_conv(256, c3, 3, padding=1),
        *_conv(c3, c4, 3, padding=1),
        *_conv(c4, c5, 3, padding=1), nn.MaxPool2d(**pool),  # (B, c5, 6, 6)
    )
    model = AlexNet(features, out_channels=c5, pooled=6, hidden=4096, num_classes=num_classes,
                    dropout=dropout, min_size=47, name="ZFNet", hint="ZFNet was trained on 224×224 crops.")
    _init_paper(model, biased=[])  # §3: weights N(0, 0.01²), biases 0
    return model
