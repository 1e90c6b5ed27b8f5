"""ConvNeXt: equivalence with torchvision, its metadata, the block's details, input errors."""
from __future__ import annotations

import re

import pytest
import torch
import torchvision
import torchvision.models as tv

from cnncourse import costs, models
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
