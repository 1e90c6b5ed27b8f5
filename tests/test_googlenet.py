"""GoogLeNet: equivalence with torchvision (with and without auxiliary classifiers), the paper's 5×5 kernels, errors."""
from __future__ import annotations

import re

import pytest
import torch
import torchvision

from _equivalence import with_batchnorm_statistics
from cnncourse import costs, models
from cnncourse.reference import assert_equivalent, num_params


def _trained_reference(aux_logits: bool) -> torch.nn.Module:
    return with_batchnorm_statistics(torchvision.models.googlenet(aux_logits=aux_logits, init_weights=True))


@pytest.mark.parametrize("aux_logits, params", [(False, 6_624_904), (True, 13_004_888)])
def test_matches_torchvision(aux_logits: bool, params: int) -> None:
    model = models.googlenet(aux_logits=aux_logits)
    assert num_params(model) == params
    assert_equivalent(model, _trained_reference(aux_logits), (1, 3, 224, 224))


def test_auxiliary_outputs_in_training_mode_match_torchvision() -> None:
    reference = _trained_reference(True)
    model = models.googlenet(aux_logits=True)
    model.load_state_dict(reference.state_dict())
    x = torch.randn(2, 3, 224, 224)
    torch.manual_seed(0)
    ours = model.train()(x)
    torch.manual_seed(0)
    theirs = reference(x)
    assert isinstance(ours, models.GoogLeNetOutputs)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)
    assert isinstance(model.eval()(x), torch.Tensor)  # eval mode: the main logits only


def test_counts_and_the_papers_5x5_kernels() -> None:
    model = models.googlenet()
    assert costs.count(model, (1, 3, 224, 224)).macs == 1_498_376_192
    # 5×5 instead of 3×3 in the nine "5×5" branches adds (25 − 9)·reduce·out weights each
    rows = [(16, 32), (32, 96), (16, 48), (24, 64), (24, 64), (32, 64), (32, 128), (32, 128), (48, 128)]
    assert num_params(models.googlenet(kernel_5x5=5)) - num_params(model) == sum(16 * r * o for r, o in rows) == 380_928
    modules = [m for m in model.modules() if isinstance(m, models.Inception)]
    assert [m.out_channels for m in modules] == [256, 480, 512, 512, 512, 528, 832, 832, 1024]


def test_cifar_variant() -> None:
    model = models.googlenet(num_classes=10, small_input=True, width=0.25)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert model.inception5b.out_channels == 256


def test_too_small_input() -> None:
    msg = ("GoogLeNet needs inputs of at least 15×15 pixels; got 14×14. "
           "For CIFAR-sized images build it with small_input=True.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.googlenet()(torch.zeros(1, 3, 14, 14))
    models.googlenet().eval()(torch.zeros(1, 3, 15, 15))  # torchvision's documented minimum works


def test_one_by_one_reduction_example() -> None:
    # 14×14×480 input, 48 filters 5×5: 112.9 M multiplies directly; a 16-channel 1×1 reduction first
    # costs 1.5 M + 3.8 M = 5.3 M. Counted on real layers (weights only; biases off).
    direct = torch.nn.Conv2d(480, 48, 5, padding=2, bias=False)
    reduced = torch.nn.Sequential(torch.nn.Conv2d(480, 16, 1, bias=False), torch.nn.Conv2d(16, 48, 5, padding=2, bias=False))
    assert costs.count(direct, (1, 480, 14, 14)).macs == 14 * 14 * 48 * 5 * 5 * 480 == 112_896_000
    table = costs.layer_table(reduced, (1, 480, 14, 14))
    assert table["MACs"].tolist() == [1_505_280, 3_763_200]
    assert costs.count(reduced, (1, 480, 14, 14)).macs == 5_268_480
    assert round(112_896_000 / 5_268_480, 1) == 21.4
