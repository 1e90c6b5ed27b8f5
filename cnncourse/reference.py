"""Equivalence checks between the course's models and their torchvision counterparts.

"Equivalent" means: the same number of parameters, torchvision's ``state_dict``
loads into ours with ``strict=True`` (same names and shapes), and, with those
weights, both produce the same outputs in eval mode.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn


def num_params(model: nn.Module) -> int:
    """Number of learnable parameters (buffers such as BatchNorm's running statistics excluded)."""
    return sum(p.numel() for p in model.parameters())


def assert_equivalent(
    ours: nn.Module,
    reference: nn.Module | Callable[[], nn.Module],
    input_size: Sequence[int] = (2, 3, 224, 224),
    *,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
) -> None:
    """Raise ``AssertionError`` unless ``ours`` matches ``reference`` exactly.

    ``reference`` is a module or a builder such as ``torchvision.models.resnet18``
    (called with no arguments: random initialisation, nothing is downloaded).
    ``ours`` receives the reference's weights: its own are overwritten.
    """
    ref = reference() if not isinstance(reference, nn.Module) else reference
    n_ours, n_ref = num_params(ours), num_params(ref)
    if n_ours != n_ref:
        raise AssertionError(
            f"parameter counts differ: ours {n_ours:,} vs reference {n_ref:,} ({n_ours - n_ref:+,})"
        )
    ours.load_state_dict(ref.state_dict(), strict=True)
    ours.eval()
    ref.eval()
    x = torch.randn(tuple(input_size), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref(x), rtol=rtol, atol=atol)
