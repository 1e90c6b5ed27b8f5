"""MobileNet v1 against the paper's figures, MobileNetV2 against torchvision, and the separable-conv cost law."""
from __future__ import annotations

import re
from fractions import Fraction

import pytest
import torch
import torchvision
from torch import nn

from _equivalence import with_batchnorm_statistics
from cnncourse import costs, models
from cnncourse.models.mobilenet import V2_SETTING, DepthwiseSeparable, InvertedResidual
from cnncourse.reference import assert_equivalent, num_params


@pytest.mark.parametrize("m, n, k, size", [(32, 64, 3, 56), (64, 128, 3, 28), (512, 512, 3, 14), (16, 40, 5, 20)])
def test_separable_costs_one_over_n_plus_one_over_k_squared(m: int, n: int, k: int, size: int) -> None:
    standard = nn.Conv2d(m, n, k, padding=k // 2, bias=False)
    separable = nn.Sequential(nn.Conv2d(m, m, k, padding=k // 2, groups=m, bias=False), nn.Conv2d(m, n, 1, bias=False))
    x = (1, m, size, size)
    assert costs.macs(standard, x) == k * k * m * n * size * size
    assert costs.macs(separable, x) == k * k * m * size * size + m * n * size * size
    ratio = Fraction(1, n) + Fraction(1, k * k)
    assert Fraction(costs.macs(separable, x), costs.macs(standard, x)) == ratio
    assert Fraction(num_params(separable), num_params(standard)) == ratio


def test_mobilenet_v1_matches_the_paper_within_one_percent() -> None:
    model = models.mobilenet_v1()
    counts = costs.count(model, (1, 3, 224, 224))
    assert counts.params == 4_231_976 and abs(counts.params / 4.2e6 - 1) < 0.01
    assert counts.macs == 568_740_352 and abs(counts.macs / 569e6 - 1) < 0.01
    assert counts.macs == costs.macs(model, (1, 3, 224, 224))
    assert len([m for m in model.modules() if isinstance(m, DepthwiseSeparable)]) == 13
    assert model.forward_features(torch.zeros(1, 3, 224, 224)).shape == (1, 1024, 7, 7)


@pytest.mark.parametrize("alpha, params_m, macs_m", [(0.75, 2.6, 325), (0.5, 1.3, 149), (0.25, 0.5, 41)])
def test_width_multiplier_rows_of_table_6(alpha: float, params_m: float, macs_m: int) -> None:
    model = models.mobilenet_v1(width_mult=alpha)
    assert round(num_params(model) / 1e6, 1) == params_m  # the paper prints one decimal
    assert abs(costs.macs(model, (1, 3, 224, 224)) / (macs_m * 1e6) - 1) < 0.01


@pytest.mark.parametrize("size, macs_m", [(192, 418), (160, 290), (128, 186)])
def test_resolution_multiplier_rows_of_table_7(size: int, macs_m: int) -> None:
    assert abs(costs.macs(models.mobilenet_v1(), (1, 3, size, size)) / (macs_m * 1e6) - 1) < 0.01


def _v1_cost_parts() -> tuple[int, int, int]:
    """MACs of 1.0 MobileNet-224 split into the parts that scale with α² (pointwise convs),
    with α (stem and depthwise convs: one of their two channel counts is fixed or shared),
    and the classifier (α, independent of the resolution)."""
    table = costs.layer_table(models.mobilenet_v1(), (1, 3, 224, 224))
    macs = table["MACs"]
    pointwise = macs[table.index.str.contains("pointwise.0")].sum()
    classifier = macs[table.index.str.startswith("classifier")].sum()
    return int(pointwise), int(macs.sum() - pointwise - classifier), int(classifier)


@pytest.mark.parametrize("alpha", [1.0, 0.75, 0.5, 0.25])
@pytest.mark.parametrize("size", [224, 192, 160, 128])
def test_alpha_and_rho_scale_the_cost_by_alpha_squared_rho_squared(alpha: float, size: int) -> None:
    pointwise, linear_in_alpha, classifier = _v1_cost_parts()
    rho2 = Fraction(size, 224) ** 2
    a = Fraction(alpha)
    exact = rho2 * (a * a * pointwise + a * linear_in_alpha) + a * classifier
    counted = costs.macs(models.mobilenet_v1(width_mult=alpha), (1, 3, size, size))
    assert counted == exact
    # The pointwise convolutions are 95% of the cost, so α²ρ² is a close approximation; the
    # α-linear rest (≈5%) is overestimated by a factor 1/α, which bounds the error.
    linear_share = (linear_in_alpha + classifier) / (pointwise + linear_in_alpha + classifier)
    assert 0.05 < linear_share < 0.06
    approx = a * a * rho2 * (pointwise + linear_in_alpha + classifier)
    assert abs(counted / approx - 1) < (1 / a - 1) * 0.06 + 0.01


def test_mobilenet_v2_matches_torchvision() -> None:
    model = models.mobilenet_v2()
    assert num_params(model) == 3_504_872 == torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.meta["num_params"]
    assert round(costs.macs(model, (1, 3, 224, 224)) / 1e9, 3) == 0.301
    assert_equivalent(model, with_batchnorm_statistics(torchvision.models.mobilenet_v2()), (2, 3, 64, 64))


@pytest.mark.parametrize("width", [0.5, 1.4])
def test_mobilenet_v2_width_multiplier_matches_torchvision(width: float) -> None:
    reference = with_batchnorm_statistics(torchvision.models.mobilenet_v2(width_mult=width))
    assert_equivalent(models.mobilenet_v2(width_mult=width), reference, (2, 3, 64, 64))


def test_mobilenet_v2_follows_table_2() -> None:
    model = models.mobilenet_v2()
    blocks = [m for m in model.features if isinstance(m, InvertedResidual)]
    assert len(blocks) == sum(row.n for row in V2_SETTING) == 17
    assert [b.out_channels for b in blocks] == [row.c for row in V2_SETTING for _ in range(row.n)]
    # a residual connection wherever stride 1 meets equal widths: the n − 1 repeats of each row
    assert sum(b.use_res_connect for b in blocks) == sum(row.n - 1 for row in V2_SETTING) == 10
    for block in blocks:  # the projection is linear: it ends in BatchNorm, no activation
        assert isinstance(block.conv[-1], nn.BatchNorm2d) and isinstance(block.conv[-2], nn.Conv2d)
    expanded = blocks[1].conv[0][0]
    assert expanded.out_channels == 6 * 16 and blocks[0].conv[0][0].groups == 32  # t = 1: no expansion layer
    assert model.forward_features(torch.zeros(1, 3, 224, 224)).shape == (1, 1280, 7, 7)


@pytest.mark.parametrize("builder", [models.mobilenet_v1, models.mobilenet_v2])
def test_cifar_variant_and_input_errors(builder) -> None:
    small = builder(num_classes=10, small_input=True)
    assert small(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert small.forward_features(torch.zeros(1, 3, 32, 32)).shape[-2:] == (4, 4)
    name = type(small).__name__
    msg = (f"{name} needs inputs of at least 32×32 pixels; got 28×28. Its stem and stages shrink the image "
           "32-fold; for CIFAR-sized images build it with small_input=True.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        builder()(torch.zeros(1, 3, 28, 28))
    with pytest.raises(ValueError, match="3-channel"):
        builder()(torch.zeros(1, 1, 64, 64))
    with pytest.raises(ValueError, match="width_mult"):
        builder(width_mult=0)


def test_inverted_residual_rejects_bad_stride() -> None:
    with pytest.raises(ValueError, match="stride must be 1 or 2; got 3"):
        InvertedResidual(16, 16, 3, 6)
