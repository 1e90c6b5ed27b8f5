"""Checks for problem set 05 (exercises/05_*.ipynb): ResNet."""
from __future__ import annotations

from .. import costs
from ..models.vgg import DEPTHS, WIDTHS
from ._base import FLOPS_NOT_MACS, check, conv_bn_params

__all__ = [
    "ex05_basic_block_params",
    "ex05_bottleneck_params",
    "ex05_projection_params",
    "ex05_resnet50_convs",
    "ex05_cifar_depth",
    "ex05_v1_5_extra_macs",
]


_RESNET_WIDTHS = (64, 128, 256, 512)  # "planes" of the four stages (the ResNet paper's Table 1)
_RESNET50_DEPTHS = (3, 4, 6, 3)  # bottleneck blocks per stage
_EXPANSION = 4  # a bottleneck's output has 4× the channels of its 3×3 convolution


def _bottleneck_macs(c_in: int, planes: int, size: int, *, stride_in_3x3: bool = True,
                     strided_3x3_at_input: bool = False) -> int:
    """MACs of a stride-2 bottleneck with a projection shortcut on a ``size``×``size`` input.

    ``stride_in_3x3`` is torchvision's V1.5; ``False`` strides in the first 1×1 (the paper's V1).
    ``strided_3x3_at_input`` is a counting slip: the strided 3×3 counted at its input size.
    """
    out = costs.output_size(size, 3, stride=2, padding=1)
    reduced = size if stride_in_3x3 else costs.output_size(size, 1, stride=2)
    at_3x3 = size if strided_3x3_at_input else out
    return (costs.conv_macs(c_in, planes, 1, reduced) + costs.conv_macs(planes, planes, 3, at_3x3)
            + costs.conv_macs(planes, _EXPANSION * planes, 1, out)
            + costs.conv_macs(c_in, _EXPANSION * planes, 1, costs.output_size(size, 1, stride=2)))


def ex05_basic_block_params(answer: object) -> bool:
    """Parameters of ResNet-18's ``layer1[0]``: a BasicBlock 64 → 64, stride 1, identity shortcut."""
    c = _RESNET_WIDTHS[0]
    total = 2 * conv_bn_params(c, c, 3)
    return check(answer, total, hints={
        2 * conv_bn_params(c, c, 3, bn=False): "each convolution is followed by a BatchNorm with a learned γ "
                                                "and β per channel (2·64 each).",
        2 * conv_bn_params(c, c, 3, conv_bias=True): "the block's convolutions have no bias (bias=False): "
                                                      "BatchNorm's β takes that role.",
        2 * conv_bn_params(c, c, 3, buffers=True): "BatchNorm's running mean and variance are buffers, "
                                                    "updated but not learned: they are not parameters.",
        total + conv_bn_params(c, c, 1): "this block's shortcut is the identity (same shape in and out): "
                                          "it has no parameters.",
    }, explanation="2·(3·3·64·64) convolution weights + 2·(2·64) BatchNorm parameters; the identity shortcut "
                   "adds none.")


def ex05_bottleneck_params(answer: object) -> bool:
    """Parameters of ResNet-50's ``layer1[1]``: a bottleneck 256 → 64 → 64 → 256 with an identity shortcut."""
    planes = _RESNET_WIDTHS[0]
    c = _EXPANSION * planes

    def block(**unit: bool) -> int:
        return (conv_bn_params(c, planes, 1, **unit) + conv_bn_params(planes, planes, 3, **unit)
                + conv_bn_params(planes, c, 1, **unit))

    total, weights = block(), block(bn=False)
    two_3x3 = 2 * conv_bn_params(c, c, 3)
    return check(answer, total, hints={
        weights: "each of the three convolutions is followed by a BatchNorm with a learned γ and β per channel.",
        block(conv_bias=True): "the block's convolutions have no bias (bias=False): BatchNorm's β takes that role.",
        total + conv_bn_params(c, c, 1): "this block's input already has 256 channels and its stride is 1: "
                                          "its shortcut is the identity, with no parameters.",
        two_3x3: "that is a basic block at 256 channels (two 3×3 convolutions 256 → 256); the bottleneck "
                 "reduces to 64 channels before its 3×3.",
    }, explanation=f"{weights:,} weights (256·64 + 9·64·64 + 64·256) + {total - weights:,} BatchNorm: "
                   f"{two_3x3 / total:.1f}× fewer than two 3×3 convolutions at 256 channels ({two_3x3:,}).")


def ex05_projection_params(answer: object) -> bool:
    """Parameters of the projection shortcut of ResNet-50's ``layer2[0]`` (256 → 512 channels, stride 2)."""
    c_in, c_out = _EXPANSION * _RESNET_WIDTHS[0], _EXPANSION * _RESNET_WIDTHS[1]
    proj = conv_bn_params(c_in, c_out, 1)
    all_four = conv_bn_params(_RESNET_WIDTHS[0], _EXPANSION * _RESNET_WIDTHS[0], 1) + sum(
        conv_bn_params(_EXPANSION * a, _EXPANSION * b, 1) for a, b in zip(_RESNET_WIDTHS, _RESNET_WIDTHS[1:]))
    return check(answer, proj, hints={
        conv_bn_params(c_in, c_out, 1, bn=False): "the projection is a 1×1 convolution *and* a BatchNorm "
                                                   "(2·512 parameters).",
        conv_bn_params(c_in, c_out, 1, conv_bias=True): "the projection's convolution has no bias: its "
                                                         "BatchNorm's β takes that role.",
        conv_bn_params(c_in, _RESNET_WIDTHS[1], 1): "the shortcut must match the block's output, 4·128 = 512 "
                                                     "channels, not the 128 of its 3×3 convolution.",
        conv_bn_params(_RESNET_WIDTHS[1], c_out, 1): "the shortcut reads the block's input, the output of "
                                                      "stage 1: 4·64 = 256 channels.",
    }, explanation=f"1·1·256·512 weights + 2·512 BatchNorm; the stride costs no parameters. ResNet-50's four "
                   f"projections (one at the start of each stage) hold {all_four:,} parameters in all.")


def ex05_resnet50_convs(answer: object) -> bool:
    """Number of ``nn.Conv2d`` modules in ``resnet50()`` (stage table 3, 4, 6, 3 bottlenecks)."""
    blocks, stages = sum(_RESNET50_DEPTHS), len(_RESNET50_DEPTHS)
    convs = 1 + 3 * blocks + stages  # the stem, three per bottleneck, one projection per stage
    return check(answer, convs, hints={
        1 + 3 * blocks + 1: "50 is the depth in the name: it counts the fc layer, which is not a convolution, "
                            "and leaves out the projection shortcuts.",
        1 + 3 * blocks: "count the projection shortcuts too: the first block of every stage has a 1×1 "
                        "convolution on its shortcut.",
        1 + 3 * blocks + stages - 1: "stage 1 has a projection too: its first block turns the stem's 64 channels "
                                     "into 4·64 = 256, even though its stride is 1.",
        1 + 2 * blocks + stages: "a bottleneck block has three convolutions (1×1, 3×3, 1×1), not two.",
        1 + 3 * blocks + stages + 1: "the fc layer is an nn.Linear, not a convolution.",
    }, explanation=f"1 stem + 3·({' + '.join(map(str, _RESNET50_DEPTHS))}) = {1 + 3 * blocks} convolutions on "
                   f"the main path (with the fc layer, the 50 of the name) + {stages} projection shortcuts.")


def ex05_cifar_depth(answer: object) -> bool:
    """Weighted layers of the ResNet paper's CIFAR network with n = 18 basic blocks per stage."""
    n, stages = 18, 3
    depth = 1 + stages * 2 * n + 1
    return check(answer, depth, hints={
        stages * 2 * n: "count the first 3×3 convolution (before the first stage) and the final fc layer too.",
        1 + stages * n + 1: "each basic block has two 3×3 convolutions.",
        1 + 2 * n + 1: "there are three stages (32×32, 16×16 and 8×8 maps), each with n blocks.",
        1 + stages * 3 * n + 1: "that counts three convolutions per block, the bottleneck version "
                                "(ResNet-164 of the pre-activation paper); these CIFAR ResNets use basic blocks.",
        depth + stages - 1: "the depth counts the layers on the main path only: the paper's CIFAR shortcuts "
                            "have no weights at all (zero-padding, option A), and even projection shortcuts "
                            "are not counted.",
    }, explanation="1 + 3·2·18 + 1 = 6n + 2: the paper's ResNet-110.")


def ex05_v1_5_extra_macs(answer: object) -> bool:
    """Extra MACs of torchvision's V1.5 ``layer2[0]`` (stride in the 3×3) over the paper's V1 (stride in the 1×1)."""
    size = costs.output_size(costs.output_size(224, 7, stride=2, padding=3), 3, stride=2, padding=1)  # stem: 56
    c_in, planes = _EXPANSION * _RESNET_WIDTHS[0], _RESNET_WIDTHS[1]
    extra = _bottleneck_macs(c_in, planes, size) - _bottleneck_macs(c_in, planes, size, stride_in_3x3=False)
    per_stage = [_bottleneck_macs(_EXPANSION * a, b, size // 2**i) - _bottleneck_macs(
        _EXPANSION * a, b, size // 2**i, stride_in_3x3=False)
        for i, (a, b) in enumerate(zip(_RESNET_WIDTHS, _RESNET_WIDTHS[1:]))]
    return check(answer, extra, hints={
        -extra: "mind the sign: V1.5 costs more, because its first 1×1 convolution runs before the stride, "
                "on the 56×56 map.",
        costs.conv_macs(c_in, planes, 1, size): "V1 runs that 1×1 convolution too, only on the 28×28 map: "
                                                "subtract its cost.",
        _bottleneck_macs(c_in, planes, size, strided_3x3_at_input=True) - _bottleneck_macs(
            c_in, planes, size, stride_in_3x3=False):
            "MACs are counted per *output* position: the strided 3×3 convolution outputs 28×28 in V1.5 too.",
        2 * extra: FLOPS_NOT_MACS,
        sum(per_stage): "that is the first blocks of stages 2, 3 and 4 together; the question asks about "
                        "layer2[0] alone.",
    }, explanation=f"256·128·(56·56 − 28·28): the 1×1 convolution runs at 4× as many positions. The first "
                   f"blocks of stages 3 and 4 add the same again each, {sum(per_stage) / 1e9:.2f} G in all: most "
                   f"of the gap between the paper's 3.8×10⁹ FLOPs (in fact multiply-adds) and the 4.1 G MACs "
                   f"counted for torchvision's ResNet-50.")
