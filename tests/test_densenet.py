"""DenseNet: equivalence with torchvision, channel growth, transitions, input errors."""
from __future__ import annotations

import re

import pytest
import torch
import torchvision

from _equivalence import with_batchnorm_statistics
from cnncourse import models
from cnncourse.reference import assert_equivalent, num_params


@pytest.mark.parametrize("name, params", [
    ("densenet121", 7_978_856), ("densenet161", 28_681_000), ("densenet169", 14_149_480),
    ("densenet201", 20_013_928),
])
def test_matches_torchvision(name: str, params: int) -> None:
    model = models.get_model(name)
    assert num_params(model) == params
    reference = getattr(torchvision.models, name)()
    with_batchnorm_statistics(reference)
    assert_equivalent(model, reference, (1, 3, 64, 64))


def test_densenet264_matches_torchvisions_generic_class() -> None:
    # torchvision has no densenet264 builder; its DenseNet class takes the paper's configuration.
    reference = torchvision.models.DenseNet(growth_rate=32, block_config=(6, 12, 64, 48), num_init_features=64)
    assert num_params(models.densenet264()) == num_params(reference) == 33_337_704
    assert_equivalent(models.densenet264(), reference, (1, 3, 32, 32))


def test_channels_grow_by_k_per_layer_and_transitions_halve_them() -> None:
    model = models.densenet121()
    channels, k = 64, 32
    for i, layers in enumerate((6, 12, 24, 16)):
        block = getattr(model.features, f"denseblock{i + 1}")
        assert len(block) == layers and block.out_channels == channels + layers * k
        channels = block.out_channels
        if i < 3:
            transition = getattr(model.features, f"transition{i + 1}")
            assert transition.conv.out_channels == channels // 2
            channels //= 2
    assert channels == model.num_features == 1024
    x = torch.zeros(1, 3, 224, 224)
    assert model.forward_features(x).shape == (1, 1024, 7, 7)


def test_cifar_variant_and_input_errors() -> None:
    small = models.densenet121(num_classes=10, small_input=True)
    assert small(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    msg = ("DenseNet needs inputs of at least 29×29 pixels; got 28×28. "
           "For CIFAR-sized images build it with small_input=True.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.densenet121()(torch.zeros(1, 3, 28, 28))
    models.densenet121().eval()(torch.zeros(1, 3, 29, 29))  # the minimum works (torchvision fails at 28)
    with pytest.raises(ValueError, match="needs inputs of at least 8×8"):
        small(torch.zeros(1, 3, 7, 7))
    with pytest.raises(ValueError, match="3-channel"):
        models.densenet121()(torch.zeros(1, 1, 64, 64))
    with pytest.raises(ValueError, match="compression"):
        models.DenseNet(compression=0.0)
