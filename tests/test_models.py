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


# ---- the registry's help with names, pretrained weights, num_classes and input dtype -----------

@pytest.mark.parametrize("name, closest", [
    ("resnet-18", "resnet18"), ("ResNet18", "resnet18"), ("densnet121", "densenet121"),
    ("mobilenetv2", "mobilenet_v2"), ("efficientnet-b0", "efficientnet_b0"), ("ViT-B/16", "vit_b_16"),
])
def test_unknown_model_name_suggests_the_closest(name: str, closest: str) -> None:
    with pytest.raises(ValueError) as info:
        models.get_model(name)
    msg = str(info.value)
    assert msg.startswith(f"unknown model {name!r}; choose one of: {closest}, ")
    assert msg.endswith(f" (the closest names; models.list_models() lists all {len(models.list_models())})")
    assert len(msg) < 200  # not the whole list


def test_unknown_model_name_far_from_all_lists_all() -> None:
    msg = f"unknown model 'xyz'; choose one of: {', '.join(models.list_models())}"
    with pytest.raises(ValueError, match=f"^{re.escape(msg)}$"):
        models.get_model("xyz")
    with pytest.raises(TypeError, match=re.escape("get_model takes a model's name as a string, e.g. "
                                                  "get_model('resnet18'); got function")):
        models.get_model(models.resnet18)


PRETRAINED = ("resnet18() builds a model with fresh, random weights and takes no {arg}= argument. For "
              "torchvision's pretrained ImageNet weights, build the model, then load them with "
              "cnncourse.transfer.load_imagenet_weights(model, weights), e.g. load_imagenet_weights(models.resnet18(), "
              "torchvision.models.ResNet18_Weights.IMAGENET1K_V1).")


@pytest.mark.parametrize("arg, value", [("pretrained", True), ("weights", "DEFAULT"),
                                        ("weights", torchvision.models.ResNet18_Weights.IMAGENET1K_V1)])
def test_pretrained_points_to_load_imagenet_weights(arg: str, value: object) -> None:
    for build in (lambda: models.get_model("resnet18", **{arg: value}), lambda: models.resnet18(**{arg: value})):
        with pytest.raises(TypeError, match=f"^{re.escape(PRETRAINED.format(arg=arg))}$"):
            build()


def test_torchvisions_fresh_weights_arguments_are_accepted() -> None:
    model = models.get_model("lenet5", pretrained=False, weights=None)
    assert isinstance(model, models.LeNet5)


@pytest.mark.parametrize("value, error, msg", [
    (0, ValueError, "num_classes must be at least 1; got num_classes=0. "),
    (-3, ValueError, "num_classes must be at least 1; got num_classes=-3. "),
    (10.0, TypeError, "num_classes must be a whole number (an int); got float 10.0. "),
    ("10", TypeError, "num_classes must be a whole number (an int); got str '10'. "),
    (True, TypeError, "num_classes must be a whole number (an int); got bool True. "),
])
def test_num_classes_must_be_a_positive_int(value: object, error: type, msg: str) -> None:
    tail = "It is the number of outputs of the last layer: 10 for CIFAR-10, 1000 for ImageNet."
    for name in ("lenet5", "resnet18", "vit_b_16"):
        with pytest.raises(error, match=f"^{re.escape(msg + tail)}$"):
            models.get_model(name, num_classes=value)
    with pytest.raises(error, match=re.escape(msg)):
        models.resnet18(num_classes=value)


def test_integer_images_are_refused_with_the_fix() -> None:
    msg = ("ResNet expects floating-point images; got a torch.uint8 tensor. Normalise first "
           "(`cnncourse.data.normalize`), which scales uint8 pixels 0–255 to float32 and standardises them.")
    with pytest.raises(TypeError, match=f"^{re.escape(msg)}$"):
        models.resnet18(num_classes=10)(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))
    msg = "LeNet-5 expects floating-point images; got a torch.int64 tensor. Convert it with x.float()."
    with pytest.raises(TypeError, match=f"^{re.escape(msg)}$"):
        models.lenet5()(torch.zeros(1, 1, 32, 32, dtype=torch.long))
    from cnncourse.data import normalize
    assert models.resnet18(num_classes=10).eval()(normalize(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))).shape == (1, 10)
