"""Chapter 5's CIFAR ResNet-8, the model every benchmark measures (one definition for all of them)."""
from __future__ import annotations

from torch import nn

from cnncourse import models

DESCRIPTION = "chapter 5's ResNet-8 (stem 16; one basic block at 32, 64, 128 channels)"


def resnet8() -> nn.Module:
    """Stem of 16 channels, then stages of one basic block at 32/64/128 channels; 10 classes, 32×32 input."""
    return models.ResNet(models.BasicBlock, (0, 1, 1, 1), widths=(16, 32, 64, 128), num_classes=10, small_input=True)
