"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998).

Paper: "Gradient-based learning applied to document recognition",
Proc. IEEE 86(11) — http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf

The 1998 network reads a 32×32 grayscale image (MNIST digits, 28×28, padded):

    C1 conv 5×5, 6 maps      32×32×1  → 28×28×6
    S2 subsample 2×2         28×28×6  → 14×14×6
    C3 conv 5×5, 16 maps     14×14×6  → 10×10×16
    S4 subsample 2×2         10×10×16 → 5×5×16
    C5 conv 5×5, 120 maps    5×5×16   → 1×1×120
    F6 fully connected       120      → 84
    output                   84       → 10

Two simplifications are standard today and used here (the chapter counts what
they change): C3 connects to all six S2 maps (the paper used a sparse table,
1,516 weights instead of 2,416), and the subsampling layers have no trainable
coefficient and the output is a linear layer instead of Euclidean RBF units.
"""
from __future__ import annotations

import torch
from torch import nn

from ._registry import check_input, register


class LeNet5(nn.Module):
    """LeNet-5: ``features`` (C1-S2-C3-S4-C5) then ``classifier`` (F6, output).

    ``modern=False`` keeps the 1998 choices that survive the simplifications above:
    tanh and average pooling. ``modern=True`` uses ReLU and max pooling, which train
    faster and are what later chapters build on.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, modern: bool = False) -> None:
        super().__init__()
        self.in_channels = in_channels
        act: type[nn.Module] = nn.ReLU if modern else nn.Tanh
        pool: type[nn.Module] = nn.MaxPool2d if modern else nn.AvgPool2d
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5),  # C1: (B, 6, 28, 28)
            act(),
            pool(kernel_size=2, stride=2),  # S2: (B, 6, 14, 14)
            nn.Conv2d(6, 16, kernel_size=5),  # C3: (B, 16, 10, 10)
            act(),
            pool(kernel_size=2, stride=2),  # S4: (B, 16, 5, 5)
            nn.Conv2d(16, 120, kernel_size=5),  # C5: (B, 120, 1, 1)
            act(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),  # (B, 120)
            nn.Linear(120, 84),  # F6
            act(),
            nn.Linear(84, num_classes),  # output
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(
            x, model="LeNet-5", in_channels=self.in_channels, exact_size=32,
            hint="Resize or pad the images to 32×32 (the paper pads 28×28 MNIST digits to 32×32).",
        )
        return self.classifier(self.features(x))


@register
def lenet5(*, num_classes: int = 10, in_channels: int = 1, modern: bool = False) -> LeNet5:
    """LeNet-5 for 32×32 images; ``lenet5(in_channels=3, modern=True)`` for CIFAR-10."""
    return LeNet5(num_classes=num_classes, in_channels=in_channels, modern=modern)
