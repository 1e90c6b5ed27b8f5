"""ConvNeXt: equivalence with torchvision, its metadata, the block's details, input errors."""
from __future__ import annotations

import re

import pytest
import torch
import torchvision
import torchvision.models as tv

from cnncourse import costs, models
from cnncourse.models import convnext as convnext_module
from cnncourse.layers import LayerNorm2d
from cnncourse.reference import assert_equivalent, num_params

META = {
    "convnext_tiny": tv.ConvNeXt_Tiny_Weights.IMAGENET1K_V1.meta,
    "convnext_small": tv.ConvNeXt_Small_Weights.IMAGENET1K_V1.meta,
    "convnext_base": tv.ConvNeXt_Base_Weights.IMAGENET1K_V1.meta,
}


@pytest.mark.parametrize("name, params, gmacs", [
    ("convnext_tiny", 28_589_128, 4.456), ("convnext_small", 50_223_688, 8.684), ("convnext_base", 88_591_464, 15.355),
])
def test_matches_torchvision(name: str, params: int, gmacs: float) -> None:
    model = models.get_model(name)
    assert num_params(model) == params == META[name]["num_params"]
    assert round(costs.macs(model, (1, 3, 224, 224)) / 1e9, 3) == gmacs == META[name]["_ops"]
    assert_equivalent(model, getattr(torchvision.models, name)(), (2, 3, 64, 64))


def test_convnext_large_parameter_count() -> None:
    with torch.device("meta"):  # 198 M parameters: count them without allocating them
        model = models.convnext_large()
    assert num_params(model) == tv.ConvNeXt_Large_Weights.IMAGENET1K_V1.meta["num_params"] == 197_767_336


def test_block_layer_scale_and_stochastic_depth() -> None:
    model = models.convnext_tiny()
    blocks = [m for m in model.modules() if isinstance(m, models.ConvNeXtBlock)]
    assert len(blocks) == 18
    assert [b.stochastic_depth.p for b in blocks] == pytest.approx([0.1 * i / 17 for i in range(18)])
    block = models.ConvNeXtBlock(32).eval()
    assert torch.all(block.layer_scale == 1e-6)
    x = torch.randn(2, 32, 8, 8)
    torch.testing.assert_close(block(x), x, atol=1e-4, rtol=0)  # starts close to the identity
    # parameters: 7·7·C + C (depthwise) + 2C (LN) + 4C·C + 4C + 4C·C + C (two 1×1) + C (layer scale)
    c = 32
    assert num_params(block) == 49 * c + c + 2 * c + 8 * c * c + 4 * c + c + c


def test_layernorm2d_normalises_each_pixel_over_channels() -> None:
    norm = LayerNorm2d(8, eps=1e-6)
    x = torch.randn(2, 8, 5, 5) * 3 + 1
    y = norm(x)
    torch.testing.assert_close(y.mean(1), torch.zeros(2, 5, 5), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.var(1, unbiased=False), torch.ones(2, 5, 5), atol=1e-4, rtol=0)


def test_cifar_variant_and_input_errors() -> None:
    small = models.convnext_tiny(num_classes=10, small_input=True)
    assert small(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert small.forward_features(torch.zeros(1, 3, 32, 32)).shape == (1, 768, 2, 2)
    msg = ("ConvNeXt needs inputs of at least 32×32 pixels; got 31×31. "
           "For CIFAR-sized images build it with small_input=True.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.convnext_tiny()(torch.zeros(1, 3, 31, 31))
    with pytest.raises(ValueError, match="3-channel"):
        models.convnext_tiny()(torch.zeros(1, 1, 64, 64))
    with pytest.raises(ValueError, match="one entry per stage"):
        models.ConvNeXt((96, 192), (3, 3, 9))


def test_roadmap_starts_at_resnet50_and_ends_at_convnext_tiny() -> None:
    from cnncourse.models.convnext import ROADMAP, RoadmapNet

    first, last = RoadmapNet(ROADMAP[0][1]), RoadmapNet(ROADMAP[-1][1])
    size = (1, 3, 224, 224)
    assert num_params(first) == num_params(models.resnet50()) == 25_557_032
    assert costs.macs(first, size) == costs.macs(models.resnet50(), size)
    assert num_params(last) == num_params(models.convnext_tiny()) == 28_589_128
    assert costs.macs(last, size) == costs.macs(models.convnext_tiny(), size)
    # the same parameter tensors (ConvNeXt writes its 1×1 convolutions as nn.Linear: compare sizes)
    assert sorted(p.numel() for p in last.parameters()) == sorted(p.numel() for p in models.convnext_tiny().parameters())
    ref = [p.shape for p in models.resnet50().parameters()]
    assert sorted(p.shape for p in first.parameters()) == sorted(ref)


def test_roadmap_changes_one_thing_per_step() -> None:
    from dataclasses import asdict

    from cnncourse.models.convnext import ROADMAP

    assert len(ROADMAP) == 14 and len({name for name, _ in ROADMAP}) == 14
    for (_, before), (_, after) in zip(ROADMAP, ROADMAP[1:]):
        changed = [k for k, v in asdict(after).items() if asdict(before)[k] != v]
        assert len(changed) == 1, changed


def test_roadmap_blocks_have_the_stated_norms_and_activations() -> None:
    from torch import nn

    from cnncourse.layers import LayerNorm2d
    from cnncourse.models.convnext import ROADMAP, RoadmapBlock

    def count(design, kinds) -> int:
        block = RoadmapBlock(96, 96, 1, design)
        return sum(isinstance(m, kinds) for m in block.branch) + isinstance(block.act, kinds)

    steps = dict(ROADMAP)
    assert count(steps["ResNet-50"], nn.ReLU) == 3 and count(steps["ResNet-50"], nn.BatchNorm2d) == 3
    assert count(steps["ReLU → GELU"], nn.GELU) == 3
    assert count(steps["fewer activations"], nn.GELU) == 1
    assert count(steps["fewer norms"], nn.BatchNorm2d) == 1
    assert count(steps["BN → LN"], LayerNorm2d) == 1 and count(steps["BN → LN"], nn.BatchNorm2d) == 0
    x = torch.randn(1, 3, 64, 64)
    for _, design in ROADMAP:  # every step is a working network
        assert convnext_module.RoadmapNet(design)(x).shape == (1, 1000)
