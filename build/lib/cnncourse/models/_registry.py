"""The model registry and the input check every model shares.

Builders register themselves with ``@register``; ``list_models()`` and
``get_model(name, **kwargs)`` read the registry. Nothing here downloads weights.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

_MODELS: dict[str, Callable[..., nn.Module]] = {}


def register(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Add ``builder`` to the registry under its function name."""
    name = builder.__name__
    if name in _MODELS:
        raise ValueError(f"a model named {name!r} is already registered")
    _MODELS[name] = builder
    return builder


def list_models() -> list[str]:
    """Names of every registered model builder, sorted."""
    return sorted(_MODELS)


def get_model(name: str, **kwargs: object) -> nn.Module:
    """Build the registered model ``name``; keyword arguments go to its builder."""
    try:
        builder = _MODELS[name]
    except KeyError:
        raise ValueError(
            f"unknown model {name!r}; choose one of: {', '.join(list_models())}"
        ) from None
    return builder(**kwargs)


def check_input(
    x: torch.Tensor,
    *,
    model: str,
    in_channels: int,
    min_size: int | None = None,
    exact_size: int | None = None,
    hint: str = "",
) -> None:
    """Raise a ``ValueError`` that names the problem if ``x`` is not a batch the model accepts.

    ``x`` must be ``(B, in_channels, H, W)``; with ``exact_size`` H and W must equal it,
    with ``min_size`` both must be at least it. ``hint`` is appended to size errors.
    """
    if x.dim() != 4:
        raise ValueError(
            f"{model} expects a batch of images shaped (B, C, H, W); got a tensor of shape "
            f"{tuple(x.shape)}. For one image use x.unsqueeze(0)."
        )
    channels, height, width = x.shape[1:]
    if channels != in_channels:
        raise ValueError(
            f"{model} was built for {in_channels}-channel images; got {channels} channels "
            f"(input shape {tuple(x.shape)}). Build it with in_channels={channels}, "
            "or convert the images (e.g. grayscale to RGB)."
        )
    tail = f" {hint}" if hint else ""
    if exact_size is not None and (height, width) != (exact_size, exact_size):
        raise ValueError(
            f"{model} needs {exact_size}×{exact_size} inputs; got {height}×{width}.{tail}"
        )
    if min_size is not None and min(height, width) < min_size:
        raise ValueError(
            f"{model} needs inputs of at least {min_size}×{min_size} pixels; "
            f"got {height}×{width}.{tail}"
        )
