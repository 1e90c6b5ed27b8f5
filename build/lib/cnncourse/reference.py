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


# ---- The architectures at a glance: torchvision's published figures beside the course's counts ----

GLANCE: tuple[tuple[str, int, str, str | None], ...] = (
    # (architecture, year of the paper's first version, torchvision weights, course builder or None)
    ("AlexNet", 2012, "AlexNet_Weights.IMAGENET1K_V1", "alexnet"),
    ("VGG-19-BN", 2014, "VGG19_BN_Weights.IMAGENET1K_V1", "vgg19_bn"),
    ("Inception-v3", 2015, "Inception_V3_Weights.IMAGENET1K_V1", None),
    ("ResNet-50", 2015, "ResNet50_Weights.IMAGENET1K_V1", "resnet50"),
    ("DenseNet-161", 2016, "DenseNet161_Weights.IMAGENET1K_V1", "densenet161"),
    ("EfficientNet-B0", 2019, "EfficientNet_B0_Weights.IMAGENET1K_V1", "efficientnet_b0"),
    ("ViT-B/16", 2020, "ViT_B_16_Weights.IMAGENET1K_V1", "vit_b_16"),
    ("Swin-B", 2021, "Swin_B_Weights.IMAGENET1K_V1", None),
    ("ConvNeXt-B", 2022, "ConvNeXt_Base_Weights.IMAGENET1K_V1", "convnext_base"),
)


def weights_from_name(name: str):  # -> torchvision.models.WeightsEnum member
    """``"ResNet50_Weights.IMAGENET1K_V1"`` → that torchvision weights entry (its metadata ships with
    torchvision; nothing is downloaded)."""
    import torchvision.models as tv

    enum, _, member = name.partition(".")
    return getattr(getattr(tv, enum), member)


def at_a_glance(*, counted: bool = True):  # -> pandas.DataFrame
    """One row per architecture of :data:`GLANCE`: year, torchvision's acc@1, acc@5, parameters and
    GFLOPs (its ``_ops``: GMACs at the weights' crop size), and with ``counted`` the course model's
    own parameter count and GMACs, counted at the same crop size (empty where the course has none).
    The course's models are built on the meta device, so the whole table takes about a second."""
    import pandas as pd

    from . import costs, models

    rows = []
    for arch, year, weights_name, builder in GLANCE:
        weights = weights_from_name(weights_name)
        meta, crop = weights.meta, weights.transforms().crop_size[0]
        row = {"architecture": arch, "year": year, "weights": weights_name,
               "acc@1": meta["_metrics"]["ImageNet-1K"]["acc@1"], "acc@5": meta["_metrics"]["ImageNet-1K"]["acc@5"],
               "params (M)": meta["num_params"] / 1e6, "GFLOPs": meta["_ops"], "crop": crop}
        if counted:
            with torch.device("meta"):  # shapes only: counting needs no weights, so nothing is initialised
                model = models.get_model(builder) if builder else None
            row["course params (M)"] = num_params(model) / 1e6 if model else None
            row["course GMACs"] = costs.macs(model, (1, 3, crop, crop)) / 1e9 if model else None
        rows.append(row)
    return pd.DataFrame(rows).set_index("architecture")
