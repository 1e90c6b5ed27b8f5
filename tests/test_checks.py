"""The answer checks of every problem set in exercises/ against answers measured on real layers, right and wrong.

Every reference answer and every typical wrong answer is computed in
``_reference_answers.py`` from the layers the problem describes (or from the
mistake the hint names), not from :mod:`cnncourse.costs`, so a wrong expected
value or a hint attached to the wrong number in :mod:`cnncourse.checks` fails here.
"""
from __future__ import annotations

import ast
import decimal
import fractions
import inspect
import math
import re
import sys
from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import _reference_answers as ref
from cnncourse import checks, models
from cnncourse.layers import SqueezeExcite
from cnncourse.models.efficientnet import SCALING, compound_coefficients

CHECKS: dict[str, Callable[[object], bool]] = {
    name: fn for name, fn in vars(checks).items() if re.fullmatch(r"ex\d\d_\w+", name) and callable(fn)
}

# The numbers themselves, so a change in a reference helper cannot go unnoticed either.
EXPECTED = {
    "ex01_output_size": 112,  # ⌊(224 + 2·3 − 7)/2⌋ + 1
    "ex01_grouped_conv_params": 18_560,  # 3·3·16·128 + 128
    "ex01_conv_macs": 57_802_752,  # 3·3·64·128 · 28·28
    "ex01_receptive_field": 24,  # 1 + 2 + 2 + 1 + 2·2 + 2·2 + 1·2 + 2·4
    "ex01_bn_redundant_params": 192,  # 64 + 128 conv biases
    "ex01_lenet_params": 61_706,  # 156 + 2,416 + 48,120 + 10,164 + 850
    "ex02_conv1_output_size": 54,  # ⌊(224 − 11)/4⌋ + 1
    "ex02_grouped_conv2_params": 307_456,  # 5·5·48·256 + 256
    "ex02_fc_params": 58_631_144,  # (6·6·256·4096 + 4096) + (4096·4096 + 4096) + (4096·1000 + 1000)
    "ex02_zfnet_conv1_macs": 170_755_200,  # 7·7·3·96 · 110·110
    "ex02_zfnet_pool1_size": 54,  # ⌊(110 − 3)/2⌋ + 1
    "ex02_dropout_kept_value": 5.0,  # 4 / (1 − 0.2)
    "ex03_two_3x3_vs_5x5_params": 458_496,  # (25·256² + 256) − 2·(9·256² + 256)
    "ex03_conv5_3_receptive_field": 196,  # 1 + 2·(2 + 2·2 + 3·4 + 3·8 + 3·16) + (1 + 2 + 4 + 8)
    "ex03_conv3_2_macs": 1_849_688_064,  # 3·3·256·256 · 56·56
    "ex03_conv1_1_activation_mb": 12.845056,  # 64·224·224 · 4 bytes / 10⁶
    "ex03_fc6_params": 102_764_544,  # 7·7·512·4096 + 4096
    "ex03_vgg16_bn_extra_params": 8_448,  # 2·(2·64 + 2·128 + 3·256 + 3·512 + 3·512)
    "ex04_reduction_macs": 5_268_480,  # 480·16·14·14 + 5·5·16·48·14·14
    "ex04_inception4e_channels": 832,  # 256 + 320 + 128 + 128
    "ex04_inception3a_params": 164_064,  # 163,328 conv weights + 2·368 BatchNorm
    "ex04_stem_macs": 477_675_520,  # 7·7·3·64·112² + 64·64·56² + 3·3·64·192·56²
    "ex04_flatten_head_params": 50_177_000,  # 7·7·1024·1000 + 1000
    "ex04_aux_classifier_params": 3_188_968,  # 512·128 + 2·128 + (2048·1024 + 1024) + (1024·1000 + 1000)
    "ex05_basic_block_params": 73_984,  # 2·3·3·64·64 + 2·2·64
    "ex05_bottleneck_params": 70_400,  # 256·64 + 9·64·64 + 64·256 + 2·(64 + 64 + 256)
    "ex05_projection_params": 132_096,  # 256·512 + 2·512
    "ex05_resnet50_convs": 53,  # 1 + 3·16 + 4
    "ex05_cifar_depth": 110,  # 6·18 + 2
    "ex05_v1_5_extra_macs": 77_070_336,  # 256·128·(56² − 28²)
    "ex06_grouped_conv_params": 4_608,  # 3·3·(128/32)·128
    "ex06_template_weights": 70_144,  # 256·128 + 3·3·4·128 + 128·256 = 32·(256·4 + 3·3·4·4 + 4·256)
    "ex06_wrn_extra_params": 2_294_784,  # (1024·512 + 9·512² + 512·1024 + 2·2048) − (… 256 … + 2·1536)
    "ex06_cardinality": 8,  # 8·(256·14 + 9·14² + 14·256) = 71,456 ≈ 69,632
    "ex06_expected_active_blocks": 40.25,  # 54 − 0.5·55/2
    "ex07_layer_input_channels": 544,  # 256 + 9·32
    "ex07_final_channels": 1024,  # 512 + 16·32
    "ex07_dense_layer_params": 107_840,  # 2·544 + 544·128 + 2·128 + 9·128·32
    "ex07_transition_params": 526_336,  # 2·1024 + 1024·512
    "ex07_dense_layer_macs": 20_873_216,  # (544·128 + 9·128·32)·14·14
    "ex08_se_unit_params": 8_464,  # (256·16 + 16) + (16·256 + 256)
    "ex08_se_overhead": 2_530_992,  # Σ over 16 blocks of 2C²/16 + C/16 + C
    "ex08_se_extra_macs": 2_514_944,  # Σ 2C²/16
    "ex08_reduction_ratio": 32,  # 1,273,048 ≤ 5% of 25,557,032 < 2,530,992
    "ex08_se_pre_params": 33_312,  # 2·512·32 + 32 + 512
    "ex09_separable_macs": 54_992_896,  # 3·3·128·56² + 128·128·56²
    "ex09_separable_fraction": 0.1130642361111111,  # 1/512 + 1/9
    "ex09_separable_params": 134_912,  # 3·3·256 + 2·256 + 256·512 + 2·512
    "ex09_width_resolution_macs": 76_524_800,  # 0.5 MobileNet-160 counted layer by layer (paper: 76 M)
    "ex09_inverted_residual_params": 10_000,  # (24·144 + 2·144) + (3·3·144 + 2·144) + (144·32 + 2·32)
    "ex09_residual_blocks": 10,  # 17 blocks − the 7 stages' first blocks
    "ex10_compound_base": 1.92027,  # 1.2·1.1²·1.15²
    "ex10_compound_flops": 7.080874403923683,  # (1.2·1.1²·1.15²)³
    "ex10_b4_blocks": 32,  # ⌈1.8·n⌉ per stage: 2 + 4 + 4 + 6 + 6 + 8 + 2
    "ex10_se_params": 5_050,  # (240·10 + 10) + (10·240 + 240), 10 = 40/4
    "ex10_b3_first_width": 24,  # make_divisible(16·1.2 = 19.2): 16 would cut 17%
    "ex10_mbconv_macs": 11_717_760,  # 40·240·28² + 3·3·240·14² + 2·240·10 + 240·80·14²
    "ex11_stage_ratio_macs": 436_731_904,  # (3 − 1) bottlenecks of 218,365,952 MACs each
    "ex11_patchify_stem_macs": 108_380_160,  # 7·7·3·64·112² − 4·4·3·64·56²
    "ex11_block_params": 79_296,  # (49·96 + 96) + 2·96 + (96·384 + 384) + (384·96 + 96) + 96 = 8C² + 58C
    "ex11_block_macs": 245_962_752,  # (7·7·96 + 2·96·384)·56²
    "ex11_vit_tokens": 577,  # (384/16)² + 1
    "ex11_vit_block_params": 7_087_872,  # 4·768 + (4·768² + 4·768) + (768·3072 + 3072 + 3072·768 + 768)
    "ex12_head_params": 2_565,  # 512·5 + 5
    "ex12_layer4_params": 8_396_293,  # 8,393,728 (layer4) + 2,565 (head)
    "ex12_training_steps": 30,  # 10 epochs · ⌊5·50/64⌋
    "ex12_error_reduction": 0.19807289484708873,  # (80.858 − 76.13) / (100 − 76.13)
    "ex12_resize_width": 347,  # int(232·640/427) = int(347.73)
    "ex13_params_ratio": 5.621867515758481,  # 143,678,248 / 25,557,032
    "ex13_fc_share": 0.8605537561955795,  # 123,642,856 / 143,678,248
    "ex13_resnet50_flops": 8.178,  # 2 · 4.089 GMACs
    "ex13_macs_ratio": 10.593264248704664,  # 4.089 / 0.386 GMACs
    "ex13_vit_fp16_mb": 173.135312,  # 86,567,656 · 2 bytes / 10⁶
}


def test_every_check_has_a_reference_answer_and_an_expected_value() -> None:
    assert sorted(CHECKS) == sorted(ref.REFERENCE) == sorted(EXPECTED)
    assert {name[:4] for name in CHECKS} >= {"ex01", "ex02", "ex03", "ex04", "ex05", "ex06", "ex07", "ex08", "ex09",
                                             "ex10", "ex11", "ex12", "ex13"}


# ---- (a) the reference answer, measured on real layers, passes -------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_answer_is_correct(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    answer = ref.REFERENCE[name]()
    assert answer == EXPECTED[name]
    assert CHECKS[name](answer) is True
    out = capsys.readouterr().out
    assert out.startswith(f"Correct: {answer:,}.")
    assert "Hint" not in out and "Not yet" not in out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_answer_as_float_is_correct(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKS[name](float(EXPECTED[name])) is True
    assert capsys.readouterr().out.startswith("Correct")


def test_bias_before_batchnorm_changes_nothing() -> None:
    """Train mode: the same BN output with and without the conv biases; every other parameter matters."""
    net = ref.randomized_conv_bn_net()
    without = ref.bias_free_copy(net).train()
    x = ref.bn_input()
    with torch.no_grad():
        with_bias, without_bias = net(x), without(x)
    assert net[0].bias.abs().min() > 0 and net[3].bias.abs().min() > 0  # the biases really are there
    torch.testing.assert_close(with_bias, without_bias, atol=1e-4, rtol=1e-4)
    assert ref.num_params(net) - ref.num_params(without) == 64 + 128
    # Perturbing each parameter tensor in turn: only the two conv biases leave the output unchanged.
    assert ref.redundant_parameters() == {"0.bias": 64, "3.bias": 128}


@pytest.mark.parametrize("layers,field", [
    ([("conv", 3, 1)], 3),
    ([("conv", 3, 1), ("conv", 3, 1)], 5),  # two 3×3 see as far as one 5×5
    ([("pool", 2, 2)], 2),
    ([("pool", 2, 2), ("conv", 3, 1)], 6),
    ([("conv", 7, 2), ("pool", 3, 2)], 11),
])
def test_receptive_field_measurement_on_known_stacks(layers: list[tuple[str, int, int]], field: int) -> None:
    assert ref.measured_receptive_field(layers) == field


def test_exercises_02_describe_the_course_models() -> None:
    """The layers the problems of exercises/02 describe are the ones in alexnet_paper(), alexnet() and zfnet()."""
    paper = ref.alexnet_paper_model()
    conv1, conv2 = ref.convs_of(paper)[:2]
    assert (conv1.kernel_size, conv1.stride, conv1.padding) == ((11, 11), (4, 4), (0, 0))
    assert (conv2.in_channels, conv2.out_channels, conv2.kernel_size, conv2.groups) == (96, 256, (5, 5), 2)
    assert [(m.in_features, m.out_features) for m in ref.linears_of(paper)] == [(6 * 6 * 256, 4096), (4096, 4096),
                                                                               (4096, 1000)]
    assert ref.conv5_output_shape() == (1, 256, 13, 13)
    assert ref.output_shape(paper.features, (1, 3, 227, 227)) == (1, 256, 6, 6)
    # The FC layers hold 96% of the paper's parameters.
    assert round(ref.fc_params() / ref.num_params(paper), 2) == 0.96
    # torchvision's single-tower AlexNet gets 55 from 224 with padding 2 (the explanation's claim).
    tv_conv1 = models.alexnet().features[0]
    assert tv_conv1.padding == (2, 2) and ref.output_shape(tv_conv1, (1, 3, 224, 224))[-2] == 55
    zf = ref.zfnet_model()
    zf_conv1 = ref.convs_of(zf)[0]
    assert (zf_conv1.kernel_size, zf_conv1.stride, zf_conv1.padding) == ((7, 7), (2, 2), (1, 1))
    assert ref.zfnet_conv1_height() == 110
    # The course's zfnet() reaches the paper's 55 with ceil_mode=True, as the hint says.
    pool1 = zf.features[2]
    assert isinstance(pool1, nn.MaxPool2d) and pool1.ceil_mode
    assert ref.output_shape(zf.features[:3], (1, 3, 224, 224))[-2] == 55
    # ZFNet's conv1 costs 1.6× AlexNet's.
    alex_conv1_macs = ref.counted_macs(conv1, torch.zeros(1, 3, 227, 227))
    assert round(ref.zfnet_conv1_macs() / alex_conv1_macs, 1) == 1.6


def test_inverted_dropout_keeps_the_expected_value() -> None:
    torch.manual_seed(0)
    out = nn.Dropout(0.2).train()(torch.full((1_000_000,), 4.0))
    assert abs(out.mean().item() - 4.0) < 0.02
    assert abs((out == 0).float().mean().item() - 0.2) < 0.005


def test_exercises_03_describe_vgg16() -> None:
    """The layers the problems of exercises/03 describe are the ones in vgg16() and vgg16_bn()."""
    conv3_2, conv2_2 = ref.vgg16_conv("conv3_2"), ref.vgg16_conv("conv2_2")
    assert (conv3_2.in_channels, conv3_2.out_channels, conv3_2.padding) == (256, 256, (1, 1))
    assert ref.vgg16_input_of(conv3_2) == (1, 256, 56, 56)
    # Halving H and W while doubling C keeps the MACs: conv2_2 costs as much as conv3_2.
    assert ref.vgg16_input_of(conv2_2) == (1, 128, 112, 112)
    assert ref.counted_macs(conv2_2, torch.zeros(1, 128, 112, 112)) == ref.conv3_2_macs()
    assert ref.conv1_1_output().shape == (1, 64, 224, 224) and ref.conv1_1_output().dtype == torch.float32
    # The ReLU after conv1_1 works in place: conv1_1's output is the only tensor that layer pair adds.
    assert ref.vgg16_model().features[1].inplace
    fc6 = ref.vgg16_fc6()
    assert fc6.in_features == math.prod(ref.output_shape(ref.vgg16_model().features, (1, 3, 224, 224))[1:])
    assert ref.conv5_3_output_shape() == (1, 512, 14, 14)
    assert round(ref.fc6_params() / ref.num_params(ref.vgg16_model()), 2) == 0.74
    assert len(ref.vgg16_bn_layers()) == len(ref.convs_of(ref.vgg16_model())) == 13
    # vgg16_bn() keeps every conv bias, though each one feeds a BatchNorm (the "Going further" of problem 6).
    assert all(conv.bias is not None for conv in ref.convs_of(ref.vgg16_model(batch_norm=True)))
    # Two stacked 3×3 convolutions see as far as one 5×5.
    assert ref.measured_receptive_field([("conv", 3, 1), ("conv", 3, 1)]) == \
        ref.measured_receptive_field([("conv", 5, 1)]) == 5


def test_exercises_04_describe_googlenet() -> None:
    """The layers the problems of exercises/04 describe are the ones in googlenet(), and the explanations hold."""
    # The Table 1 rows in cnncourse.checks are the modules' own widths.
    for name, row in [("inception3a", checks.ex04._INCEPTION_3A), ("inception4a", checks.ex04._INCEPTION_4A),
                      ("inception4d", checks.ex04._INCEPTION_4D), ("inception4e", checks.ex04._INCEPTION_4E)]:
        m = getattr(ref.googlenet_model(), name)
        widths = (m.branch1.conv.in_channels, m.branch1.conv.out_channels, m.branch2[0].conv.out_channels,
                  m.branch2[1].conv.out_channels, m.branch3[0].conv.out_channels, m.branch3[1].conv.out_channels,
                  m.branch4[1].conv.out_channels)
        assert widths == row, name
        assert ref.googlenet_input_of(name)[1] == row[0]
    # Problem 1: 4a reads 480×14×14; the paper's kernel is 5×5 with padding 2, the course's default 3×3.
    assert ref.googlenet_input_of("inception4a") == (1, 480, 14, 14)
    conv5 = ref.inception4a_5x5_branch()[1].conv
    assert (conv5.kernel_size, conv5.padding) == ((5, 5), (2, 2))
    assert ref.googlenet_model().inception4a.branch3[1].conv.kernel_size == (3, 3)
    assert round(ref.direct_5x5_macs() / ref.reduction_macs(), 1) == 21.4
    # Problem 3: BasicConv2d has no conv bias and a BatchNorm; the 3×3 branch holds 79%.
    inception3a = ref.googlenet_model(kernel_5x5=5).inception3a
    assert all(conv.bias is None for conv in ref.convs_of(inception3a))
    assert len(ref.bn_layers_of(inception3a)) == len(ref.convs_of(inception3a)) == 6
    assert round(ref.num_params(inception3a.branch2) / ref.inception3a_params(), 2) == 0.79
    # Problem 4: the stem's pools round up; it ends at 192×28×28; VGG-16 spends 20× as much to reach 28×28.
    net = ref.googlenet_model()
    assert net.maxpool1.ceil_mode and net.maxpool2.ceil_mode
    assert ref.output_shape(nn.Sequential(ref.googlenet_stem(), net.maxpool2), (1, 3, 224, 224)) == (1, 192, 28, 28)
    assert ref.output_shape(nn.Sequential(net.conv1, net.maxpool1), (1, 3, 224, 224))[-1] == 56
    features = ref.vgg16_model().features
    pool3 = [i for i, m in enumerate(features) if isinstance(m, nn.MaxPool2d)][2]
    assert ref.output_shape(features[:pool3 + 1], (1, 3, 224, 224)) == (1, 256, 28, 28)
    vgg_macs = ref.counted_macs(features[:pool3 + 1], torch.zeros(1, 3, 224, 224))
    assert round(vgg_macs / ref.stem_macs()) == 20
    # Problem 5: the final map is 1024×7×7; the flatten head is 49× the average-pooling head.
    assert ref.googlenet_final_map() == (1, 1024, 7, 7)
    assert round(ref.flatten_head_params() / ref.num_params(net.fc)) == 49
    # Problem 6: aux1 reads 4a's 512×14×14 output, pools it to 4×4, and is dropped in eval mode.
    with_aux = ref.googlenet_model(aux_logits=True)
    aux1 = with_aux.aux1
    assert ref.googlenet_input_of("aux1", aux_logits=True) == (1, 512, 14, 14)
    assert aux1.fc1.in_features == 4 * 4 * aux1.conv.conv.out_channels == 2048 and aux1.conv.conv.bias is None
    assert round((ref.num_params(aux1.fc1) + ref.num_params(aux1.fc2)) / ref.aux_classifier_params(), 2) == 0.98
    assert ref.num_params(with_aux) - ref.num_params(net) == 6_379_984
    with torch.no_grad():
        assert isinstance(with_aux.eval()(torch.zeros(1, 3, 224, 224)), torch.Tensor)


def test_exercises_05_describe_resnet() -> None:
    """The blocks the problems of exercises/05 describe are the ones in resnet18() and resnet50()."""
    r18, r50 = ref.resnet_model(18), ref.resnet_model(50)
    # Problem 1: ResNet-18's layer1[0] is 64 → 64 at stride 1, with an identity shortcut.
    block = ref.basic_block()
    assert ref.input_of(r18, block) == (1, 64, 56, 56) and block.downsample is None
    assert all(conv.bias is None for conv in ref.convs_of(block))
    # Problem 2: ResNet-50's layer1[1] is 256 → 64 → 64 → 256 with an identity shortcut; 16.8× a basic block.
    bottleneck = ref.bottleneck_block()
    assert [(c.in_channels, c.out_channels) for c in ref.convs_of(bottleneck)] == [(256, 64), (64, 64), (64, 256)]
    assert bottleneck.downsample is None
    assert round(ref.num_params(models.BasicBlock(256, 256)) / ref.bottleneck_params(), 1) == 16.8
    # Problem 3: layer2[0] reads 256×56×56; its shortcut is 1×1, stride 2, 256 → 512. Four projections in all.
    assert ref.first_block_input(2).shape == (1, 256, 56, 56)
    shortcut = ref.projection_shortcut()[0]
    assert (shortcut.in_channels, shortcut.out_channels, shortcut.kernel_size, shortcut.stride) == (256, 512, (1, 1),
                                                                                                    (2, 2))
    assert sum(ref.num_params(getattr(r50, f"layer{i}")[0].downsample) for i in (1, 2, 3, 4)) == 2_776_576
    # Problem 4: 50 weighted layers on the main path, and four projection shortcuts, stage 1's at stride 1.
    assert ref.weighted_layers(r50) == 50 and len(ref.shortcut_convs(r50)) == 4
    assert r50.layer1[0].downsample[0].stride == (1, 1)
    # Problem 5: 6n + 2, also for the paper's ResNet-20 and ResNet-56, and for the plain network (no shortcuts).
    assert ref.weighted_layers(models.resnet20()) == 20 and ref.weighted_layers(models.resnet56()) == 56
    plain = models.ResNet(models.BasicBlock, (18, 18, 18), widths=(16, 32, 64), num_classes=10, small_input=True,
                          residual=False)
    assert len(ref.convs_of(plain)) + len(ref.linears_of(plain)) == ref.cifar_depth() == 110
    # Problem 6: torchvision strides in the 3×3 (V1.5); the same extra cost at each of the three transitions,
    # 0.23 G in all: ResNet-50 counts 4.1 GMACs, 3.9 G with the paper's V1 strides.
    assert r50.layer2[0].conv1.stride == (1, 1) and r50.layer2[0].conv2.stride == (2, 2)
    assert ref.v1_5_extra_macs(2) == ref.v1_5_extra_macs(3) == ref.v1_5_extra_macs(4)
    v15, v1 = (ref.counted_macs(m, torch.zeros(1, 3, 224, 224)) for m in (r50, ref.resnet50_v1()))
    assert round(v15 / 1e9, 1) == 4.1 and round(v1 / 1e9, 1) == 3.9
    assert v15 - v1 == 3 * ref.v1_5_extra_macs() and round((v15 - v1) / 1e9, 2) == 0.23


def test_exercises_06_describe_wide_resnext() -> None:
    """The blocks the problems of exercises/06 describe are the ones in resnext50_32x4d() and wide_resnet50_2()."""
    # Problem 1: ResNeXt-50's first 3×3 is 128 → 128 in 32 groups, without bias; a dense one has 32× the weights.
    conv = ref.resnext_grouped_conv()
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.groups, conv.bias) == (128, 128, (3, 3), 32,
                                                                                               None)
    assert ref.num_params(nn.Conv2d(128, 128, 3, bias=False)) == 32 * ref.grouped_3x3_params()
    # Problem 2: layer1[1] is the template of Fig. 1 (right): 256 → 128 (32 groups) → 256, identity shortcut;
    # form (a), 32 separate paths 256-4-4-256, holds the same weights; ResNet's 256-64-64-256 has 69,632.
    template = ref.resnext_template()
    assert [(c.in_channels, c.out_channels, c.groups) for c in ref.convs_of(template)] == [(256, 128, 1),
                                                                                           (128, 128, 32),
                                                                                           (128, 256, 1)]
    assert template.downsample is None
    assert ref.conv_weights(models.split_transform_merge(template)) == ref.template_weights()
    assert ref.conv_weights(ref.bottleneck_block()) == 69_632
    # Problem 3: WRN-50-2's layer3[1] doubles the inner width only; 68.9 M against 25.6 M parameters, 2.7×.
    wide, narrow = ref.wide_resnet50_model().layer3[1], ref.resnet_model(50).layer3[1]
    assert [(c.in_channels, c.out_channels) for c in ref.convs_of(wide)] == [(1024, 512), (512, 512), (512, 1024)]
    assert [(c.in_channels, c.out_channels) for c in ref.convs_of(narrow)] == [(1024, 256), (256, 256), (256, 1024)]
    assert wide.downsample is None and narrow.downsample is None
    wrn, r50 = ref.num_params(ref.wide_resnet50_model()), ref.num_params(ref.resnet_model(50))
    assert (round(wrn / 1e6, 1), round(r50 / 1e6, 1), round(wrn / r50, 1)) == (68.9, 25.6, 2.7)
    # Problem 4: the rule reproduces every row of the ResNeXt paper's Table 2 (C, d) for ResNet-50's conv2.
    assert [ref.closest_cardinality(d) for d in (64, 40, 24, 14, 4)] == [1, 2, 4, 8, 32]
    # Problem 5: 54 blocks, p_l = 0.5·l/54; survival measured by running each block's StochasticDepth in training.
    p = ref.drop_probabilities()
    assert len(p) == 54 and p[-1] == 0.5 and p[0] == 0.5 / 54
    measured = sum(ref.measured_survival(drop, seed=i) for i, drop in enumerate(ref.stochastic_depth_modules()))
    assert abs(measured - ref.expected_active_blocks()) < 0.05
    assert round(1 - ref.expected_active_blocks() / len(p), 2) == 0.25  # "about 25% less time"


def test_exercises_07_describe_densenet() -> None:
    """The layers the problems of exercises/07 describe are the ones in densenet121(), and the table in ex07 is its."""
    model = ref.densenet121_model()
    blocks = [getattr(model.features, f"denseblock{i}") for i in (1, 2, 3, 4)]
    assert tuple(len(b) for b in blocks) == checks.ex07._DENSENET121
    assert model.features.conv0.out_channels == checks.ex07._STEM
    assert {layer.conv2.out_channels for b in blocks for layer in b.values()} == {checks.ex07._GROWTH}
    assert {layer.conv1.out_channels for b in blocks for layer in b.values()} == {4 * checks.ex07._GROWTH}
    # The blocks work on 56, 28, 14 and 7 pixels; problem 1's layer reads 544×14×14.
    assert tuple(ref.layer_input(i, 1)[-1] for i in (1, 2, 3, 4)) == checks.ex07._BLOCK_SIZES
    assert ref.layer_input() == (1, 544, 14, 14)
    # Problem 3: pre-activation, no conv bias; the 1×1 holds 65% of the layer's parameters.
    layer = ref.dense_layer()
    assert (layer.norm1.num_features, layer.conv1.bias, layer.conv2.bias) == (544, None, None)
    assert round(layer.conv1.weight.numel() / ref.dense_layer_params(), 2) == 0.65
    # Problem 4: transition3 is BN(1024)-ReLU-1×1 1024 → 512-2×2 average pool (no parameters).
    t3 = ref.transition3()
    assert (t3.norm.num_features, t3.conv.in_channels, t3.conv.out_channels) == (1024, 1024, 512)
    assert ref.num_params(t3.pool) == 0
    # Problem 2: the classifier reads the last block's 1024 channels: 1,025,000 parameters.
    assert ref.final_channels() == model.classifier.in_features and ref.num_params(model.classifier) == 1_025_000


def test_exercises_08_describe_senet() -> None:
    """The units the problems of exercises/08 describe are the ones in se_resnet50(), and the explanations hold."""
    se50, r50 = ref.se_resnet50_model(), ref.resnet_model(50)
    # Problem 1: layer1[0]'s unit gates its 256 output channels (56×56), 256 → 16 → 256 with biases.
    se = ref.se_unit()
    assert (se.fc1.in_channels, se.fc1.out_channels, se.fc2.out_channels) == (256, 16, 256)
    assert se.fc1.bias is not None and se.fc2.bias is not None
    assert ref.input_of(se50, se) == (1, 256, 56, 56)
    # Problem 2: one unit per bottleneck; they are all SE adds; the last stage's three hold 62%; ~28.1 M in all.
    units = ref.se_units(se50)
    assert len(units) == len(ref.bottlenecks(r50)) == 16
    assert sum(ref.num_params(u) for u in units) == ref.se_overhead()
    assert round(sum(ref.num_params(b.se) for b in se50.layer4) / ref.se_overhead(), 2) == 0.62
    assert round(ref.num_params(se50) / 1e6, 1) == 28.1
    # Problem 3: ResNet-50 counts 4.1 GMACs; SE adds 0.06% of that.
    r50_macs = ref.model_flops_and_se_inputs("resnet50")[0] // 2
    assert round(r50_macs / 1e9, 1) == 4.1 and round(100 * ref.se_extra_macs() / r50_macs, 2) == 0.06
    # Problem 4: r = 32 fits 5% (4.98%), r = 16 does not (9.9%).
    budget = 0.05 * ref.num_params(r50)
    assert ref.overhead_at_ratio(32) <= budget < ref.overhead_at_ratio(16)
    assert round(ref.overhead_at_ratio(16) / ref.num_params(r50), 3) == 0.099
    # Problem 5: SE-PRE's unit in layer3[0] gates the block's 512×28×28 input; the standard one its
    # 1024×14×14 output.
    pre = ref.se_resnet50_model(se_position="pre")
    assert ref.input_of(pre, pre.layer3[0].se) == (1, 512, 28, 28)
    assert ref.input_of(se50, se50.layer3[0].se) == (1, 1024, 14, 14)
    assert round(ref.se_pre_params() / ref.num_params(se50.layer3[0].se), 2) == 0.25


def test_exercises_09_describe_mobilenet() -> None:
    """The layers the problems of exercises/09 describe are the ones in mobilenet_v1() and mobilenet_v2()."""
    # The notebook's table: (input channels, output channels, stride, output side) of features[0] … features[13].
    v1 = ref.mobilenet_v1_model()
    rows, x = [], torch.zeros(1, 3, 224, 224)
    with torch.no_grad():
        for layer in v1.features:
            first = ref.convs_of(layer)[0]
            x = layer(x)
            rows.append((first.in_channels, x.shape[1], first.stride[0], x.shape[-1]))
    assert rows == [(3, 32, 2, 112), (32, 64, 1, 112), (64, 128, 2, 56), (128, 128, 1, 56), (128, 256, 2, 28),
                    (256, 256, 1, 28), (256, 512, 2, 14), *[(512, 512, 1, 14)] * 5, (512, 1024, 2, 7),
                    (1024, 1024, 1, 7)]
    assert (v1.classifier[-1].in_features, v1.classifier[-1].out_features) == (1024, 1000)
    assert all(conv.bias is None and conv.padding == (conv.kernel_size[0] // 2,) * 2 for conv in ref.convs_of(v1))
    # The notebook's Table 2 of the V2 paper is the model's setting; the stem outputs 32 channels.
    v2 = ref.mobilenet_v2_model()
    assert [tuple(row) for row in models.mobilenet.V2_SETTING] == [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                                                                   (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                                                                   (6, 320, 1, 1)]
    assert v2.features[0][0].out_channels == 32 and all(conv.bias is None for conv in ref.convs_of(v2.features))
    # Problem 1: features[3] reads 128×56×56; depthwise 3×3 (stride 1), pointwise 128 → 128, no conv biases;
    # the pointwise convolution does 93% of the work, a standard 3×3 would cost 8.4× as much.
    depthwise, pointwise = ref.depthwise_and_pointwise(ref.separable_layer())
    assert ref.v1_layer_input(3).shape == (1, 128, 56, 56)
    assert (depthwise.kernel_size, depthwise.stride, pointwise.out_channels) == ((3, 3), (1, 1), 128)
    assert depthwise.bias is None and pointwise.bias is None
    parts = ref.part_macs(ref.separable_layer(), ref.v1_layer_input(3))
    assert sum(parts.values()) == ref.separable_macs()
    assert round(parts["pointwise"] / ref.separable_macs(), 2) == 0.93
    assert round(ref.standard_macs(3) / ref.separable_macs(), 1) == 8.4
    # Problem 2: features[7] is 512 → 512 at 14×14, and the fraction is 1/N + 1/k² (8.84× cheaper).
    depthwise, pointwise = ref.depthwise_and_pointwise(ref.fraction_layer())
    assert ref.v1_layer_input(7).shape == (1, 512, 14, 14) and pointwise.out_channels == 512
    assert math.isclose(ref.separable_fraction(), 1 / 512 + 1 / 9)
    assert round(1 / ref.separable_fraction(), 2) == 8.84
    # Problem 3: features[6] strides in its depthwise 3×3 on 256 channels, then 256 → 512; one BatchNorm after
    # each convolution; the pointwise convolution holds 97% of the parameters.
    depthwise, pointwise = ref.depthwise_and_pointwise(ref.params_layer())
    assert (depthwise.in_channels, depthwise.stride, pointwise.out_channels) == (256, (2, 2), 512)
    assert [bn.num_features for bn in ref.bn_layers_of(ref.params_layer())] == [256, 512]
    assert round(pointwise.weight.numel() / ref.separable_params(), 2) == 0.97
    # Problem 4: 1.0 MobileNet-224 counts 568,740,352 MACs; 0.5 MobileNet-160 works on 80, 40, 20, 10 and 5
    # pixels; the paper's Table 7 lists 76 M; 13.5% of the full model against α²ρ² = 12.8%. The reasons the
    # hint gives: the stem shrinks as α·ρ², the classifier does not shrink with ρ.
    assert ref.v1_macs() == 568_740_352
    half = ref.mobilenet_v1_model(0.5)
    with torch.no_grad():
        sides, x = set(), torch.zeros(1, 3, 160, 160)
        for layer in half.features:
            x = layer(x)
            sides.add(x.shape[-1])
    assert sides == {80, 40, 20, 10, 5}
    assert ref.width_resolution_macs() // 1_000_000 == 76
    assert round(ref.width_resolution_macs() / ref.v1_macs(), 3) == 0.135
    assert round(0.5 ** 2 * (160 / 224) ** 2, 3) == 0.128
    full = ref.mobilenet_v1_model()
    stem_half = ref.counted_macs(half.features[0], torch.zeros(1, 3, 160, 160))
    stem_full = ref.counted_macs(full.features[0], torch.zeros(1, 3, 224, 224))
    assert math.isclose(stem_half / stem_full, 0.5 * (160 / 224) ** 2)
    assert ref.num_params(half.classifier[-1]) - half.classifier[-1].out_features == 512 * 1000
    # Problem 5: features[4] is 24 → 144 (t = 6) → 32, stride 2 in the depthwise 3×3, BN after each of the three
    # convolutions, no shortcut; ReLU6 has no parameters; the 1×1 convolutions hold 81%.
    expand, depthwise, project = ref.inverted_residual_convs()
    assert [(c.in_channels, c.out_channels) for c in (expand, depthwise, project)] == [(24, 144), (144, 144),
                                                                                      (144, 32)]
    assert depthwise.groups == 144 and depthwise.stride == (2, 2)
    assert len(ref.bn_layers_of(ref.inverted_residual())) == 3
    assert not ref.inverted_residual().use_res_connect
    assert all(ref.num_params(m) == 0 for m in ref.inverted_residual().modules() if isinstance(m, nn.ReLU6))
    assert round((expand.weight.numel() + project.weight.numel()) / ref.inverted_residual_params(), 2) == 0.81
    # Problem 6: a block adds its input exactly when its input and output shapes agree; 17 blocks in 7 stages;
    # the stride-1 first blocks change the width to 16, 96 and 320.
    blocks, shapes = ref.inverted_residuals(), ref.inverted_residual_shapes()
    assert len(blocks) == 17 and len({b.out_channels for b in blocks}) == 7
    assert [b.use_res_connect for b in blocks] == [i == o for i, o in shapes]
    assert sum(b.use_res_connect for b in blocks) == ref.residual_blocks()
    widened = [o[1] for (i, o), b in zip(shapes, blocks) if i[1] != o[1] and ref.convs_of(b)[-2].stride == (1, 1)]
    assert widened == [16, 96, 320]


def test_exercises_10_describe_efficientnet() -> None:
    """The blocks the problems of exercises/10 describe are the ones in efficientnet_b0() … b7(); the rule holds."""
    # The notebook's table: B0's stem (32 channels, stride 2), then per stage the first block's expansion,
    # kernel, stride and output channels; the head widens to 1280.
    b0 = ref.efficientnet_model("b0")
    assert (b0.features[0][0].out_channels, b0.features[0][0].stride) == (32, (2, 2))
    table = []
    for stage in b0.features[1:-1]:
        convs = ref.convs_of(stage[0])
        depthwise = next(c for c in convs if c.groups > 1)
        table.append((depthwise.in_channels // convs[0].in_channels, depthwise.kernel_size[0], depthwise.stride[0],
                      stage[0].out_channels))
    assert table == [(1, 3, 1, 16), (6, 3, 2, 24), (6, 5, 2, 40), (6, 3, 2, 80), (6, 5, 1, 112), (6, 5, 2, 192),
                     (6, 3, 1, 320)]
    assert b0.features[-1][0].out_channels == 1280
    # Problems 1 and 2: the package's constants are the paper's; a conv stack's MACs grow as d·w²·r² (integer
    # multipliers); φ = 3 gives d, w, r = 1.728, 1.331, 1.521 (a 341-pixel image); B3 is released as (1.2, 1.4, 300).
    assert compound_coefficients(1) == (float(ref.ALPHA), float(ref.BETA), float(ref.GAMMA))
    assert ref.conv_stack_macs(2 * 3, 2 * 8, 3 * 10) == 2 * 2 ** 2 * 3 ** 2 * ref.conv_stack_macs(3, 8, 10)
    assert [round(v, 3) for v in compound_coefficients(3)] == [1.728, 1.331, 1.521]
    assert round(224 * compound_coefficients(3)[2]) == 341
    assert (SCALING["b3"].width, SCALING["b3"].depth, SCALING["b3"].resolution) == (1.2, 1.4, 300)
    # Problem 3: B0's stages hold 1, 2, 2, 3, 3, 4, 1 blocks; B4's 2, 4, 4, 6, 6, 8, 2.
    assert ref.b0_stage_lengths() == [1, 2, 2, 3, 3, 4, 1]
    assert [len(stage) for stage in ref.efficientnet_model("b4").features[1:-1]] == [2, 4, 4, 6, 6, 8, 2]
    assert SCALING["b4"].depth == 1.8
    # Problem 4: features[4][0] is expand 40 → 240, depthwise 3×3 stride 2, SE 240 → 10 → 240 (biases), project
    # 240 → 80; in every block of B0 the SE unit squeezes to a quarter of the block's input.
    expand, depthwise = ref.convs_of(ref.mbconv_block())[:2]
    se = ref.mbconv_se()
    assert (expand.in_channels, expand.out_channels, depthwise.groups, depthwise.stride) == (40, 240, 240, (2, 2))
    assert (se.fc1.in_channels, se.fc1.out_channels, se.fc2.out_channels) == (240, 10, 240)
    assert se.fc1.bias is not None and se.fc2.bias is not None and ref.mbconv_block().out_channels == 80
    for block in ref.mbconv_blocks(ref.efficientnet_model("b0")):
        block_se = next(m for m in block.modules() if isinstance(m, SqueezeExcite))
        assert block_se.fc1.out_channels == max(1, ref.convs_of(block)[0].in_channels // 4)
    # Problem 5: B3's stage widths (the explanation's list).
    assert [stage[0].out_channels for stage in ref.efficientnet_model("b3").features[1:-1]] == [24, 32, 48, 96, 136,
                                                                                                232, 384]
    # Problem 6: the block reads 40×28×28 and outputs 80×14×14; 1×1 convolutions 96% of its MACs, SE 0.04%.
    assert ref.mbconv_input().shape == (1, 40, 28, 28) and ref.mbconv_sides() == (28, 14)
    shapes = ref.mbconv_conv_inputs()
    one_by_one = sum(ref.counted_macs(c, torch.zeros(shapes[c])) for c in ref.convs_of(ref.mbconv_block())
                     if c.kernel_size == (1, 1) and c not in (se.fc1, se.fc2))
    assert round(one_by_one / ref.mbconv_macs(), 2) == 0.96
    assert round(100 * (ref.mbconv_macs() - ref.mbconv_macs_without_se()) / ref.mbconv_macs(), 2) == 0.04


def _stage_shapes(net: nn.Module) -> list[tuple[int, int]]:
    """(channels, side) after the stem and after each stage of a meta-device RoadmapNet, on 224×224."""
    with torch.no_grad():
        x = net.stem(ref.meta_zeros(1, 3, 224, 224))
        shapes = [(x.shape[1], x.shape[-1])]
        for stage in net.stages:
            x = stage(x)
            shapes.append((x.shape[1], x.shape[-1]))
    return shapes


def test_exercises_11_describe_convnext() -> None:
    """The networks the problems of exercises/11 describe are the roadmap's, convnext_tiny()'s and vit_b_16()'s."""
    from cnncourse.models.convnext import ROADMAP

    steps = dict(ROADMAP)
    # The notebook's table: the roadmap starts at ResNet-50 (torchvision's layout), stem to 64×56×56, four stages
    # of 3, 4, 6, 3 bottlenecks with 256 … 2048 output channels on 56 … 7-pixel maps; convolutions without bias.
    assert [name for name, _ in ROADMAP[:3]] == [ref.RESNET50_STEP, ref.STAGE_RATIO_STEP, ref.PATCHIFY_STEP]
    resnet = ref.roadmap_net(ref.RESNET50_STEP)
    assert _stage_shapes(resnet) == [(64, 56), (256, 56), (512, 28), (1024, 14), (2048, 7)]
    assert [len(stage) for stage in resnet.stages] == [3, 4, 6, 3]
    assert all(conv.bias is None for conv in ref.convs_of(resnet))
    for stage, planes in zip(resnet.stages, (64, 128, 256, 512)):  # the later blocks: 4p → p → p → 4p, identity
        later = [[(c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0]) for c in ref.convs_of(b)]
                 for b in list(stage)[1:]]
        assert later == [[(4 * planes, planes, 1, 1), (planes, planes, 3, 1), (planes, 4 * planes, 1, 1)]] * len(later)
        assert all(isinstance(b.shortcut, nn.Identity) for b in list(stage)[1:])
        assert not isinstance(stage[0].shortcut, nn.Identity)
    # Problem 1: the step only changes the depths; every later bottleneck costs the same in every stage; the
    # networks count 4.1 and 4.5 GMACs (the paper: 4.1 → 4.5 GFLOPs).
    assert steps[ref.RESNET50_STEP].depths == (3, 4, 6, 3) and steps[ref.STAGE_RATIO_STEP].depths == (3, 3, 9, 3)
    assert [len(stage) for stage in ref.roadmap_net(ref.STAGE_RATIO_STEP).stages] == [3, 3, 9, 3]
    assert len({ref.one_bottleneck_macs(i) for i in range(4)}) == 1
    assert [round(ref.model_macs(ref.roadmap_net(step)) / 1e9, 1)
            for step in (ref.RESNET50_STEP, ref.STAGE_RATIO_STEP, ref.PATCHIFY_STEP)] == [4.1, 4.5, 4.4]
    # Problem 2: ResNet's stem is 7×7/2 (padding 3) + 3×3/2 max-pool, the patchify stem 4×4/4; both give 64×56×56,
    # the max-pool has no MACs, and the networks differ in their stems only.
    old, new = ref.roadmap_net(ref.STAGE_RATIO_STEP).stem, ref.roadmap_net(ref.PATCHIFY_STEP).stem
    assert (old[0].kernel_size, old[0].stride, old[0].padding, old[0].out_channels) == ((7, 7), (2, 2), (3, 3), 64)
    assert isinstance(old[3], nn.MaxPool2d) and (old[3].kernel_size, old[3].stride) == (3, 2)
    assert (new[0].kernel_size, new[0].stride, new[0].padding, new[0].out_channels) == ((4, 4), (4, 4), (0, 0), 64)
    assert ref.stem_output_shape(ref.STAGE_RATIO_STEP) == ref.stem_output_shape(ref.PATCHIFY_STEP) == (1, 64, 56, 56)
    assert ref.roadmap_stem_macs(ref.STAGE_RATIO_STEP) == ref.counted_macs(old[0], ref.meta_zeros(1, 3, 224, 224))
    assert ref.patchify_stem_macs() == ref.roadmap_stem_macs(ref.STAGE_RATIO_STEP) - ref.roadmap_stem_macs(ref.PATCHIFY_STEP)
    # Problem 3: the block is 7×7 depthwise (bias, padding 3), LayerNorm(96), Linear 96 → 384, GELU, Linear 384 → 96,
    # a layer scale of 96; ConvNeXt-T's stages; the explanation's shares (93% in the linears, 5.9% in the kernel).
    parts = ref.convnext_block_parts()
    dw = parts["depthwise"]
    assert (dw.in_channels, dw.out_channels, dw.kernel_size, dw.groups, dw.padding) == (96, 96, (7, 7), 96, (3, 3))
    assert dw.bias is not None and isinstance(parts["norm"], nn.LayerNorm) and parts["norm"].normalized_shape == (96,)
    assert (parts["expand"].in_features, parts["expand"].out_features) == (96, 384)
    assert (parts["project"].in_features, parts["project"].out_features) == (384, 96)
    assert isinstance(parts["gelu"], nn.GELU) and ref.num_params(parts["gelu"]) == 0
    assert ref.convnext_block().layer_scale.shape == (96, 1, 1)
    tiny = ref.convnext_tiny_meta()
    assert tiny.features[0][0].kernel_size == (4, 4) and tiny.features[0][0].stride == (4, 4)
    blocks = [[m for m in stage if isinstance(m, models.ConvNeXtBlock)] for stage in tiny.features]
    assert [(len(b), b[0].layer_scale.shape[0]) for b in blocks if b] == [(3, 96), (3, 192), (9, 384), (3, 768)]
    linear_weights = parts["expand"].weight.numel() + parts["project"].weight.numel()
    assert round(linear_weights / ref.convnext_block_params(), 2) == 0.93
    assert round(100 * dw.weight.numel() / ref.convnext_block_params(), 1) == 5.9
    # Problem 4: the block reads 96×56×56; its MACs are the depthwise conv's and the two linear layers' (LayerNorm,
    # GELU, layer scale and sum count none); the kernel does 6.0% of the work.
    assert ref.convnext_block_input() == (1, 96, 56, 56)
    pixels = ref.meta_zeros(1, 56, 56, 96)
    expand = ref.counted_macs(parts["expand"], pixels)
    project = ref.counted_macs(parts["project"], ref.meta_zeros(1, 56, 56, 384))
    assert ref.convnext_block_macs() == ref.convnext_depthwise_macs() + expand + project
    assert round(100 * ref.convnext_depthwise_macs() / ref.convnext_block_macs(), 1) == 6.0
    # Problem 5: ViT-B/16 is patch 16, D = 768, 12 blocks of 12 heads, MLP 3072; a 16×16 stride-16 patch embedding;
    # 197 tokens at 224 (the position embeddings' length), 577 at 384, 8.6× as many pairs.
    vit = ref.vit_meta()
    assert (vit.conv_proj.kernel_size, vit.conv_proj.stride, vit.conv_proj.out_channels) == ((16, 16), (16, 16), 768)
    assert len(vit.encoder.layers) == 12 and ref.num_params(vit) == 86_567_656
    assert ref.vit_tokens(224) == (1, 197, 768) and vit.encoder.pos_embedding.shape == (1, 197, 768)
    assert ref.vit_tokens(384) == (1, 577, 768) and ref.vit_meta(384).seq_length == 577
    assert round(577 ** 2 / 197 ** 2, 1) == 8.6
    # Problem 6: 12 heads of 64 dimensions; one D → 3D projection of queries, keys and values (with bias) and an
    # output projection, whatever the number of heads; MLP 768 → 3072 → 768; the MLP holds 67%.
    block = ref.encoder_block()
    attention = block.self_attention
    assert (attention.num_heads, attention.head_dim) == (12, 64)
    assert attention.in_proj_weight.shape == (3 * 768, 768) and attention.in_proj_bias.shape == (3 * 768,)
    assert attention.out_proj.bias is not None
    with torch.device("meta"):
        assert ref.num_params(nn.MultiheadAttention(768, 12)) == ref.num_params(nn.MultiheadAttention(768, 1))
    assert [(m.in_features, m.out_features) for m in block.mlp if isinstance(m, nn.Linear)] == [(768, 3072),
                                                                                               (3072, 768)]
    assert round(ref.num_params(block.mlp) / ref.encoder_block_params(), 2) == 0.67


def test_exercises_12_describe_transfer_learning() -> None:
    """The models, data and torchvision metadata the problems of exercises/12 describe, and the explanations."""
    import torchvision.models as tv

    # ResNet-18: stem 7×7 to 64 channels with BN; two basic blocks per stage of 64 … 512 channels; layer2[0] …
    # layer4[0] stride 2 with a 1×1 stride-2 conv + BN projection; convolutions without bias; fc 512 → 1000.
    r18 = ref.resnet_model(18)
    assert (r18.conv1.kernel_size, r18.conv1.out_channels) == ((7, 7), 64) and isinstance(r18.bn1, nn.BatchNorm2d)
    assert [len(getattr(r18, f"layer{i}")) for i in (1, 2, 3, 4)] == [2, 2, 2, 2]
    assert [getattr(r18, f"layer{i}")[0].conv2.out_channels for i in (1, 2, 3, 4)] == [64, 128, 256, 512]
    assert all(conv.bias is None for conv in ref.convs_of(r18))
    for i in (2, 3, 4):
        first = getattr(r18, f"layer{i}")[0]
        conv, bn = first.downsample
        assert first.conv1.stride == (2, 2) and (conv.kernel_size, conv.stride) == ((1, 1), (2, 2))
        assert isinstance(bn, nn.BatchNorm2d)
    assert r18.layer1[0].downsample is None
    assert (r18.fc.in_features, r18.fc.out_features) == (512, 1000) and r18.fc.bias is not None
    # Problems 1 and 2: the explanations' shares (head 0.023%, a backbone of 11.2 M, layer4 75%).
    whole = ref.trainable_params(ref.transfer_resnet18("all"))
    assert round(100 * ref.head_params() / whole, 3) == 0.023 and round((whole - ref.head_params()) / 1e6, 1) == 11.2
    assert round(ref.num_params(ref.transfer_resnet18("all").layer4) / whole, 2) == 0.75
    # Problem 3: select keeps the named classes, relabelled, with the first 50 training images of each and every
    # test image; fit drops the last partial batch (3 steps for 250 images of batch 64); cifar10_subset's default
    # is 2,000 training images per class.
    from cnncourse.data import cifar10_subset

    target = ref.target_data()
    assert len(target.x_train) == 250 and target.y_train.bincount().tolist() == [50] * 5
    assert len(target.x_test) == 5 * 2 and target.classes == ref.TARGET_CLASSES
    assert ref.counted_training_steps(target, epochs=1) == 250 // 64 == 3
    assert inspect.signature(cifar10_subset).parameters["n_train_per_class"].default == 2000
    # Problem 4: V1 and V2 are the same architecture (same parameter count), V2 is DEFAULT; 20% fewer errors.
    v1, v2 = ref.resnet50_weights(1), ref.resnet50_weights(2)
    assert v1.meta["num_params"] == v2.meta["num_params"] == ref.num_params(ref.resnet_model(50))
    assert tv.ResNet50_Weights.DEFAULT is v2
    assert (ref.resnet50_metric(1), ref.resnet50_metric(2)) == (76.13, 80.858)
    assert round(ref.error_reduction(), 2) == 0.20
    # Problem 5: V2 resizes to 232 and crops 224, V1 resizes to 256; the photo becomes 232 × 347, then 224 × 224.
    assert (v2.transforms().resize_size, v2.transforms().crop_size) == ([232], [224])
    assert (v1.transforms().resize_size, v1.transforms().crop_size) == ([256], [224])
    assert ref.resized_photo(2) == (3, 232, 347) and ref.preprocessed_photo(2) == (3, 224, 224)
    assert round(ref.resize_width_unrounded(), 2) == 347.73


def _glance_rows() -> list[str]:
    """The rows of the summary table as the intro of exercises/13 prints them, from at_a_glance()."""
    from cnncourse.reference import at_a_glance

    rows = []
    for arch, row in at_a_glance(counted=False).iterrows():
        params = round(row["params (M)"] * 1e6)
        rows.append(f"| {arch} | {row['year']} | {row['acc@1']:.3f} | {row['acc@5']:.3f} | {params:,} | "
                    f"{row['GFLOPs']:.3f} | {row['crop']} |")
    return rows


def test_exercises_13_describe_at_a_glance() -> None:
    """The table in exercises/13 is at_a_glance()'s; the course's models reproduce the figures the problems use."""
    import json
    from pathlib import Path

    from cnncourse.reference import GLANCE, weights_from_name

    notebook = json.loads((Path(__file__).resolve().parent.parent / "exercises" / "13_at_a_glance.ipynb").read_text())
    intro = "".join(notebook["cells"][0]["source"])
    assert all(row in intro.splitlines() for row in _glance_rows()), "the table differs from at_a_glance()"
    # The course's models count the table's parameters and, rounded as torchvision rounds, its GFLOPs.
    for builder, weights in (("vgg19_bn", "VGG19_BN_Weights"), ("resnet50", "ResNet50_Weights"),
                             ("efficientnet_b0", "EfficientNet_B0_Weights"), ("vit_b_16", "ViT_B_16_Weights")):
        meta = weights_from_name(f"{weights}.IMAGENET1K_V1").meta
        assert ref.num_params(ref.glance_model(builder)) == meta["num_params"], builder
        assert ref.gmacs_rounded(builder) == meta["_ops"], builder
    # Problem 1: VGG-19-BN has 5.6× the parameters and 4.8× the MACs for 1.9 points less top-1 accuracy.
    acc = {arch: weights_from_name(name).meta["_metrics"]["ImageNet-1K"]["acc@1"]
           for arch, _, name, _ in GLANCE}
    assert round(ref.params_ratio(), 1) == 5.6
    assert round(ref.gmacs_rounded("vgg19_bn") / ref.gmacs_rounded("resnet50"), 1) == 4.8
    assert round(acc["ResNet-50"] - acc["VGG-19-BN"], 1) == 1.9
    # Problem 2: 16 3×3 convolutions (2, 2, 4, 4, 4; 64 … 512 channels) with bias and BN; the head
    # 7·7·512 → 4096 → 4096 → 1000 with biases; 86% of the parameters (VGG-16: 89%).
    vgg = ref.glance_model("vgg19_bn")
    convs = ref.convs_of(vgg)
    assert [c.out_channels for c in convs] == [64] * 2 + [128] * 2 + [256] * 4 + [512] * 8
    assert all(c.kernel_size == (3, 3) and c.bias is not None for c in convs)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in vgg.modules()) == 16
    assert sum(isinstance(m, nn.MaxPool2d) for m in vgg.modules()) == 5
    assert [(m.in_features, m.out_features) for m in ref.linears_of(vgg)] == [(7 * 7 * 512, 4096), (4096, 4096),
                                                                             (4096, 1000)]
    assert all(m.bias is not None for m in ref.linears_of(vgg))
    assert round(ref.fc_share(), 2) == 0.86 and round(ref.fc_share("vgg16"), 2) == 0.89
    # Problem 3: torchvision's _ops are MACs: ResNet-50 counts 4.089 G multiply-accumulates, 8.178 GFLOPs.
    assert ref.model_flops(ref.glance_model("resnet50")) == 2 * ref.model_macs(ref.glance_model("resnet50"))
    assert ref.resnet50_gflops() == 8.178
    # Problem 4: B0 is more accurate than ResNet-50 and takes 10.6× fewer MACs.
    assert acc["EfficientNet-B0"] > acc["ResNet-50"] and round(ref.macs_ratio(), 1) == 10.6
    # Problem 5: 173 MB in float16, 346 MB in float32, and the checkpoint file's 330 MiB are that float32 size.
    fp32 = ref.parameter_bytes("vit_b_16", torch.float32)
    assert round(ref.vit_fp16_mb()) == 173 and round(fp32 / 1e6) == 346
    file_size = weights_from_name("ViT_B_16_Weights.IMAGENET1K_V1").meta["_file_size"]
    assert round(file_size) == 330 and abs(fp32 / 2 ** 20 / file_size - 1) < 0.005

# ---- (b) each typical wrong answer named in a hint gets that hint ------------------------------

def _macs_plus_bias_additions() -> int:
    macs, out_shape = ref.conv_macs_and_output()
    return macs + math.prod(out_shape)  # one bias addition per output element


def _conv_flops() -> int:
    conv = nn.Conv2d(64, 128, 3, stride=2, padding=1)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        conv(torch.zeros(1, 64, 56, 56))
    return counter.get_total_flops()


def _lenet_1998_params() -> int:
    # LeCun et al. 1998, Sec. II-B: C1 156, S2 6·2 (coefficient + bias), C3 60 sparse 5×5 connections
    # + 16 biases = 1,516, S4 16·2, C5 48,120, F6 10,164; the RBF output units are fixed.
    return 156 + 6 * 2 + (60 * 25 + 16) + 16 * 2 + 48_120 + 10_164


def _zfnet_conv1_flops() -> int:
    conv1 = ref.convs_of(ref.zfnet_model())[0]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        conv1(torch.zeros(1, 3, 224, 224))
    return counter.get_total_flops()


def _zfnet_conv1_macs_plus_bias_additions() -> int:
    conv1 = ref.convs_of(ref.zfnet_model())[0]
    return ref.zfnet_conv1_macs() + math.prod(ref.output_shape(conv1, (1, 3, 224, 224)))


def _vgg_conv3_2_flops() -> int:
    conv = ref.vgg16_conv("conv3_2")
    x = torch.zeros(ref.vgg16_input_of(conv))  # measured outside the counter: it runs the whole network
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        conv(x)
    return counter.get_total_flops()


def _vgg_conv3_2_macs_plus_bias_additions() -> int:
    conv = ref.vgg16_conv("conv3_2")
    return ref.conv3_2_macs() + math.prod(ref.output_shape(conv, ref.vgg16_input_of(conv)))


def _vgg_bn_with_buffers() -> int:
    """γ, β and the running mean and variance of every BatchNorm of vgg16_bn() (num_batches_tracked aside)."""
    return sum(m.weight.numel() + m.bias.numel() + m.running_mean.numel() + m.running_var.numel()
               for m in ref.vgg16_bn_layers())


def _vgg_bn_one_per_stage() -> int:
    """One BatchNorm per stage: the parameters of the BatchNorm just before each max-pool of vgg16_bn()."""
    features = list(ref.vgg16_model(batch_norm=True).features)
    last_bn_of_stage = [next(m for m in reversed(features[:i]) if isinstance(m, nn.BatchNorm2d))
                        for i, m in enumerate(features) if isinstance(m, nn.MaxPool2d)]
    assert len(last_bn_of_stage) == 5
    return sum(ref.num_params(m) for m in last_bn_of_stage)


def _alexnet_conv1_positions_unfloored() -> float:
    """(n − k)/s + 1 with the paper's conv1 kernel and stride, without rounding down."""
    conv1 = ref.convs_of(ref.alexnet_paper_model())[0]
    return (224 - conv1.kernel_size[0]) / conv1.stride[0] + 1


def _pool_positions_unfloored() -> float:
    pool = nn.MaxPool2d(3, stride=2)
    return (ref.zfnet_conv1_height() - pool.kernel_size) / pool.stride + 1


def _paper_test_time_value() -> float:
    """The 2012 paper's rule: no scaling in training, outputs multiplied by the keep probability at test time."""
    (eval_value,) = ref.dropout_values(train=False)
    return eval_value * (1 - 0.2)


def _flops(module: nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(x)
    return counter.get_total_flops()


def _reduction_five_only() -> int:
    """The 5×5 convolution of inception 4a's branch alone, on the reduced 16-channel map."""
    conv5 = ref.inception4a_5x5_branch()[1]
    return ref.counted_macs(conv5, torch.zeros(1, conv5.conv.in_channels, 14, 14))


def _aux_without_pool() -> int:
    """aux1 with fc1 reading the 1×1 conv's output at the full 14×14 (the average pool forgotten)."""
    aux1 = ref.googlenet_model(aux_logits=True).aux1
    side = ref.googlenet_input_of("aux1", aux_logits=True)[-1]
    fc1 = nn.Linear(aux1.conv.conv.out_channels * side * side, aux1.fc1.out_features, device="meta")
    return ref.num_params(aux1) - ref.num_params(aux1.fc1) + ref.num_params(fc1)


def _aux_without_reduction() -> int:
    """aux1 without its 1×1 convolution: fc1 reads the pooled 4×4 map with all of 4a's channels."""
    aux1 = ref.googlenet_model(aux_logits=True).aux1
    c_in = ref.googlenet_input_of("aux1", aux_logits=True)[1]
    return ref.num_params(nn.Linear(4 * 4 * c_in, aux1.fc1.out_features)) + ref.num_params(aux1.fc2)


def _strided_3x3_counted_at_input() -> int:
    """The V1.5 − V1 difference with V1.5's strided 3×3 counted at its 56×56 input instead of its output."""
    conv2 = ref.resnet_model(50).layer2[0].conv2
    x = torch.zeros(1, conv2.in_channels, 56, 56)
    unstrided = nn.Conv2d(conv2.in_channels, conv2.out_channels, 3, padding=1, bias=False)
    return ref.v1_5_extra_macs() + ref.counted_macs(unstrided, x) - ref.counted_macs(conv2, x)


def _v1_5_extra_flops() -> int:
    block = ref.resnet_model(50).layer2[0]
    x = ref.first_block_input(2)
    return _flops(block, x) - _flops(ref.v1_block(block), x)


def _cifar_layers_in_blocks() -> int:
    """Weighted layers of the n = 18 CIFAR ResNet inside its blocks (no stem convolution, no fc)."""
    model = ref.cifar_resnet()
    return ref.weighted_layers(model) - len([model.conv1]) - len(ref.linears_of(model))


def _cifar_one_conv_per_block() -> int:
    model = ref.cifar_resnet()
    blocks = sum(len(getattr(model, f"layer{i}")) for i in (1, 2, 3))
    return len([model.conv1]) + blocks + len(ref.linears_of(model))


def _template_one_group() -> int:
    """The template's weights with only one group of its grouped 3×3 counted."""
    conv2 = ref.resnext_template().conv2
    return ref.template_weights() - conv2.weight.numel() + conv2.weight[:conv2.out_channels // conv2.groups].numel()


def _drop_probabilities_from_zero() -> float:
    """Σ (1 − p) with the blocks numbered from 0: each block gets the previous block's drop probability."""
    p = ref.drop_probabilities()
    return math.fsum(1 - q for q in [0.0, *p[:-1]])


def _dense_layer_macs_with_k_bottleneck() -> int:
    """Problem 5's layer with a 1×1 convolution to k (instead of 4k) channels."""
    layer = ref.dense_layer()
    k = layer.conv2.out_channels
    slip = nn.Sequential(nn.Conv2d(layer.conv1.in_channels, k, 1, bias=False),
                         nn.Conv2d(k, k, 3, padding=1, bias=False))
    return ref.counted_macs(slip, torch.zeros(ref.layer_input()))


def _transition_bn_on_output() -> int:
    conv = ref.transition3().conv
    return conv.weight.numel() + ref.num_params(nn.BatchNorm2d(conv.out_channels))


def _standard_conv_bn_params() -> int:
    """A standard 3×3 convolution with the separable layer's channels, and its BatchNorm."""
    conv = ref.standard_conv_like(ref.params_layer())
    return ref.num_params(nn.Sequential(conv, nn.BatchNorm2d(conv.out_channels)))


WRONG: list[tuple[str, str, Callable[[], int | float], str]] = [
    ("ex01_output_size", "no_padding", lambda: ref.conv_output_height(padding=0),
     "you left out the padding"),
    ("ex01_output_size", "no_plus_one", lambda: ref.output_size() - 1,
     "you forgot the +1"),
    ("ex01_output_size", "no_stride", lambda: ref.conv_output_height(stride=1),
     "you ignored the stride"),
    ("ex01_grouped_conv_params", "groups_ignored", lambda: ref.num_params(nn.Conv2d(64, 128, 3)),
     "each filter sees only 64/4 = 16 input channels"),
    ("ex01_grouped_conv_params", "no_bias", lambda: ref.num_params(nn.Conv2d(64, 128, 3, groups=4, bias=False)),
     "don't forget the 128 biases"),
    ("ex01_grouped_conv_params", "outputs_divided_too", lambda: ref.num_params(nn.Conv2d(16, 32, 3)),
     "the output channels are not divided"),
    ("ex01_conv_macs", "stride_ignored", lambda: ref.conv_macs_and_output(stride=1)[0],
     "MACs are counted per *output* position"),
    ("ex01_conv_macs", "flops", _conv_flops,
     "that is the FLOP count"),
    ("ex01_conv_macs", "bias_added", _macs_plus_bias_additions,
     "bias additions are not MACs"),
    ("ex01_receptive_field", "strides_ignored",
     lambda: ref.measured_receptive_field([(kind, k, 1) for kind, k, _ in ref.RF_STACK]),
     "after a stride-2 pool each 3×3 conv widens the field by 2"),
    ("ex01_receptive_field", "pools_ignored",
     lambda: ref.measured_receptive_field([row for row in ref.RF_STACK if row[0] == "conv"]),
     "pooling windows widen the field too"),
    ("ex01_bn_redundant_params", "nothing", lambda: 0,
     "a constant added before it cancels out"),
    ("ex01_bn_redundant_params", "first_bias_only", lambda: nn.Conv2d(3, 64, 3).bias.numel(),
     "both convolutions feed a BatchNorm"),
    ("ex01_bn_redundant_params", "conv_biases_and_bn_betas",
     lambda: ref.bn_redundant_params() + sum(m.bias.numel() for m in ref.conv_bn_net(True) if isinstance(m, nn.BatchNorm2d)),
     "remove only the conv biases"),
    ("ex01_bn_redundant_params", "bn_gammas_and_betas",
     lambda: sum(ref.num_params(m) for m in ref.conv_bn_net(True) if isinstance(m, nn.BatchNorm2d)),
     "BN's gamma and beta stay"),
    ("ex01_lenet_params", "paper_count", _lenet_1998_params,
     "that is the 1998 paper's count"),
    ("ex01_lenet_params", "no_biases", lambda: ref.lenet_params() - ref.lenet_bias_params()[0],
     "every conv and linear layer has one bias"),
    ("ex01_lenet_params", "output_without_bias", lambda: ref.lenet_params() - ref.lenet_bias_params()[1],
     "plain linear layer with 10 biases"),
    # ---- exercises 02
    ("ex02_conv1_output_size", "paper_227", lambda: ref.alexnet_conv1_height(227),
     "55 is the paper's figure"),
    ("ex02_conv1_output_size", "not_floored", _alexnet_conv1_positions_unfloored,
     "output sizes are whole numbers"),
    ("ex02_conv1_output_size", "no_plus_one", lambda: ref.conv1_output_size() - 1,
     "you forgot the +1"),
    ("ex02_conv1_output_size", "no_stride", lambda: ref.conv_output_height(kernel_size=11, stride=1, padding=0),
     "you ignored the stride"),
    ("ex02_grouped_conv2_params", "groups_ignored", lambda: ref.grouped_conv2_params(groups=1),
     "that is conv2 without the split"),
    ("ex02_grouped_conv2_params", "no_bias", lambda: ref.convs_of(ref.alexnet_paper_model())[1].weight.numel(),
     "don't forget the 256 biases"),
    ("ex02_grouped_conv2_params", "one_gpu", lambda: ref.num_params(nn.Conv2d(96 // 2, 256 // 2, 5)),
     "that is one GPU's half"),
    ("ex02_fc_params", "fc6_only", lambda: ref.num_params(ref.linears_of(ref.alexnet_paper_model())[0]),
     "that is fc6 alone"),
    ("ex02_fc_params", "no_fc8", lambda: sum(ref.num_params(m) for m in ref.linears_of(ref.alexnet_paper_model())[:2]),
     "fc8, the 1000-way output layer"),
    ("ex02_fc_params", "no_biases", lambda: sum(m.weight.numel() for m in ref.linears_of(ref.alexnet_paper_model())),
     "one bias per output unit"),
    ("ex02_fc_params", "before_pool5", ref.fc_params_reading_conv5,
     "not conv5's 13×13×256 output"),
    ("ex02_zfnet_conv1_macs", "half_of_224", lambda: ref.conv_macs_of(nn.Conv2d(3, 96, 7, stride=2, padding=3), 224),
     "the output is not simply half of 224"),
    ("ex02_zfnet_conv1_macs", "109", lambda: ref.conv_macs_of(nn.Conv2d(3, 96, 7, stride=2), 224),
     "the padding or the +1 is missing"),
    ("ex02_zfnet_conv1_macs", "stride_ignored", lambda: ref.conv_macs_of(nn.Conv2d(3, 96, 7, padding=1), 224),
     "MACs are counted per *output* position"),
    ("ex02_zfnet_conv1_macs", "flops", _zfnet_conv1_flops,
     "that is the FLOP count"),
    ("ex02_zfnet_conv1_macs", "bias_added", _zfnet_conv1_macs_plus_bias_additions,
     "bias additions are not MACs"),
    ("ex02_zfnet_pool1_size", "ceil_mode", lambda: ref.pool_height(ceil_mode=True),
     "PyTorch gives only with ceil_mode=True"),
    ("ex02_zfnet_pool1_size", "not_floored", _pool_positions_unfloored,
     "output sizes are whole numbers"),
    ("ex02_zfnet_pool1_size", "no_plus_one", lambda: ref.zfnet_pool1_size() - 1,
     "you forgot the +1"),
    ("ex02_zfnet_pool1_size", "no_stride", lambda: ref.pool_height(stride=1),
     "you ignored the stride"),
    ("ex02_dropout_kept_value", "eval_mode", lambda: next(iter(ref.dropout_values(train=False))),
     "that is the eval-mode output"),
    ("ex02_dropout_kept_value", "divided_by_p", lambda: ref.dropout_kept_value(p=1 - 0.2),
     "you divided by p"),
    ("ex02_dropout_kept_value", "paper_rule", _paper_test_time_value,
     "the 2012 paper's rule"),
    ("ex02_dropout_kept_value", "dropped", lambda: min(ref.dropout_values()),
     "what dropout outputs for a value it drops"),
    # ---- exercises 03
    ("ex03_two_3x3_vs_5x5_params", "one_3x3",
     lambda: ref.num_params(nn.Conv2d(256, 256, 5, padding=2)) - ref.num_params(nn.Conv2d(256, 256, 3, padding=1)),
     "that compares the 5×5 with a single 3×3"),
    ("ex03_two_3x3_vs_5x5_params", "sign", lambda: -ref.two_3x3_vs_5x5_params(),
     "mind the sign"),
    ("ex03_two_3x3_vs_5x5_params", "no_biases", lambda: ref.two_3x3_vs_5x5_params(bias=False),
     "count the biases too"),
    ("ex03_conv5_3_receptive_field", "pools_ignored",
     lambda: ref.measured_receptive_field([r for r in ref.vgg16_stack("conv5_3") if r[0] == "conv"], size=256),
     "the max-pools matter"),
    ("ex03_conv5_3_receptive_field", "pool_windows_ignored",
     lambda: ref.measured_receptive_field([(kind, 1 if kind == "pool" else k, s)
                                           for kind, k, s in ref.vgg16_stack("conv5_3")], size=256),
     "the 2×2 pooling windows widen the field too"),
    ("ex03_conv5_3_receptive_field", "strides_ignored",
     lambda: ref.measured_receptive_field([(kind, k, 1) for kind, k, _ in ref.vgg16_stack("conv5_3")], size=256),
     "the strides matter"),
    ("ex03_conv5_3_receptive_field", "through_pool5",
     lambda: ref.measured_receptive_field(ref.vgg16_stack("pool5"), size=256),
     "that is after pool5"),
    ("ex03_conv3_2_macs", "no_padding", lambda: ref.conv_macs_of(nn.Conv2d(256, 256, 3), 56),
     "VGG pads every 3×3 conv by 1"),
    ("ex03_conv3_2_macs", "kernel_3_not_9", lambda: ref.conv_macs_of(nn.Conv2d(256, 256, (3, 1), padding=(1, 0)), 56),
     "a 3×3 kernel has 3·3 = 9 weights"),
    ("ex03_conv3_2_macs", "flops", _vgg_conv3_2_flops,
     "that is the FLOP count"),
    ("ex03_conv3_2_macs", "bias_added", _vgg_conv3_2_macs_plus_bias_additions,
     "bias additions are not MACs"),
    ("ex03_conv1_1_activation_mb", "mib",
     lambda: ref.conv1_1_output().numel() * ref.conv1_1_output().element_size() / 2**20,
     "that is in MiB"),
    ("ex03_conv1_1_activation_mb", "values_not_bytes", lambda: ref.conv1_1_output().numel() / 1e6,
     "each float32 value takes 4 bytes"),
    ("ex03_conv1_1_activation_mb", "megabits", lambda: 8 * ref.conv1_1_activation_mb(),
     "that is megabits"),
    ("ex03_fc6_params", "no_bias", lambda: ref.vgg16_fc6().weight.numel(),
     "don't forget the 4096 biases"),
    ("ex03_fc6_params", "before_pool5",
     lambda: ref.num_params(nn.Linear(math.prod(ref.conv5_3_output_shape()[1:]), 4096, device="meta")),
     "not conv5_3's 14×14×512 output"),
    ("ex03_fc6_params", "channels_only", lambda: ref.num_params(nn.Linear(ref.conv5_3_output_shape()[1], 4096)),
     "flattening keeps all 7·7 positions"),
    ("ex03_vgg16_bn_extra_params", "buffers_counted", _vgg_bn_with_buffers,
     "the running mean and variance are buffers"),
    ("ex03_vgg16_bn_extra_params", "one_per_channel", lambda: sum(m.weight.numel() for m in ref.vgg16_bn_layers()),
     "two numbers per channel"),
    ("ex03_vgg16_bn_extra_params", "one_per_stage", _vgg_bn_one_per_stage,
     "not one per stage"),
    # ---- exercises 04
    ("ex04_reduction_macs", "direct", ref.direct_5x5_macs,
     "applied to all 480 channels directly"),
    ("ex04_reduction_macs", "five_only", _reduction_five_only,
     "add the cost of the 1×1 reduction itself"),
    ("ex04_reduction_macs", "weights",
     lambda: sum(c.weight.numel() for c in ref.convs_of(ref.inception4a_5x5_branch())),
     "that is the number of weights"),
    ("ex04_reduction_macs", "flops", ref.branch_flops,
     "that is the FLOP count"),
    ("ex04_inception4e_channels", "reductions_counted",
     lambda: sum(c.out_channels for c in ref.convs_of(ref.googlenet_model().inception4e)),
     "the reductions (#3×3 reduce, #5×5 reduce) only feed"),
    ("ex04_inception4e_channels", "no_pool_branch", lambda: sum(ref.inception4e_branch_outputs()[:3]),
     "the pooling branch is concatenated too"),
    ("ex04_inception4e_channels", "pool_passes_input",
     lambda: sum(ref.inception4e_branch_outputs()[:3]) + ref.inception4e_branch_outputs()[4],
     "it does not pass the 528 input channels through"),
    ("ex04_inception3a_params", "no_bn",
     lambda: sum(c.weight.numel() for c in ref.convs_of(ref.googlenet_model(kernel_5x5=5).inception3a)),
     "followed by a BatchNorm"),
    ("ex04_inception3a_params", "conv_bias",
     lambda: ref.num_params(ref.with_conv_biases(ref.googlenet_model(kernel_5x5=5).inception3a)),
     "convolution has no bias (bias=False)"),
    ("ex04_inception3a_params", "torchvision_3x3", lambda: ref.inception3a_params(kernel_5x5=3),
     "torchvision's 3×3 kernel"),
    ("ex04_inception3a_params", "buffers_counted",
     lambda: ref.inception3a_params() + ref.bn_buffer_numel(ref.googlenet_model(kernel_5x5=5).inception3a),
     "running mean and variance are buffers"),
    ("ex04_inception3a_params", "no_pool_proj",
     lambda: ref.inception3a_params() - ref.num_params(ref.googlenet_model(kernel_5x5=5).inception3a.branch4),
     "the pooling branch has learned weights too"),
    ("ex04_stem_macs", "no_pool", lambda: ref.stem_macs(pool=False),
     "halves the map to 56×56"),
    ("ex04_stem_macs", "floor_pool", lambda: ref.stem_macs(ceil_mode=False),
     "round up (ceil_mode=True)"),
    ("ex04_stem_macs", "no_conv2", lambda: ref.stem_macs(conv2=False),
     "conv2 (64 → 64) is part of the stem too"),
    ("ex04_stem_macs", "flops", ref.stem_flops,
     "that is the FLOP count"),
    ("ex04_flatten_head_params", "gap_head", lambda: ref.num_params(ref.googlenet_model().fc),
     "that is GoogLeNet's own head"),
    ("ex04_flatten_head_params", "no_bias", lambda: ref.flatten_head().weight.numel(),
     "don't forget the 1000 biases"),
    ("ex04_flatten_head_params", "difference",
     lambda: ref.flatten_head_params() - ref.num_params(ref.googlenet_model().fc),
     "has *more* than the average-pooling head"),
    ("ex04_aux_classifier_params", "no_pool", _aux_without_pool,
     "shrinks the 14×14 map to 4×4"),
    ("ex04_aux_classifier_params", "no_reduction", _aux_without_reduction,
     "reduces the 512 channels to 128"),
    ("ex04_aux_classifier_params", "no_bn",
     lambda: ref.aux_classifier_params() - ref.num_params(ref.googlenet_model(aux_logits=True).aux1.conv.bn),
     "count its BatchNorm"),
    ("ex04_aux_classifier_params", "conv_bias",
     lambda: ref.num_params(ref.with_conv_biases(ref.googlenet_model(aux_logits=True).aux1)),
     "convolution has no bias"),
    ("ex04_aux_classifier_params", "both",
     lambda: ref.num_params(ref.googlenet_model(aux_logits=True)) - ref.num_params(ref.googlenet_model()),
     "that is both auxiliary classifiers"),
    # ---- exercises 05
    ("ex05_basic_block_params", "no_bn", lambda: sum(c.weight.numel() for c in ref.convs_of(ref.basic_block())),
     "followed by a BatchNorm"),
    ("ex05_basic_block_params", "conv_bias", lambda: ref.num_params(ref.with_conv_biases(ref.basic_block())),
     "convolutions have no bias (bias=False)"),
    ("ex05_basic_block_params", "buffers_counted",
     lambda: ref.basic_block_params() + ref.bn_buffer_numel(ref.basic_block()),
     "running mean and variance are buffers"),
    ("ex05_basic_block_params", "projection_counted",
     lambda: ref.basic_block_params() + ref.num_params(ref.projection(64, 64)),
     "shortcut is the identity"),
    ("ex05_bottleneck_params", "no_bn", lambda: sum(c.weight.numel() for c in ref.convs_of(ref.bottleneck_block())),
     "followed by a BatchNorm"),
    ("ex05_bottleneck_params", "conv_bias", lambda: ref.num_params(ref.with_conv_biases(ref.bottleneck_block())),
     "convolutions have no bias (bias=False)"),
    ("ex05_bottleneck_params", "projection_counted",
     lambda: ref.bottleneck_params() + ref.num_params(ref.projection(256, 256)),
     "its shortcut is the identity"),
    ("ex05_bottleneck_params", "basic_block_256", lambda: ref.num_params(models.BasicBlock(256, 256)),
     "that is a basic block at 256 channels"),
    ("ex05_projection_params", "no_bn", lambda: ref.projection_shortcut()[0].weight.numel(),
     "*and* a BatchNorm"),
    ("ex05_projection_params", "conv_bias", lambda: ref.num_params(ref.with_conv_biases(ref.projection_shortcut())),
     "convolution has no bias"),
    ("ex05_projection_params", "to_planes",
     lambda: ref.num_params(ref.projection(256, ref.resnet_model(50).layer2[0].conv2.out_channels, 2)),
     "not the 128 of its 3×3 convolution"),
    ("ex05_projection_params", "from_planes",
     lambda: ref.num_params(ref.projection(ref.resnet_model(50).layer2[0].conv1.out_channels, 512, 2)),
     "the shortcut reads the block's input"),
    ("ex05_resnet50_convs", "name_depth", lambda: ref.weighted_layers(ref.resnet_model(50)),
     "50 is the depth in the name"),
    ("ex05_resnet50_convs", "no_shortcuts",
     lambda: ref.resnet50_convs() - len(ref.shortcut_convs(ref.resnet_model(50))),
     "count the projection shortcuts too"),
    ("ex05_resnet50_convs", "no_stage1_projection",
     lambda: ref.resnet50_convs() - len(ref.shortcut_convs(ref.resnet_model(50).layer1)),
     "stage 1 has a projection too"),
    ("ex05_resnet50_convs", "two_per_block",
     lambda: ref.resnet50_convs() - sum(len(getattr(ref.resnet_model(50), f"layer{i}")) for i in (1, 2, 3, 4)),
     "a bottleneck block has three convolutions"),
    ("ex05_resnet50_convs", "fc_counted", lambda: ref.resnet50_convs() + len(ref.linears_of(ref.resnet_model(50))),
     "the fc layer is an nn.Linear"),
    ("ex05_cifar_depth", "no_stem_no_fc", _cifar_layers_in_blocks,
     "count the first 3×3 convolution"),
    ("ex05_cifar_depth", "one_conv_per_block", _cifar_one_conv_per_block,
     "each basic block has two 3×3 convolutions"),
    ("ex05_cifar_depth", "one_stage", lambda: ref.weighted_layers(ref.cifar_resnet(stages=1)),
     "there are three stages"),
    ("ex05_cifar_depth", "bottleneck", lambda: ref.weighted_layers(ref.cifar_resnet(block=models.Bottleneck)),
     "the bottleneck version"),
    ("ex05_cifar_depth", "projections_counted",
     lambda: len(ref.convs_of(ref.cifar_resnet())) + len(ref.linears_of(ref.cifar_resnet())),
     "even projection shortcuts are not counted"),
    ("ex05_v1_5_extra_macs", "sign", lambda: -ref.v1_5_extra_macs(),
     "mind the sign"),
    ("ex05_v1_5_extra_macs", "v1_5_conv1_only",
     lambda: ref.counted_macs(ref.resnet_model(50).layer2[0].conv1, ref.first_block_input(2)),
     "V1 runs that 1×1 convolution too"),
    ("ex05_v1_5_extra_macs", "3x3_at_input", _strided_3x3_counted_at_input,
     "counted per *output* position"),
    ("ex05_v1_5_extra_macs", "flops", _v1_5_extra_flops,
     "that is the FLOP count"),
    ("ex05_v1_5_extra_macs", "three_blocks", lambda: sum(ref.v1_5_extra_macs(s) for s in (2, 3, 4)),
     "stages 2, 3 and 4 together"),
    # ---- exercises 06
    ("ex06_grouped_conv_params", "dense", lambda: ref.num_params(
        nn.Conv2d(ref.resnext_grouped_conv().in_channels, ref.resnext_grouped_conv().out_channels, 3, bias=False)),
     "that is a dense 3×3 convolution"),
    ("ex06_grouped_conv_params", "conv_bias", lambda: ref.num_params(ref.with_conv_biases(ref.resnext_grouped_conv())),
     "convolutions have no bias (bias=False)"),
    ("ex06_grouped_conv_params", "one_group", lambda: ref.num_params(nn.Conv2d(
        ref.resnext_grouped_conv().in_channels // ref.resnext_grouped_conv().groups,
        ref.resnext_grouped_conv().out_channels // ref.resnext_grouped_conv().groups, 3, bias=False)),
     "that is one group"),
    ("ex06_template_weights", "resnet", lambda: ref.conv_weights(ref.bottleneck_block()),
     "that is the ResNet bottleneck 256-64-64-256"),
    ("ex06_template_weights", "dense_3x3", lambda: ref.conv_weights(ref.template(32, 4, dense=True)),
     "the 3×3 convolution is grouped"),
    ("ex06_template_weights", "bn_counted", lambda: ref.num_params(ref.resnext_template()),
     "counts convolution weights only"),
    ("ex06_template_weights", "one_group", _template_one_group,
     "that counts one group of the 3×3"),
    ("ex06_wrn_extra_params", "no_bn",
     lambda: ref.conv_weights(ref.wide_resnet50_model().layer3[1]) - ref.conv_weights(ref.resnet_model(50).layer3[1]),
     "the BatchNorms after the two widened convolutions grow too"),
    ("ex06_wrn_extra_params", "whole_block", lambda: ref.num_params(ref.wide_resnet50_model().layer3[1]),
     "that is the whole widened block"),
    ("ex06_wrn_extra_params", "doubled", lambda: ref.num_params(ref.resnet_model(50).layer3[1]),
     "grow 4-fold, not 2-fold"),
    ("ex06_wrn_extra_params", "3x3_only",
     lambda: (ref.wide_resnet50_model().layer3[1].conv2.weight.numel()
              - ref.resnet_model(50).layer3[1].conv2.weight.numel()),
     "the two 1×1 convolutions grow too"),
    ("ex06_cardinality", "no_3x3", lambda: ref.closest_cardinality(weights=ref.one_by_one_weights),
     "count the 3×3 convolutions too"),
    ("ex06_cardinality", "dense_3x3", lambda: ref.closest_cardinality(dense=True),
     "the 3×3 is grouped"),
    ("ex06_cardinality", "resnext50", lambda: ref.resnext_grouped_conv().groups,
     "ResNeXt-50's cardinality"),
    ("ex06_expected_active_blocks", "uniform",
     lambda: math.fsum(1 - max(ref.drop_probabilities()) for _ in ref.drop_probabilities()),
     "that is the uniform rule"),
    ("ex06_expected_active_blocks", "dropped", lambda: math.fsum(ref.drop_probabilities()),
     "expected number of *dropped* blocks"),
    ("ex06_expected_active_blocks", "from_zero", _drop_probabilities_from_zero,
     "the first block is l = 1"),
    ("ex06_expected_active_blocks", "test_time", lambda: float(len(ref.drop_probabilities())),
     "that is the depth at test time"),
    # ---- exercises 07
    ("ex07_layer_input_channels", "off_by_one", lambda: ref.layer_input(3, 11)[1],
     "the outputs of the l − 1 = 9 layers before it"),
    ("ex07_layer_input_channels", "no_compression", lambda: ref.layer_input(compression=1.0)[1],
     "each transition halves the channels"),
    ("ex07_layer_input_channels", "no_block_input", lambda: ref.layer_input_channels() - ref.layer_input(3, 1)[1],
     "the block's own input (256 channels)"),
    ("ex07_final_channels", "no_compression", lambda: ref.final_channels(compression=1.0),
     "each transition halves the channels"),
    ("ex07_final_channels", "block4_input", lambda: ref.layer_input(4, 1)[1],
     "that is what enters block 4"),
    ("ex07_final_channels", "growth_4k", ref.final_channels_growth_4k,
     "each layer adds k = 32 channels"),
    ("ex07_dense_layer_params", "no_bn", lambda: ref.conv_weights(ref.dense_layer()),
     "preceded by a BatchNorm"),
    ("ex07_dense_layer_params", "conv_bias", lambda: ref.num_params(ref.with_conv_biases(ref.dense_layer())),
     "convolutions have no bias (bias=False)"),
    ("ex07_dense_layer_params", "buffers_counted",
     lambda: ref.dense_layer_params() + ref.bn_buffer_numel(ref.dense_layer()),
     "running mean and variance are buffers"),
    ("ex07_dense_layer_params", "no_bottleneck", lambda: ref.num_params(ref.dense_layer_without_bottleneck()),
     "DenseNet-B layers start with a 1×1 convolution"),
    ("ex07_dense_layer_params", "post_activation", lambda: ref.num_params(ref.dense_layer_post_activation()),
     "the layer is pre-activation"),
    ("ex07_transition_params", "no_bn", lambda: ref.transition3().conv.weight.numel(),
     "starts with a BatchNorm over its 1024 input channels"),
    ("ex07_transition_params", "bn_on_output", _transition_bn_on_output,
     "the BatchNorm comes first"),
    ("ex07_transition_params", "conv_bias", lambda: ref.num_params(ref.with_conv_biases(ref.transition3())),
     "convolution has no bias (bias=False)"),
    ("ex07_transition_params", "no_compression",
     lambda: ref.num_params(models.Transition(ref.transition3().conv.in_channels, ref.transition3().conv.in_channels)),
     "the transition compresses"),
    ("ex07_transition_params", "buffers_counted",
     lambda: ref.transition_params() + ref.bn_buffer_numel(ref.transition3()),
     "running mean and variance are buffers"),
    ("ex07_dense_layer_macs", "flops", ref.dense_layer_flops,
     "that is the FLOP count"),
    ("ex07_dense_layer_macs", "3x3_only",
     lambda: ref.counted_macs(ref.dense_layer().conv2,
                              torch.zeros(1, ref.dense_layer().conv2.in_channels, *ref.layer_input()[-2:])),
     "add the 1×1 convolution"),
    ("ex07_dense_layer_macs", "1x1_only",
     lambda: ref.counted_macs(ref.dense_layer().conv1, torch.zeros(ref.layer_input())),
     "add the 3×3 convolution"),
    ("ex07_dense_layer_macs", "bottleneck_k", _dense_layer_macs_with_k_bottleneck,
     "outputs 4k = 128 channels, not k = 32"),
    # ---- exercises 08
    ("ex08_se_unit_params", "no_biases", lambda: ref.fc_weights(ref.se_unit()),
     "the paper's 2C²/r, which leaves out the biases"),
    ("ex08_se_unit_params", "one_fc", lambda: ref.num_params(ref.se_unit().fc1),
     "two fully connected layers"),
    ("ex08_se_unit_params", "no_reduction", lambda: ref.num_params(ref.se_on(ref.se_unit().fc1.in_channels, 1)),
     "reduces the channels r-fold"),
    ("ex08_se_overhead", "weights_only", lambda: sum(ref.fc_weights(u) for u in ref.se_units(ref.se_resnet50_model())),
     "the paper's formula, which leaves out"),
    ("ex08_se_overhead", "inner_width", ref.se_overhead_on_inner_width,
     "4× the width of its 3×3 convolution"),
    ("ex08_se_overhead", "one_per_stage",
     lambda: sum(ref.num_params(getattr(ref.se_resnet50_model(), f"layer{i}")[0].se) for i in (1, 2, 3, 4)),
     "not one per stage"),
    ("ex08_se_overhead", "whole_model", lambda: ref.num_params(ref.se_resnet50_model()),
     "that is all of SE-ResNet-50"),
    ("ex08_se_extra_macs", "flops", ref.se_extra_flops,
     "that is the FLOP count"),
    ("ex08_se_extra_macs", "bias_adds", ref.se_overhead,
     "bias additions are not MACs"),
    ("ex08_se_extra_macs", "every_position", ref.se_fcs_at_every_position,
     "act once per image"),
    ("ex08_se_extra_macs", "scaling", lambda: ref.se_extra_macs() + ref.se_scaling_multiplies(),
     "an elementwise product"),
    ("ex08_reduction_ratio", "default", lambda: ref.se_unit().fc1.in_channels // ref.se_unit().fc1.out_channels,
     "the paper's default"),
    ("ex08_reduction_ratio", "inner_width", lambda: ref.smallest_ratio(ref.inner_width_overhead_at_ratio),
     "4× the width of its 3×3 convolution"),
    ("ex08_se_pre_params", "standard", lambda: ref.num_params(ref.se_resnet50_model().layer3[0].se),
     "that is the standard design's unit"),
    ("ex08_se_pre_params", "inner_width",
     lambda: ref.num_params(ref.se_on(ref.se_resnet50_model().layer3[0].conv2.out_channels)),
     "is the width of the block's 3×3 convolution"),
    ("ex08_se_pre_params", "no_biases", lambda: ref.fc_weights(ref.se_pre_unit()),
     "have biases too"),
    # ---- exercises 09
    ("ex09_separable_macs", "standard", lambda: ref.standard_macs(3),
     "that is a standard 3×3 convolution"),
    ("ex09_separable_macs", "flops", lambda: _flops(ref.separable_layer(), ref.v1_layer_input(3)),
     "that is the FLOP count"),
    ("ex09_separable_macs", "pointwise_only",
     lambda: ref.part_macs(ref.separable_layer(), ref.v1_layer_input(3))["pointwise"],
     "the pointwise 1×1 convolution alone"),
    ("ex09_separable_macs", "depthwise_only",
     lambda: ref.part_macs(ref.separable_layer(), ref.v1_layer_input(3))["depthwise"],
     "the depthwise 3×3 convolution alone"),
    ("ex09_separable_fraction", "one_over_k2",
     lambda: ref.part_macs(ref.fraction_layer(), ref.v1_layer_input(7))["pointwise"] / ref.standard_macs(7),
     "1/k² = 1/9 is the pointwise convolution's share alone"),
    ("ex09_separable_fraction", "one_over_n",
     lambda: ref.part_macs(ref.fraction_layer(), ref.v1_layer_input(7))["depthwise"] / ref.standard_macs(7),
     "1/N = 1/512 is the depthwise convolution's share alone"),
    ("ex09_separable_fraction", "inverted",
     lambda: ref.standard_macs(7) / ref.counted_macs(ref.fraction_layer(), ref.v1_layer_input(7)),
     "how many times cheaper"),
    ("ex09_separable_params", "no_bn", lambda: ref.conv_weights(ref.params_layer()),
     "followed by a BatchNorm"),
    ("ex09_separable_params", "conv_bias", lambda: ref.num_params(ref.with_conv_biases(ref.params_layer())),
     "have no bias (bias=False)"),
    ("ex09_separable_params", "buffers_counted",
     lambda: ref.separable_params() + ref.bn_buffer_numel(ref.params_layer()),
     "running mean and variance are buffers"),
    ("ex09_separable_params", "standard", _standard_conv_bn_params,
     "that is a standard 3×3 convolution 256 → 512 with its BatchNorm"),
    ("ex09_width_resolution_macs", "alpha_rho_estimate", ref.alpha_rho_estimate,
     "that is the estimate α²ρ²"),
    ("ex09_width_resolution_macs", "alpha_not_squared", lambda: ref.alpha_rho_estimate(alpha_power=1),
     "the cost falls as α², not α"),
    ("ex09_width_resolution_macs", "at_224", lambda: ref.v1_macs(0.5, 224),
     "the resolution multiplier shrinks the image"),
    ("ex09_width_resolution_macs", "full_width", lambda: ref.v1_macs(1.0, 160),
     "the width multiplier thins every layer"),
    ("ex09_width_resolution_macs", "flops", lambda: _flops(ref.mobilenet_v1_model(0.5), torch.zeros(1, 3, 160, 160)),
     "that is the FLOP count"),
    ("ex09_inverted_residual_params", "hidden_from_output", ref.inverted_residual_hidden_from_output,
     "multiplies the block's *input* channels"),
    ("ex09_inverted_residual_params", "no_project_bn",
     lambda: ref.inverted_residual_params() - ref.num_params(ref.bn_layers_of(ref.inverted_residual())[-1]),
     "it keeps its BatchNorm"),
    ("ex09_inverted_residual_params", "no_bn", lambda: ref.conv_weights(ref.inverted_residual()),
     "followed by a BatchNorm"),
    ("ex09_inverted_residual_params", "dense_depthwise", ref.inverted_residual_dense_depthwise,
     "the 3×3 convolution is depthwise (groups=144)"),
    ("ex09_inverted_residual_params", "buffers_counted",
     lambda: ref.inverted_residual_params() + ref.bn_buffer_numel(ref.inverted_residual()),
     "running mean and variance are buffers"),
    ("ex09_residual_blocks", "all_blocks", lambda: len(ref.inverted_residuals()),
     "the shapes must agree"),
    ("ex09_residual_blocks", "one_per_stage", lambda: len({b.out_channels for b in ref.inverted_residuals()}),
     "has n − 1 blocks with a shortcut"),
    ("ex09_residual_blocks", "stride_one", ref.stride_one_blocks,
     "stride 1 is not enough"),
    # ---- exercises 10
    ("ex10_compound_base", "linear", lambda: float(ref.ALPHA * ref.BETA * ref.GAMMA),
     "width and resolution enter the cost squared"),
    ("ex10_compound_base", "all_squared", lambda: float((ref.ALPHA * ref.BETA * ref.GAMMA) ** 2),
     "depth enters the cost once"),
    ("ex10_compound_base", "target", lambda: 2.0,
     "the target of the paper's search"),
    ("ex10_compound_flops", "two_to_phi", lambda: 2.0 ** 3,
     "2^φ is the paper's round figure"),
    ("ex10_compound_flops", "times_phi", lambda: 3 * ref.compound_base(),
     "the multipliers compound"),
    ("ex10_compound_flops", "linear", lambda: float((ref.ALPHA * ref.BETA * ref.GAMMA) ** 3),
     "not (α·β·γ)^φ"),
    ("ex10_b4_blocks", "rounded_per_stage", lambda: ref.b4_blocks_rounded(round),
     "rounded up stage by stage"),
    ("ex10_b4_blocks", "rounded_total", lambda: round(sum(ref.b0_stage_lengths()) * SCALING["b4"].depth),
     "rounded up stage by stage"),
    ("ex10_b4_blocks", "unrounded", lambda: sum(ref.b0_stage_lengths()) * SCALING["b4"].depth,
     "a block count is a whole number"),
    ("ex10_b4_blocks", "floor", lambda: ref.b4_blocks_rounded(math.floor),
     "rounded *up* (math.ceil), not down"),
    ("ex10_b4_blocks", "b0", lambda: len(ref.mbconv_blocks(ref.efficientnet_model("b0"))),
     "that is B0's 16 blocks"),
    ("ex10_se_params", "expanded_quarter",
     lambda: ref.se_between(ref.mbconv_se().fc1.in_channels, ref.mbconv_se().fc1.in_channels // 4),
     "not of the expanded 240"),
    ("ex10_se_params", "senet_r16",
     lambda: ref.se_between(ref.mbconv_se().fc1.in_channels, ref.mbconv_se().fc1.in_channels // 16),
     "SENet's r = 16"),
    ("ex10_se_params", "no_biases", lambda: ref.fc_weights(ref.mbconv_se()),
     "both 1×1 convolutions have biases"),
    ("ex10_se_params", "on_input",
     lambda: ref.se_between(ref.mbconv_input().shape[1], ref.mbconv_se().fc1.out_channels),
     "it gates the 240 expanded channels"),
    ("ex10_b3_first_width", "nearest", lambda: round(ref.b3_first_width_unrounded() / 8) * 8,
     "the nearest multiple of 8 is 16"),
    ("ex10_b3_first_width", "unrounded", ref.b3_first_width_unrounded,
     "channels are whole numbers"),
    ("ex10_b3_first_width", "truncated", lambda: int(ref.b3_first_width_unrounded()),
     "rounded to multiples of 8 (make_divisible)"),
    ("ex10_mbconv_macs", "flops", ref.mbconv_flops,
     "that is the FLOP count"),
    ("ex10_mbconv_macs", "depthwise_at_input", lambda: ref.mbconv_macs_with("depthwise", ref.mbconv_sides()[0]),
     "count it at its 14×14 output positions"),
    ("ex10_mbconv_macs", "expand_at_output", lambda: ref.mbconv_macs_with("expand", ref.mbconv_sides()[1]),
     "the expansion comes before the strided depthwise convolution"),
    ("ex10_mbconv_macs", "se_every_position", lambda: ref.mbconv_macs_with("se", ref.mbconv_sides()[1]),
     "act once per image"),
    ("ex10_mbconv_macs", "no_se", ref.mbconv_macs_without_se,
     "the SE unit adds its two fully connected layers"),
    # ---- exercises 11
    ("ex11_stage_ratio_macs", "flops", ref.stage_ratio_flops,
     "that is the FLOP count"),
    ("ex11_stage_ratio_macs", "no_removal", ref.stage3_added_blocks_macs,
     "stage 2 also loses a block"),
    ("ex11_stage_ratio_macs", "one_block", ref.one_bottleneck_macs,
     "that is what one bottleneck costs"),
    ("ex11_stage_ratio_macs", "map_not_halved", ref.stage_ratio_macs_unhalved,
     "stage 3 works on a 14×14 map"),
    ("ex11_patchify_stem_macs", "flops", ref.patchify_stem_flops,
     "that is the FLOP count"),
    ("ex11_patchify_stem_macs", "resnet_stem", lambda: ref.roadmap_stem_macs(ref.STAGE_RATIO_STEP),
     "that is what ResNet's 7×7 stem convolution costs"),
    ("ex11_patchify_stem_macs", "patchify_stem", lambda: ref.roadmap_stem_macs(ref.PATCHIFY_STEP),
     "that is what the patchify stem costs"),
    ("ex11_patchify_stem_macs", "sign", lambda: -ref.patchify_stem_macs(),
     "give the MACs saved as a positive number"),
    ("ex11_block_params", "missing_c", lambda: ref.convnext_block_params() - ref.convnext_block().layer_scale.numel(),
     "96 parameters are missing"),
    ("ex11_block_params", "no_biases", ref.convnext_block_without_biases,
     "both linear layers have biases"),
    ("ex11_block_params", "dense", ref.convnext_block_dense,
     "is depthwise (groups=96)"),
    ("ex11_block_params", "no_norm",
     lambda: ref.convnext_block_params() - ref.num_params(ref.convnext_block_parts()["norm"]),
     "the LayerNorm has a scale and a shift"),
    ("ex11_block_params", "no_expansion", lambda: ref.num_params(ref.convnext_block_unexpanded()),
     "widens to 4C = 384 channels"),
    ("ex11_block_macs", "flops", ref.convnext_block_flops,
     "that is the FLOP count"),
    ("ex11_block_macs", "dense",
     lambda: ref.convnext_block_macs() - ref.convnext_depthwise_macs() + ref.convnext_depthwise_macs(dense=True),
     "the 7×7 convolution is depthwise"),
    ("ex11_block_macs", "linears_only", lambda: ref.convnext_block_macs() - ref.convnext_depthwise_macs(),
     "add the 7×7 depthwise convolution"),
    ("ex11_block_macs", "depthwise_only", ref.convnext_depthwise_macs,
     "that is the depthwise convolution alone"),
    ("ex11_block_macs", "no_expansion",
     lambda: ref.block_macs_at(ref.convnext_block_unexpanded(), ref.convnext_block_input()),
     "widen to 4C = 384 channels and back"),
    ("ex11_vit_tokens", "no_class_token", lambda: math.prod(ref.vit_patch_grid(384)[-2:]),
     "add the class token"),
    ("ex11_vit_tokens", "at_224", lambda: ref.vit_tokens(224)[1],
     "that is the sequence at 224×224"),
    ("ex11_vit_tokens", "per_side", lambda: ref.vit_patch_grid(384)[-1],
     "patches along one side"),
    ("ex11_vit_block_params", "no_out_proj",
     lambda: ref.encoder_block_params() - ref.num_params(ref.encoder_block().self_attention.out_proj),
     "output projection D → D"),
    ("ex11_vit_block_params", "qkv_per_head", ref.encoder_block_qkv_per_head,
     "the 12 heads split the 768 dimensions"),
    ("ex11_vit_block_params", "weights_only", ref.encoder_block_weight_matrices,
     "the linear layers have biases"),
    ("ex11_vit_block_params", "no_norms",
     lambda: ref.encoder_block_params() - ref.num_params(ref.encoder_block().ln_1)
     - ref.num_params(ref.encoder_block().ln_2),
     "add the two LayerNorms"),
    # ---- exercises 12
    ("ex12_head_params", "no_bias", lambda: ref.linear_on_features(5, bias=False),
     "has a bias too"),
    ("ex12_head_params", "imagenet_head", lambda: ref.num_params(ref.resnet_model(18).fc),
     "that is the ImageNet head"),
    ("ex12_head_params", "ten_classes", lambda: ref.linear_on_features(10),
     "the target task has 5 classes"),
    ("ex12_head_params", "whole_model", lambda: ref.trainable_params(ref.transfer_resnet18("all")),
     "that is every parameter of the model"),
    ("ex12_layer4_params", "no_head", lambda: ref.num_params(ref.transfer_resnet18("layer4").layer4),
     "the new head is trained too"),
    ("ex12_layer4_params", "imagenet_head",
     lambda: ref.num_params(ref.transfer_resnet18("layer4").layer4) + ref.num_params(ref.resnet_model(18).fc),
     "the ImageNet head is replaced"),
    ("ex12_layer4_params", "full", lambda: ref.trainable_params(ref.transfer_resnet18("all")),
     "that is full fine-tuning"),
    ("ex12_layer4_params", "head_only", ref.head_params,
     "that is the new head alone"),
    ("ex12_layer4_params", "no_projection",
     lambda: ref.layer4_params() - ref.num_params(ref.transfer_resnet18("layer4").layer4[0].downsample),
     "its shortcut is a 1×1 convolution"),
    ("ex12_layer4_params", "buffers_counted",
     lambda: ref.layer4_params() + ref.bn_buffer_numel(ref.transfer_resnet18("layer4").layer4),
     "running mean and variance are buffers"),
    ("ex12_training_steps", "partial_batches", ref.steps_with_partial_batches,
     "fit takes full batches only"),
    ("ex12_training_steps", "unrounded", lambda: 10 * len(ref.target_data().x_train) / 64,
     "a step is one whole batch"),
    ("ex12_training_steps", "one_epoch", lambda: ref.counted_training_steps(ref.target_data(), epochs=1),
     "that is one epoch"),
    ("ex12_training_steps", "all_classes",
     lambda: ref.counted_training_steps(ref.toy_cifar().select(list(ref.toy_cifar().classes), n_train_per_class=50)),
     "select keeps only the 5 classes named"),
    ("ex12_error_reduction", "points", lambda: ref.resnet50_metric(2) - ref.resnet50_metric(1),
     "that is the gain in points"),
    ("ex12_error_reduction", "over_accuracy",
     lambda: (ref.resnet50_metric(2) - ref.resnet50_metric(1)) / ref.resnet50_metric(1),
     "divide by V1's *error*"),
    ("ex12_error_reduction", "over_v2_error", lambda: ref.error_reduction(relative_to=2),
     "relative to the error you start from"),
    ("ex12_error_reduction", "percent", lambda: 100 * ref.error_reduction(),
     "give a fraction"),
    ("ex12_error_reduction", "top5", lambda: ref.error_reduction("acc@5"),
     "that is the top-5 error's reduction"),
    ("ex12_resize_width", "short_side", lambda: ref.resized_photo(2)[-2],
     "sets the *shorter* side"),
    ("ex12_resize_width", "crop", lambda: ref.preprocessed_photo(2)[-1],
     "is the centre crop"),
    ("ex12_resize_width", "v1_resize", lambda: ref.resized_photo(1)[-1],
     "that uses V1's resize"),
    ("ex12_resize_width", "rounded", lambda: round(ref.resize_width_unrounded()),
     "it does not round it"),
    ("ex12_resize_width", "unrounded", ref.resize_width_unrounded,
     "pixels come in whole numbers"),
    # ---- exercises 13
    ("ex13_params_ratio", "inverse",
     lambda: ref.num_params(ref.glance_model("resnet50")) / ref.num_params(ref.glance_model("vgg19_bn")),
     "that is ResNet-50's share"),
    ("ex13_params_ratio", "gflops_ratio", lambda: ref.gmacs_rounded("vgg19_bn") / ref.gmacs_rounded("resnet50"),
     "that is the ratio of the GFLOPs column"),
    ("ex13_params_ratio", "vgg16",
     lambda: ref.num_params(ref.glance_model("vgg16")) / ref.num_params(ref.glance_model("resnet50")),
     "that is VGG-16"),
    ("ex13_params_ratio", "difference",
     lambda: ref.num_params(ref.glance_model("vgg19_bn")) - ref.num_params(ref.glance_model("resnet50")),
     "divide, do not subtract"),
    ("ex13_fc_share", "fc6_only",
     lambda: ref.num_params(ref.linears_of(ref.glance_model("vgg19_bn"))[0])
     / ref.num_params(ref.glance_model("vgg19_bn")),
     "that is fc6 alone"),
    ("ex13_fc_share", "convs",
     lambda: ref.num_params(ref.glance_model("vgg19_bn").features) / ref.num_params(ref.glance_model("vgg19_bn")),
     "that is the convolutions' share"),
    ("ex13_fc_share", "vgg16", lambda: ref.fc_share("vgg16"),
     "that is VGG-16's share"),
    ("ex13_fc_share", "percent", lambda: 100 * ref.fc_share(),
     "give a fraction"),
    ("ex13_fc_share", "fc_count", lambda: ref.fc_params_of("vgg19_bn"),
     "that is how many parameters the fully connected layers have"),
    ("ex13_resnet50_flops", "macs", lambda: ref.gmacs_rounded("resnet50"),
     "which counts multiply-accumulates"),
    ("ex13_resnet50_flops", "halved", lambda: ref.gmacs_rounded("resnet50") / 2,
     "multiply by 2, do not divide"),
    ("ex13_resnet50_flops", "not_giga", lambda: ref.resnet50_gflops() * 1e9,
     "give the answer in GFLOPs"),
    ("ex13_macs_ratio", "inverse", lambda: ref.gmacs_rounded("efficientnet_b0") / ref.gmacs_rounded("resnet50"),
     "that is EfficientNet-B0's share"),
    ("ex13_macs_ratio", "params_ratio",
     lambda: ref.num_params(ref.glance_model("resnet50")) / ref.num_params(ref.glance_model("efficientnet_b0")),
     "that is the ratio of the parameters"),
    ("ex13_macs_ratio", "difference", lambda: ref.gmacs_rounded("resnet50") - ref.gmacs_rounded("efficientnet_b0"),
     "divide, do not subtract"),
    ("ex13_vit_fp16_mb", "float32", lambda: ref.parameter_bytes("vit_b_16", torch.float32) / 1e6,
     "that is float32"),
    ("ex13_vit_fp16_mb", "mib", lambda: ref.parameter_bytes("vit_b_16", torch.float16) / 2 ** 20,
     "that is in MiB"),
    ("ex13_vit_fp16_mb", "params", lambda: ref.num_params(ref.glance_model("vit_b_16")) / 1e6,
     "the number of parameters in millions"),
    ("ex13_vit_fp16_mb", "megabits", lambda: ref.parameter_bytes("vit_b_16", torch.float16) * 8 / 1e6,
     "that is in megabits"),
]

WRONG_VALUES: dict[str, dict[str, int | float]] = {  # what the measured mistakes come to
    "ex01_output_size": {"no_padding": 109, "no_plus_one": 111, "no_stride": 224},
    "ex01_grouped_conv_params": {"groups_ignored": 73_856, "no_bias": 18_432, "outputs_divided_too": 4_640},
    "ex01_conv_macs": {"stride_ignored": 231_211_008, "flops": 115_605_504, "bias_added": 57_903_104},
    "ex01_receptive_field": {"strides_ignored": 13, "pools_ignored": 11},
    "ex01_bn_redundant_params": {"nothing": 0, "first_bias_only": 64, "conv_biases_and_bn_betas": 384,
                                 "bn_gammas_and_betas": 384},
    "ex01_lenet_params": {"paper_count": 60_000, "no_biases": 61_470, "output_without_bias": 61_696},
    "ex02_conv1_output_size": {"paper_227": 55, "not_floored": 54.25, "no_plus_one": 53, "no_stride": 214},
    "ex02_grouped_conv2_params": {"groups_ignored": 614_656, "no_bias": 307_200, "one_gpu": 153_728},
    "ex02_fc_params": {"fc6_only": 37_752_832, "no_fc8": 54_534_144, "no_biases": 58_621_952,
                       "before_pool5": 198_091_752},
    "ex02_zfnet_conv1_macs": {"half_of_224": 177_020_928, "109": 167_664_672, "stride_ignored": 683_020_800,
                              "flops": 341_510_400, "bias_added": 171_916_800},
    "ex02_zfnet_pool1_size": {"ceil_mode": 55, "not_floored": 54.5, "no_plus_one": 53, "no_stride": 108},
    "ex02_dropout_kept_value": {"eval_mode": 4.0, "divided_by_p": 20.0, "paper_rule": 3.2, "dropped": 0.0},
    "ex03_two_3x3_vs_5x5_params": {"one_3x3": 1_048_576, "sign": -458_496, "no_biases": 458_752},
    "ex03_conv5_3_receptive_field": {"pools_ignored": 27, "pool_windows_ignored": 181, "strides_ignored": 31,
                                     "through_pool5": 212},
    "ex03_conv3_2_macs": {"no_padding": 1_719_926_784, "kernel_3_not_9": 616_562_688, "flops": 3_699_376_128,
                          "bias_added": 1_850_490_880},
    "ex03_conv1_1_activation_mb": {"mib": 12.25, "values_not_bytes": 3.211264, "megabits": 102.760448},
    "ex03_fc6_params": {"no_bias": 102_760_448, "before_pool5": 411_045_888, "channels_only": 2_101_248},
    "ex03_vgg16_bn_extra_params": {"buffers_counted": 16_896, "one_per_channel": 4_224, "one_per_stage": 2_944},
    "ex04_reduction_macs": {"direct": 112_896_000, "five_only": 3_763_200, "weights": 26_880, "flops": 10_536_960},
    "ex04_inception4e_channels": {"reductions_counted": 1_024, "no_pool_branch": 704, "pool_passes_input": 1_232},
    "ex04_inception3a_params": {"no_bn": 163_328, "conv_bias": 164_432, "torchvision_3x3": 155_872,
                                "buffers_counted": 164_800, "no_pool_proj": 157_856},
    "ex04_stem_macs": {"no_pool": 1_556_660_224, "floor_pool": 464_945_152, "no_conv2": 464_830_464,
                       "flops": 955_351_040},
    "ex04_flatten_head_params": {"gap_head": 1_025_000, "no_bias": 50_176_000, "difference": 49_152_000},
    "ex04_aux_classifier_params": {"no_pool": 26_781_928, "no_reduction": 9_414_632, "no_bn": 3_188_712,
                                   "conv_bias": 3_189_096, "both": 6_379_984},
    "ex05_basic_block_params": {"no_bn": 73_728, "conv_bias": 74_112, "buffers_counted": 74_240,
                                "projection_counted": 78_208},
    "ex05_bottleneck_params": {"no_bn": 69_632, "conv_bias": 70_784, "projection_counted": 136_448,
                               "basic_block_256": 1_180_672},
    "ex05_projection_params": {"no_bn": 131_072, "conv_bias": 132_608, "to_planes": 33_024, "from_planes": 66_560},
    "ex05_resnet50_convs": {"name_depth": 50, "no_shortcuts": 49, "no_stage1_projection": 52, "two_per_block": 37,
                            "fc_counted": 54},
    "ex05_cifar_depth": {"no_stem_no_fc": 108, "one_conv_per_block": 56, "one_stage": 38, "bottleneck": 164,
                         "projections_counted": 112},
    "ex05_v1_5_extra_macs": {"sign": -77_070_336, "v1_5_conv1_only": 102_760_448, "3x3_at_input": 423_886_848,
                             "flops": 154_140_672, "three_blocks": 231_211_008},
    "ex06_grouped_conv_params": {"dense": 147_456, "conv_bias": 4_736, "one_group": 144},
    "ex06_template_weights": {"resnet": 69_632, "dense_3x3": 212_992, "bn_counted": 71_168, "one_group": 65_680},
    "ex06_wrn_extra_params": {"no_bn": 2_293_760, "whole_block": 3_411_968, "doubled": 1_117_184,
                              "3x3_only": 1_769_472},
    "ex06_cardinality": {"no_3x3": 10, "dense_3x3": 5, "resnext50": 32},
    "ex06_expected_active_blocks": {"uniform": 27.0, "dropped": 13.75, "from_zero": 40.75, "test_time": 54.0},
    "ex07_layer_input_channels": {"off_by_one": 576, "no_compression": 928, "no_block_input": 288},
    "ex07_final_channels": {"no_compression": 1_920, "block4_input": 512, "growth_4k": 4_072},
    "ex07_dense_layer_params": {"no_bn": 106_496, "conv_bias": 108_000, "buffers_counted": 109_184,
                                "no_bottleneck": 157_760, "post_activation": 106_816},
    "ex07_transition_params": {"no_bn": 524_288, "bn_on_output": 525_312, "conv_bias": 526_848,
                               "no_compression": 1_050_624, "buffers_counted": 528_384},
    "ex07_dense_layer_macs": {"flops": 41_746_432, "3x3_only": 7_225_344, "1x1_only": 13_647_872,
                              "bottleneck_k": 5_218_304},
    "ex08_se_unit_params": {"no_biases": 8_192, "one_fc": 4_112, "no_reduction": 131_584},
    "ex08_se_overhead": {"weights_only": 2_514_944, "inner_width": 161_196, "one_per_stage": 700_400,
                         "whole_model": 28_088_024},
    "ex08_se_extra_macs": {"flops": 5_029_888, "bias_adds": 2_530_992, "every_position": 411_041_792,
                           "scaling": 8_034_304},
    "ex08_reduction_ratio": {"default": 16, "inner_width": 2},
    "ex08_se_pre_params": {"standard": 132_160, "inner_width": 8_464, "no_biases": 32_768},
    "ex09_separable_macs": {"standard": 462_422_016, "flops": 109_985_792, "pointwise_only": 51_380_224,
                            "depthwise_only": 3_612_672},
    "ex09_separable_fraction": {"one_over_k2": 0.1111111111111111, "one_over_n": 0.001953125,
                                "inverted": 8.844529750479847},
    "ex09_separable_params": {"no_bn": 133_376, "conv_bias": 135_680, "buffers_counted": 136_448,
                              "standard": 1_180_672},
    "ex09_width_resolution_macs": {"alpha_rho_estimate": 72_543_412.24489796,
                                   "alpha_not_squared": 145_086_824.48979592, "at_224": 149_497_088,
                                   "full_width": 290_675_200, "flops": 153_049_600},
    "ex09_inverted_residual_params": {"hidden_from_output": 13_312, "no_project_bn": 9_936, "no_bn": 9_360,
                                      "dense_depthwise": 195_328, "buffers_counted": 10_640},
    "ex09_residual_blocks": {"all_blocks": 17, "one_per_stage": 7, "stride_one": 13},
    "ex10_compound_base": {"linear": 1.518, "all_squared": 2.304324, "target": 2.0},
    "ex10_compound_flops": {"two_to_phi": 8.0, "times_phi": 5.760809999999999, "linear": 3.497963832},
    "ex10_b4_blocks": {"rounded_per_stage": 29, "rounded_total": 29, "unrounded": 28.8, "floor": 25, "b0": 16},
    "ex10_se_params": {"expanded_quarter": 29_100, "senet_r16": 7_455, "no_biases": 4_800, "on_input": 850},
    "ex10_b3_first_width": {"nearest": 16, "unrounded": 19.2, "truncated": 19},
    "ex10_mbconv_macs": {"flops": 23_435_520, "depthwise_at_input": 12_987_840, "expand_at_output": 6_072_960,
                         "se_every_position": 12_653_760, "no_se": 11_712_960},
    "ex11_stage_ratio_macs": {"flops": 873_463_808, "no_removal": 655_097_856, "one_block": 218_365_952,
                              "map_not_halved": 2_402_025_472},
    "ex11_patchify_stem_macs": {"flops": 216_760_320, "resnet_stem": 118_013_952, "patchify_stem": 9_633_792,
                                "sign": -108_380_160},
    "ex11_block_params": {"missing_c": 79_200, "no_biases": 78_720, "dense": 526_176, "no_norm": 79_104,
                          "no_expansion": 23_712},
    "ex11_block_macs": {"flops": 491_925_504, "dense": 1_647_378_432, "linears_only": 231_211_008,
                        "depthwise_only": 14_751_744, "no_expansion": 72_554_496},
    "ex11_vit_tokens": {"no_class_token": 576, "at_224": 197, "per_side": 24},
    "ex11_vit_block_params": {"no_out_proj": 6_497_280, "qkv_per_head": 26_577_408, "weights_only": 7_077_888,
                              "no_norms": 7_084_800},
    "ex12_head_params": {"no_bias": 2_560, "imagenet_head": 513_000, "ten_classes": 5_130, "whole_model": 11_179_077},
    "ex12_layer4_params": {"no_head": 8_393_728, "imagenet_head": 8_906_728, "full": 11_179_077, "head_only": 2_565,
                           "no_projection": 8_264_197, "buffers_counted": 8_401_413},
    "ex12_training_steps": {"partial_batches": 40, "unrounded": 39.0625, "one_epoch": 3, "all_classes": 70},
    "ex12_error_reduction": {"points": 4.728000000000009, "over_accuracy": 0.0621042952843821,
                             "over_v2_error": 0.2469961341552612, "percent": 19.807289484708875,
                             "top5": 0.3603250210142898},
    "ex12_resize_width": {"short_side": 232, "crop": 224, "v1_resize": 383, "rounded": 348,
                          "unrounded": 347.72833723653395},
    "ex13_params_ratio": {"inverse": 0.17787683491240788, "gflops_ratio": 4.801173881144534,
                          "vgg16": 5.413678082807111, "difference": 118_121_216},
    "ex13_fc_share": {"fc6_only": 0.7152407927468604, "convs": 0.13944624380442056, "vgg16": 0.8936473749490668,
                      "percent": 86.05537561955795, "fc_count": 123_642_856},
    "ex13_resnet50_flops": {"macs": 4.089, "halved": 2.0445, "not_giga": 8178000000.000001},
    "ex13_macs_ratio": {"inverse": 0.09439960870628515, "params_ratio": 4.83252340718095,
                        "difference": 3.7030000000000003},
    "ex13_vit_fp16_mb": {"float32": 346.270624, "mib": 165.1147003173828, "params": 86.567656,
                         "megabits": 1385.082496},
}


def test_every_hint_has_a_measured_wrong_answer() -> None:
    assert sorted(WRONG_VALUES) == sorted(EXPECTED)
    assert sorted((n, m) for n, m, _, _ in WRONG) == sorted((n, m) for n, ms in WRONG_VALUES.items() for m in ms)


@pytest.mark.parametrize("name,mistake,wrong,phrase", WRONG, ids=[f"{n}-{m}" for n, m, _, _ in WRONG])
def test_typical_wrong_answer_gets_its_hint(name: str, mistake: str, wrong: Callable[[], int | float], phrase: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    answer = wrong()
    assert answer == WRONG_VALUES[name][mistake]
    assert answer != EXPECTED[name]
    assert CHECKS[name](answer) is False
    out = capsys.readouterr().out
    assert out.startswith(f"Not yet ({answer:,} is a common slip). Hint: ") and phrase in out, (
        f"{answer:,} should get the hint containing {phrase!r}; printed: {out!r}")


# ---- (c) no answer, not a number, an unrelated number ----------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_answer_yet(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKS[name](None) is False
    assert capsys.readouterr().out.startswith("No answer yet")


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("answer", ["112", [112], True])
def test_not_a_number(name: str, answer: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKS[name](answer) is False
    out = capsys.readouterr().out
    assert out.startswith(f"Your answer should be a number; got {type(answer).__name__} {answer!r}.")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_unrelated_number(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKS[name](987_654_321) is False
    assert capsys.readouterr().out.startswith("Not yet: 987,654,321 is not right.")


def test_numpy_scalars_are_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    """A student who computes with NumPy (``np.prod(...)``) gets a NumPy integer: it is still a number."""
    assert checks.check(np.float64(112.0), 112) is True
    capsys.readouterr()
    assert checks.check(np.int64(112), 112) is True, capsys.readouterr().out
    assert capsys.readouterr().out.startswith("Correct")


# ---- the hint mechanism ------------------------------------------------------------------------

def test_check_mechanism(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks.check(4, 5, hints={4: "count again."}) is False
    assert capsys.readouterr().out == "Not yet (4 is a common slip). Hint: count again.\n"
    assert checks.check(5, 5, explanation="Because.") is True
    assert capsys.readouterr().out == "Correct: 5. Because.\n"
    assert checks.check(5.05, 5, rel_tol=0.02) is True
    capsys.readouterr()
    # A hint whose value equals the expected answer can never be shown: the answer is accepted first.
    assert checks.check(5, 5, hints={5: "unreachable"}) is True
    assert "unreachable" not in capsys.readouterr().out


def _recorded_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[float, dict[float, str]]]:
    """Call every check once and record the ``expected`` and ``hints`` it hands to :func:`checks.check`."""
    calls: dict[str, tuple[float, dict[float, str]]] = {}
    real_check = checks.check
    for name, fn in CHECKS.items():
        def spy(answer, expected, *, hints={}, name=name, **kwargs):  # noqa: B006
            calls[name] = (expected, dict(hints))
            return real_check(answer, expected, hints=hints, **kwargs)
        monkeypatch.setattr(sys.modules[fn.__module__], "check", spy)  # the name the check calls
        fn(None)
        monkeypatch.setattr(sys.modules[fn.__module__], "check", real_check)
    return calls


def test_no_hint_value_equals_the_expected_answer(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    calls = _recorded_calls(monkeypatch)
    assert sorted(calls) == sorted(CHECKS)
    for name, (expected, hints) in calls.items():
        assert expected == EXPECTED[name], name
        clashes = [v for v in hints if math.isclose(v, expected, abs_tol=1e-9)]
        assert not clashes, f"{name}: hint value {clashes} equals the expected answer {expected}"


def _hints_written(function_name: str) -> int:
    """How many entries the ``hints={...}`` literal in ``checks.<function_name>`` has in the source."""
    tree = ast.parse(inspect.getsource(CHECKS[function_name]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
            for kw in node.keywords:
                if kw.arg == "hints" and isinstance(kw.value, ast.Dict):
                    return len(kw.value.keys)
    return 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_hint_written_can_be_reached(name: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Two hints computed to the same value collapse into one dict key: the earlier one is never shown."""
    _, hints = _recorded_calls(monkeypatch)[name]
    assert _hints_written(name) >= 1
    measured = WRONG_VALUES[name].values()
    unmeasured = [v for v in hints if not any(math.isclose(v, w, abs_tol=1e-9) for w in measured)]
    assert not unmeasured, f"{name}: hint values {unmeasured} have no wrong answer measured on real layers"
    assert len(hints) == _hints_written(name), (
        f"{name}: {_hints_written(name)} hints written but only {len(hints)} distinct values {sorted(hints)}")


# ---- answers in unusual forms: never a traceback ------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("answer", [10**400, -10**400, 10**5000, fractions.Fraction(10**400, 3),
                                    fractions.Fraction(1, 7), float("nan"), float("inf")],
                         ids=["1e400", "-1e400", "1e5000", "1e400/3", "1/7", "nan", "inf"])
def test_huge_and_odd_numbers_are_just_wrong(name: str, answer: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKS[name](answer) is False
    assert capsys.readouterr().out.startswith("Not yet: ")


def test_huge_numbers_and_fractions_are_compared_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks.check(10**400, 10**400) is True
    assert checks.check(10**400 + 1, 10**400) is False
    assert capsys.readouterr().out.splitlines()[-1].startswith("Not yet: 10,000,000,")
    assert checks.check(10**5000, 112) is False
    assert capsys.readouterr().out == ("Not yet: a number too long to print is not right. "
                                       "Write the formula out term by term and try again.\n")
    assert checks.check(fractions.Fraction(1, 3), 112) is False
    assert capsys.readouterr().out == "Not yet: 1/3 is not right. Write the formula out term by term and try again.\n"
    assert checks.ex06_expected_active_blocks(fractions.Fraction(161, 4)) is True  # 40.25
    assert capsys.readouterr().out.startswith("Correct: 40.25.")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_right_answer_as_0d_tensor_or_array_is_correct(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    value = EXPECTED[name]
    for answer in (torch.tensor(value, dtype=torch.float64), np.array(value), np.float64(value),
                   decimal.Decimal(repr(value))):
        assert CHECKS[name](answer) is True, (answer, capsys.readouterr().out)
        assert capsys.readouterr().out.startswith(f"Correct: {value:,}.")
    if isinstance(value, int):
        assert CHECKS[name](torch.tensor(value)) is True  # int64
        assert capsys.readouterr().out.startswith("Correct")


def test_not_a_number_hints(capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "112": "Your answer should be a number; got str '112'. Remove the quotes: write 112, not '112'.\n",
        "1,849,688,064": ("Your answer should be a number; got str '1,849,688,064'. Remove the quotes: write "
                          "1849688064, not '1,849,688,064'.\n"),
        "abc": "Your answer should be a number; got str 'abc'.\n",
        torch.tensor([112]): ("Your answer should be a number; got Tensor tensor([112]). "
                              "Take the number out with .item().\n"),
        torch.tensor(True): "Your answer should be a number; got Tensor tensor(True).\n",
    }
    for answer, out in cases.items():
        assert checks.check(answer, 112) is False
        assert capsys.readouterr().out == out
    assert checks.check(np.array([112]), 112) is False
    assert capsys.readouterr().out == ("Your answer should be a number; got ndarray array([112]). "
                                       "Take the number out with .item().\n")


@pytest.mark.parametrize("answer", [40, 40.0, 40.3 - 0.1, 40.2, np.int64(40)])
def test_rounded_answer_gets_the_rounding_hint(answer: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert EXPECTED["ex06_expected_active_blocks"] == 40.25
    assert checks.ex06_expected_active_blocks(answer) is False
    shown = f"{float(answer) if isinstance(answer, float) else int(answer):,}"
    assert capsys.readouterr().out == (f"Not yet ({shown} is the right answer rounded). "
                                       f"Hint: give the exact value, not a rounded one.\n")


def test_rounding_hint_only_for_non_integer_answers(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks.check(0.11, 0.1130642361111111, rel_tol=1e-3) is False  # rounded to two decimals
    assert "is the right answer rounded" in capsys.readouterr().out
    assert checks.check(110, 112) is False  # an integer answer rounded is just wrong: likely another formula
    assert capsys.readouterr().out.startswith("Not yet: 110 is not right.")
    assert checks.check(0, 0.1130642361111111) is False  # 0 is not "rounded"
    assert capsys.readouterr().out.startswith("Not yet: 0 is not right.")
    assert checks.check(40, 40.25, hints={40: "a known slip."}) is False  # a written hint comes first
    assert capsys.readouterr().out == "Not yet (40 is a common slip). Hint: a known slip.\n"
