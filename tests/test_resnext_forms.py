"""ResNeXt's three forms (Xie et al. 2017, Fig. 3) are the same function with the same weights."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from cnncourse import models
from cnncourse.reference import num_params


def _grouped_block(in_channels: int, planes: int, stride: int) -> models.Bottleneck:
    torch.manual_seed(0)
    block = models.Bottleneck(in_channels, planes, stride, groups=32, width_per_group=4)
    for m in block.modules():  # non-trivial BN statistics and affine parameters, so slicing errors show
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
            nn.init.normal_(m.weight)
            nn.init.normal_(m.bias)
    return block


@pytest.mark.parametrize("in_channels, planes, stride", [(256, 64, 1), (256, 128, 2)])
@pytest.mark.parametrize("training", [False, True])
def test_split_transform_merge_early_concat_and_grouped_conv_agree(in_channels: int, planes: int, stride: int,
                                                                   training: bool) -> None:
    grouped = _grouped_block(in_channels, planes, stride).train(training)
    split = models.split_transform_merge(grouped)
    concat = models.early_concatenation(grouped)
    assert len(split.paths) == len(concat.paths) == 32
    assert split.paths[0][3].out_channels == 4 * planes // 64  # d = 4 for 64 planes, 8 for 128
    assert num_params(split) == num_params(concat) == num_params(grouped)
    x = torch.randn(2, in_channels, 8, 8)
    with torch.no_grad():
        c = grouped(x)
        torch.testing.assert_close(split(x), c)
        torch.testing.assert_close(concat(x), c)


def test_forms_need_a_plain_grouped_bottleneck() -> None:
    with pytest.raises(TypeError, match="Bottleneck"):
        models.split_transform_merge(models.BasicBlock(8, 8))
