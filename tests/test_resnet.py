"""ResNet family: equivalence with torchvision, the paper's counts, plain / pre-activation / CIFAR variants."""
from __future__ import annotations

import re

import pytest
import torch
import torchvision
from torch import nn

from _equivalence import with_batchnorm_statistics
from cnncourse import costs, models
from cnncourse.reference import assert_equivalent, num_params


@pytest.mark.parametrize("name, params, gmacs", [
    ("resnet18", 11_689_512, 1.814), ("resnet34", 21_797_672, 3.664), ("resnet50", 25_557_032, 4.089),
    ("resnet101", 44_549_160, 7.801), ("resnet152", 60_192_808, 11.514),
    ("wide_resnet50_2", 68_883_240, 11.398), ("resnext50_32x4d", 25_028_904, 4.230),
])
def test_matches_torchvision(name: str, params: int, gmacs: float) -> None:
    model = models.get_model(name)
    assert num_params(model) == params
    assert round(costs.count(model, (1, 3, 224, 224)).macs / 1e9, 3) == gmacs
    reference = getattr(torchvision.models, name)()
    with_batchnorm_statistics(reference)
    assert_equivalent(model, reference, (1, 3, 64, 64))


def test_cifar_resnets_have_the_papers_sizes() -> None:
    # He et al. 2016, Table 6: ResNet-20 0.27 M and ResNet-56 0.85 M parameters (option A shortcuts);
    # option B adds two 1×1 projections with BN: 16·32 + 2·32 + 32·64 + 2·64 = 2,752 parameters.
    assert num_params(models.resnet20()) == 272_474
    assert num_params(models.resnet56()) == 855_770
    assert num_params(models.resnet20()) - (16 * 32 + 2 * 32 + 32 * 64 + 2 * 64) == 269_722  # option A: 0.27 M
    model = models.resnet20()
    assert sum(isinstance(m, nn.Conv2d) for m in model.modules()) - 2 + 1 == 20  # 19 convs + fc, shortcuts aside
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert model.forward_features(torch.zeros(2, 3, 32, 32)).shape == (2, 64, 8, 8)


def test_plain_network_has_no_shortcuts() -> None:
    plain = models.resnet20(residual=False)
    residual = models.resnet20()
    assert all(b.downsample is None for b in plain.modules() if isinstance(b, models.BasicBlock))
    # the plain net lacks exactly the two projection shortcuts
    assert num_params(residual) - num_params(plain) == 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64
    block = models.BasicBlock(8, 8)
    plain_block = models.BasicBlock(8, 8, residual=False)
    plain_block.load_state_dict(block.state_dict())
    x = torch.randn(2, 8, 6, 6)
    block.eval(), plain_block.eval()
    torch.testing.assert_close(block(x), torch.relu(plain_block.bn2(plain_block.conv2(
        plain_block.relu(plain_block.bn1(plain_block.conv1(x))))) + x))


def test_zero_init_residual_makes_every_block_the_identity_map() -> None:
    model = models.resnet20(zero_init_residual=True).eval()
    block = model.layer1[1]
    x = torch.relu(torch.randn(2, 16, 8, 8))  # a block's input is the output of a ReLU
    torch.testing.assert_close(block(x), x)


def test_preactivation_block() -> None:
    block = models.PreActBlock(8, 8).eval()
    x = torch.randn(2, 8, 5, 5)
    nn.init.zeros_(block.conv2.weight)
    torch.testing.assert_close(block(x), x)  # nothing after the sum: the shortcut is a pure identity
    down = models.PreActBlock(8, 16, stride=2)
    assert down(x).shape == (2, 16, 3, 3) and isinstance(down.downsample, nn.Conv2d)
    net = models.preact_resnet18(num_classes=10, small_input=True)
    assert isinstance(net.final[0], nn.BatchNorm2d) and isinstance(net.bn1, nn.Identity)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_stage_table_must_match_widths() -> None:
    with pytest.raises(ValueError, match=re.escape("depths (1, 1) and widths (16, 32, 64) need one entry per stage")):
        models.ResNet(models.BasicBlock, (1, 1), widths=(16, 32, 64))
    with pytest.raises(ValueError, match="BasicBlock supports only groups=1"):
        models.resnet18(groups=32)


def test_resnet_input_errors() -> None:
    msg = ("ResNet needs inputs of at least 32×32 pixels; got 16×16. Its stem and stages shrink the image "
           "32-fold; for CIFAR-sized images build it with small_input=True.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.resnet18()(torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match="ResNet was built for 3-channel images; got 1 channels"):
        models.resnet20()(torch.zeros(1, 1, 32, 32))
