"""AlexNet, ZFNet and VGG: equivalence with torchvision, the paper's layer table, counts, input errors."""
from __future__ import annotations

import re

import pytest
import torch
import torchvision
from torch import nn

from _equivalence import with_batchnorm_statistics
from cnncourse import costs, models
from cnncourse.reference import assert_equivalent, num_params


def _trace(features: nn.Sequential, size: int) -> list[tuple[str, tuple[int, ...]]]:
    """(layer type, output shape without batch) of every conv and pool of ``features``."""
    x, rows = torch.zeros(1, 3, size, size), []
    with torch.no_grad():
        for layer in features:
            x = layer(x)
            if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
                rows.append((type(layer).__name__, tuple(x.shape[1:])))
    return rows


def test_alexnet_matches_torchvision() -> None:
    model = models.alexnet()
    assert num_params(model) == 61_100_840
    assert_equivalent(model, torchvision.models.alexnet, (2, 3, 224, 224))


def test_alexnet_paper_layer_table() -> None:
    # The paper's Fig. 2 / §3: 227×227×3 input, conv1 → 55×55×96, pool → 27×27×96, conv2 → 27×27×256,
    # pool → 13×13×256, conv3/4 → 13×13×384, conv5 → 13×13×256, pool → 6×6×256.
    assert _trace(models.alexnet_paper().features, 227) == [
        ("Conv2d", (96, 55, 55)), ("MaxPool2d", (96, 27, 27)),
        ("Conv2d", (256, 27, 27)), ("MaxPool2d", (256, 13, 13)),
        ("Conv2d", (384, 13, 13)), ("Conv2d", (384, 13, 13)),
        ("Conv2d", (256, 13, 13)), ("MaxPool2d", (256, 6, 6)),
    ]


def test_alexnet_paper_counts() -> None:
    two_towers = models.alexnet_paper()
    # conv2, conv4 and conv5 each see half of their input channels on two GPUs
    assert num_params(two_towers) == 60_965_224
    assert num_params(models.alexnet_paper(groups=1)) == 62_378_344
    assert num_params(models.alexnet_paper(groups=1)) - num_params(two_towers) == (
        5 * 5 * 48 * 256 + 3 * 3 * 192 * 384 + 3 * 3 * 192 * 256
    )
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in two_towers.modules()) == 2
    assert not any(isinstance(m, nn.LocalResponseNorm) for m in models.alexnet_paper(lrn=False).modules())
    assert two_towers(torch.zeros(1, 3, 227, 227)).shape == (1, 1000)


def test_alexnet_paper_initialisation() -> None:
    model = models.alexnet_paper()
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    assert [float(c.bias.detach().mean()) for c in convs] == [0.0, 1.0, 0.0, 1.0, 1.0]
    assert [float(model.classifier[i].bias.detach().mean()) for i in (1, 4, 6)] == [1.0, 1.0, 0.0]
    assert abs(float(convs[2].weight.detach().std()) - 0.01) < 5e-4


def test_lrn_matches_the_paper_formula() -> None:
    # b = a / (k + α Σ_{n neighbouring channels} a²)^β with k=2, n=5, α=1e-4, β=0.75
    lrn = models.alexnet_paper().features[2]
    assert isinstance(lrn, nn.LocalResponseNorm)
    a = torch.randn(1, 8, 3, 3) * 30
    sq = torch.nn.functional.pad(a.pow(2), (0, 0, 0, 0, 2, 2))  # pad channels by n//2 each side
    window = sum(sq[:, i:i + 8] for i in range(5))
    torch.testing.assert_close(lrn(a), a / (2 + 1e-4 * window) ** 0.75)


def test_zfnet_layer_table_and_counts() -> None:
    # Zeiler & Fergus Fig. 3: 224 → 110 → 55 → 26 → 13 → 13 → 13 → 6
    model = models.zfnet()
    assert _trace(model.features, 224) == [
        ("Conv2d", (96, 110, 110)), ("MaxPool2d", (96, 55, 55)),
        ("Conv2d", (256, 26, 26)), ("MaxPool2d", (256, 13, 13)),
        ("Conv2d", (512, 13, 13)), ("Conv2d", (1024, 13, 13)),
        ("Conv2d", (512, 13, 13)), ("MaxPool2d", (512, 6, 6)),
    ]
    conv_params = [7 * 7 * 3 * 96 + 96, 5 * 5 * 96 * 256 + 256, 3 * 3 * 256 * 512 + 512,
                   3 * 3 * 512 * 1024 + 1024, 3 * 3 * 1024 * 512 + 512]
    fc_params = [6 * 6 * 512 * 4096 + 4096, 4096 * 4096 + 4096, 4096 * 1000 + 1000]
    assert num_params(model) == sum(conv_params) + sum(fc_params) == 107_627_624
    fig3 = models.zfnet(widths=(384, 384, 256))
    assert num_params(fig3) == 62_357_608
    assert costs.count(fig3, (1, 3, 224, 224)).macs < costs.count(model, (1, 3, 224, 224)).macs


@pytest.mark.parametrize("name, params", [
    ("vgg11", 132_863_336), ("vgg11_bn", 132_868_840), ("vgg13", 133_047_848), ("vgg13_bn", 133_053_736),
    ("vgg16", 138_357_544), ("vgg16_bn", 138_365_992), ("vgg19", 143_667_240), ("vgg19_bn", 143_678_248),
])
def test_vgg_matches_torchvision(name: str, params: int) -> None:
    model = models.get_model(name)
    assert num_params(model) == params
    reference = getattr(torchvision.models, name)()
    if name.endswith("_bn"):
        with_batchnorm_statistics(reference, size=32)
    assert_equivalent(model, reference, (1, 3, 64, 64))


def test_vgg16_macs() -> None:
    # torchvision's metadata for vgg16: 15.47 GFLOPS (its "FLOPS" are multiply-accumulates)
    assert costs.count(models.vgg16(), (1, 3, 224, 224)).macs == 15_470_264_320


def test_cifar_variants() -> None:
    vgg = models.vgg11_bn(num_classes=10, small_input=True, width=0.25)
    assert [m.out_channels for m in vgg.features if isinstance(m, nn.Conv2d)] == [16, 32, 64, 64, 128, 128, 128, 128]
    assert vgg(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    alex = models.alexnet(num_classes=10, small_input=True, width=0.25)
    assert [m.out_channels for m in alex.features if isinstance(m, nn.Conv2d)] == [16, 48, 96, 64, 64]
    assert alex(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert _trace(alex.features, 32)[-1] == ("MaxPool2d", (64, 4, 4))


@pytest.mark.parametrize("builder, min_size", [
    (models.alexnet, 63), (models.alexnet_paper, 67), (models.zfnet, 47), (models.vgg11, 32),
])
def test_minimum_input_size_is_exact(builder, min_size: int) -> None:
    model = builder(num_classes=3).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, min_size, min_size)).shape == (1, 3)
        with pytest.raises(ValueError, match=f"at least {min_size}×{min_size} pixels"):
            model(torch.zeros(1, 3, min_size - 1, min_size - 1))
        # the size the check guards really is the smallest that the layers accept
        with pytest.raises(RuntimeError):
            model.features(torch.zeros(1, 3, min_size - 1, min_size - 1))


def test_alexnet_on_cifar_sized_input_says_what_to_do() -> None:
    msg = ("AlexNet needs inputs of at least 63×63 pixels; got 32×32. "
           "For CIFAR-sized images use alexnet(small_input=True).")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.alexnet()(torch.zeros(1, 3, 32, 32))


def test_vgg_wrong_channels() -> None:
    msg = ("VGG-16 was built for 3-channel images; got 1 channels (input shape (1, 1, 64, 64)). "
           "Build it with in_channels=1, or convert the images (e.g. grayscale to RGB).")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.vgg16(num_classes=10)(torch.zeros(1, 1, 64, 64))
