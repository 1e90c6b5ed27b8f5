"""Shared by the torchvision-equivalence tests (``tests/`` is not a package)."""
from __future__ import annotations

import torch
from torch import nn


def with_batchnorm_statistics(reference: nn.Module, size: int = 64) -> nn.Module:
    """Run one training-mode batch through ``reference`` so its BatchNorm running statistics are
    non-trivial; an eval-mode comparison then really checks that they were copied. Returns it."""
    reference.train()
    with torch.no_grad():
        reference(torch.randn(2, 3, size, size))
    return reference
