"""The model registry and the input check every model shares.

Builders register themselves with ``@register``; ``list_models()`` and
``get_model(name, **kwargs)`` read the registry. Nothing here downloads weights.
Every registered builder checks the arguments students get wrong most: ``num_classes``,
and ``pretrained=``/``weights=`` (torchvision's arguments, which the course replaces with
:func:`cnncourse.transfer.load_imagenet_weights`).
"""
from __future__ import annotations

import difflib
import functools
import numbers
from collections.abc import Callable

import torch
from torch import nn

_MODELS: dict[str, Callable[..., nn.Module]] = {}


_PRETRAINED_HINT = (
    "{name}() builds a model with fresh, random weights and takes no {arg}= argument. For torchvision's "
    "pretrained ImageNet weights, build the model, then load them with "
    "cnncourse.transfer.load_imagenet_weights(model, weights), e.g. "
    "load_imagenet_weights(models.resnet18(), torchvision.models.ResNet18_Weights.IMAGENET1K_V1)."
)


def _check_builder_arguments(name: str, kwargs: dict[str, object]) -> None:
    """Refuse torchvision's ``pretrained``/``weights`` and a ``num_classes`` that is not a positive int.

    ``pretrained=False`` and ``weights=None``, torchvision's way to ask for fresh weights, are
    dropped from ``kwargs``: every course model starts with fresh weights.
    """
    for arg, fresh in (("pretrained", False), ("weights", None)):
        if arg in kwargs:
            if kwargs[arg] is not fresh:
                raise TypeError(_PRETRAINED_HINT.format(name=name, arg=arg))
            del kwargs[arg]
    if "num_classes" in kwargs:
        n = kwargs["num_classes"]
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"num_classes must be a whole number (an int); got {type(n).__name__} {n!r}. "
                            "It is the number of outputs of the last layer: 10 for CIFAR-10, 1000 for ImageNet.")
        if n < 1:
            raise ValueError(f"num_classes must be at least 1; got num_classes={n}. It is the number of "
                             "outputs of the last layer: 10 for CIFAR-10, 1000 for ImageNet.")


def register(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Add ``builder`` to the registry under its function name; returns it with its arguments checked."""
    name = builder.__name__
    if name in _MODELS:
        raise ValueError(f"a model named {name!r} is already registered")

    @functools.wraps(builder)
    def checked(*args: object, **kwargs: object) -> nn.Module:
        _check_builder_arguments(name, kwargs)
        return builder(*args, **kwargs)

    _MODELS[name] = checked
    return checked


def list_models() -> list[str]:
    """Names of every registered model builder, sorted."""
    return sorted(_MODELS)


def _normalise(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


def _closest_names(name: str, n: int = 3) -> list[str]:
    """Registered names closest to ``name``, compared without case, '-', '_' and spaces."""
    by_key = {_normalise(m): m for m in list_models()}
    keys = difflib.get_close_matches(_normalise(name), by_key, n=n, cutoff=0.6)
    return [by_key[k] for k in keys]


def get_model(name: str, **kwargs: object) -> nn.Module:
    """Build the registered model ``name``; keyword arguments go to its builder.

    An unknown name gets the closest registered names (``'ResNet-18'`` → ``'resnet18'``).
    """
    if not isinstance(name, str):
        raise TypeError(f"get_model takes a model's name as a string, e.g. get_model('resnet18'); "
                        f"got {type(name).__name__} {name!r}")
    try:
        builder = _MODELS[name]
    except KeyError:
        close = _closest_names(name)
        if close:
            raise ValueError(
                f"unknown model {name!r}; choose one of: {', '.join(close)} (the closest "
                f"{'name' if len(close) == 1 else 'names'}; models.list_models() lists all {len(_MODELS)})"
            ) from None
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
    """Raise a ``ValueError`` (a ``TypeError`` for a non-float tensor) that names the problem if ``x``
    is not a batch the model accepts.

    ``x`` must be a floating-point ``(B, in_channels, H, W)``; with ``exact_size`` H and W must
    equal it, with ``min_size`` both must be at least it. ``hint`` is appended to size errors.
    """
    if x.dim() != 4:
        raise ValueError(
            f"{model} expects a batch of images shaped (B, C, H, W); got a tensor of shape "
            f"{tuple(x.shape)}. For one image use x.unsqueeze(0)."
        )
    if not x.is_floating_point():
        fix = ("Normalise first (`cnncourse.data.normalize`), which scales uint8 pixels 0–255 to float32 and "
               "standardises them" if x.dtype == torch.uint8 else "Convert it with x.float()")
        raise TypeError(f"{model} expects floating-point images; got a {x.dtype} tensor. {fix}.")
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
