"""Registry, LeNet-5 and the shared layers: shapes, counts, equivalence, input errors."""
from __future__ import annotations

import re

import pytest
import torch
import torchvision
from torch import nn

from cnncourse import costs, models
from cnncourse.layers import ConvBNAct
from cnncourse.reference import assert_equivalent, num_params


def test_registry_lists_and_builds() -> None:
    assert "lenet5" in models.list_models()
    assert models.list_models() == sorted(models.list_models())
    model = models.get_model("lenet5", num_classes=7, in_channels=3)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 7)


def test_unknown_model_name() -> None:
    with pytest.raises(ValueError, match=re.escape("unknown model 'lenet6'; choose one of: ")):
        models.get_model("lenet6")


def test_duplicate_registration_is_refused() -> None:
    def lenet5() -> nn.Module:
        return nn.Identity()

    with pytest.raises(ValueError, match="a model named 'lenet5' is already registered"):
        models.register(lenet5)


@pytest.mark.parametrize("modern", [False, True])
def test_lenet5_counts(modern: bool) -> None:
    model = models.lenet5(modern=modern)
    counts = costs.count(model, (1, 1, 32, 32))
    # 156 + 2,416 + 48,120 + 10,164 + 850; the 1998 paper's 60,000 differs by +900 - 44 + 850
    assert counts.params == 61_706 == 60_000 + 900 - 44 + 850
    # 117,600 + 240,000 + 48,000 + 10,080 + 840 multiply-accumulates
    assert counts.macs == 416_520
    assert model(torch.zeros(4, 1, 32, 32)).shape == (4, 10)
    act = nn.ReLU if modern else nn.Tanh
    pool = nn.MaxPool2d if modern else nn.AvgPool2d
    assert isinstance(model.features[1], act) and isinstance(model.features[2], pool)


def test_lenet5_cifar_variant() -> None:
    model = models.lenet5(in_channels=3, modern=True)
    assert num_params(model) == 61_706 + 6 * 5 * 5 * 2  # C1's 6 filters see 2 more input channels
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_lenet5_rejects_wrong_size() -> None:
    msg = ("LeNet-5 needs 32×32 inputs; got 28×28. Resize or pad the images to 32×32 "
           "(the paper pads 28×28 MNIST digits to 32×32).")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.lenet5()(torch.zeros(1, 1, 28, 28))


def test_lenet5_rejects_wrong_channels() -> None:
    msg = ("LeNet-5 was built for 1-channel images; got 3 channels (input shape (2, 3, 32, 32)). "
           "Build it with in_channels=3, or convert the images (e.g. grayscale to RGB).")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.lenet5()(torch.zeros(2, 3, 32, 32))


def test_lenet5_rejects_unbatched_input() -> None:
    msg = ("LeNet-5 expects a batch of images shaped (B, C, H, W); got a tensor of shape (1, 32, 32). "
           "For one image use x.unsqueeze(0).")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.lenet5()(torch.zeros(1, 32, 32))


def test_min_size_check() -> None:
    msg = "Net needs inputs of at least 63×63 pixels; got 32×40. Use small_input=True."
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.check_input(torch.zeros(1, 3, 32, 40), model="Net", in_channels=3, min_size=63,
                           hint="Use small_input=True.")
    models.check_input(torch.zeros(1, 3, 63, 64), model="Net", in_channels=3, min_size=63)


@pytest.mark.parametrize("kwargs", [
    dict(in_channels=16, out_channels=32, kernel_size=3, stride=2),
    dict(in_channels=32, out_channels=32, kernel_size=3, groups=32, activation_layer=nn.ReLU6),
    dict(in_channels=16, out_channels=24, kernel_size=1, activation_layer=None),
    dict(in_channels=8, out_channels=8, kernel_size=3, dilation=2),
])
def test_conv_bn_act_matches_torchvision(kwargs: dict) -> None:
    ref = torchvision.ops.Conv2dNormActivation(**kwargs)
    ours_kwargs = {k: v for k, v in kwargs.items() if k != "activation_layer"}
    if "activation_layer" in kwargs:
        ours_kwargs["activation"] = kwargs["activation_layer"]
    ours = ConvBNAct(**ours_kwargs)
    ref.train()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so eval mode really tests them
        for _ in range(3):
            ref(torch.randn(4, kwargs["in_channels"], 12, 12))
    assert_equivalent(ours, ref, (2, kwargs["in_channels"], 12, 12))
    assert ours.out_channels == kwargs["out_channels"]


def test_conv_bn_act_without_norm_has_bias() -> None:
    block = ConvBNAct(3, 8, norm_layer=None)
    assert block[0].bias is not None and len(block) == 2
    assert ConvBNAct(3, 8)[0].bias is None


def test_conv_bn_act_bad_groups() -> None:
    msg = "groups=3 must divide both in_channels=16 and out_channels=32"
    with pytest.raises(ValueError, match=re.escape(msg)):
        ConvBNAct(16, 32, groups=3)
