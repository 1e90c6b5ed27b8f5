"""Checks for problem set 03 (exercises/03_*.ipynb): VGG."""
from __future__ import annotations

from .. import costs
from ..models.vgg import DEPTHS, WIDTHS
from ._base import BIAS_ADDS_NOT_MACS, FLOPS_NOT_MACS, check

__all__ = [
    "ex03_two_3x3_vs_5x5_params",
    "ex03_conv5_3_receptive_field",
    "ex03_conv3_2_macs",
    "ex03_conv1_1_activation_mb",
    "ex03_fc6_params",
    "ex03_vgg16_bn_extra_params",
]


def _vgg_conv_widths(depth: int) -> list[int]:
    """Output channels of every 3×3 convolution of VGG-``depth``, in order (the paper's Table 1)."""
    return [w for w, n in zip(WIDTHS, DEPTHS[depth]) for _ in range(n)]


def _vgg_stack(depth: int, *, pools: int) -> list[tuple[int, int]]:
    """``(kernel, stride)`` of VGG-``depth``'s layers from the input, through the first ``pools`` max-pools."""
    layers: list[tuple[int, int]] = []
    for i, n in enumerate(DEPTHS[depth]):
        layers += [(3, 1)] * n
        if i < pools:
            layers.append((2, 2))
    return layers


def ex03_two_3x3_vs_5x5_params(answer: object) -> bool:
    """Parameters saved by replacing one 5×5 conv (256 → 256, bias) with two 3×3 convs (256 → 256, bias)."""
    c = 256
    five, three = costs.conv_params(c, c, 5), costs.conv_params(c, c, 3)
    saved = five - 2 * three
    return check(answer, saved, hints={
        five - three: "that compares the 5×5 with a single 3×3; seeing as far as a 5×5 takes two stacked 3×3s.",
        -saved: "mind the sign: the two 3×3s have fewer parameters (18C² against 25C² weights), "
                "so the saving is positive.",
        costs.conv_params(c, c, 5, bias=False) - 2 * costs.conv_params(c, c, 3, bias=False):
            "count the biases too: the stack has 2·256 of them and the 5×5 only 256.",
    }, explanation=f"25C² + C − 2(9C² + C) = 7C² − C with C = 256: {saved / five:.0%} fewer parameters "
                   f"for the same 5×5 receptive field, with one more ReLU in between.")


def ex03_conv5_3_receptive_field(answer: object) -> bool:
    """Receptive field, in input pixels along one axis, of one unit of VGG-16's conv5_3."""
    stack = _vgg_stack(16, pools=4)
    return check(answer, costs.receptive_field(stack), hints={
        costs.receptive_field([layer for layer in stack if layer[0] == 3]):
            "the max-pools matter: each stride-2 pool doubles the step of every layer above it.",
        costs.receptive_field([(1, s) if k == 2 else (k, s) for k, s in stack]):
            "the 2×2 pooling windows widen the field too, by (2 − 1) times the current step each.",
        costs.receptive_field([(k, 1) for k, s in stack]): "the strides matter: after p stride-2 pools, "
                                                           "a 3×3 conv widens the field by 2·2^p pixels.",
        costs.receptive_field(_vgg_stack(16, pools=5)): "that is after pool5; conv5_3 comes before the last pool.",
    }, explanation="r = 1 + Σ (k − 1)·(product of earlier strides): the three convs of stage 5 alone add "
                   "3·2·16 = 96 pixels, and a conv5_3 unit sees most of the 224×224 image.")


def ex03_conv3_2_macs(answer: object) -> bool:
    """MACs of VGG-16's conv3_2 (256 → 256, 3×3, padding 1) on one 256×56×56 input."""
    out = costs.output_size(56, 3, padding=1)
    macs = costs.conv_macs(256, 256, 3, out)
    conv2_2 = costs.conv_macs(128, 128, 3, costs.output_size(112, 3, padding=1))
    return check(answer, macs, hints={
        costs.conv_macs(256, 256, 3, costs.output_size(56, 3)): "VGG pads every 3×3 conv by 1, so the output "
                                                                "stays 56×56 (not 54×54).",
        costs.conv_macs(256, 256, (3, 1), out): "a 3×3 kernel has 3·3 = 9 weights per input channel, not 3.",
        2 * macs: FLOPS_NOT_MACS,
        macs + 256 * out * out: BIAS_ADDS_NOT_MACS,
    }, explanation=f"3·3·256·256 weights at 56·56 positions ≈ {macs / 1e9:.2f} G. conv2_2 (128 → 128 on "
                   f"112×112) costs {conv2_2:,}, the same: halving H and W while doubling C keeps "
                   f"9·HW·C² constant.")


def ex03_conv1_1_activation_mb(answer: object) -> bool:
    """Memory, in MB (10⁶ bytes), of VGG-16's conv1_1 output in float32 for one 224×224 image."""
    side = costs.output_size(224, 3, padding=1)
    shape = (64, side, side)
    mb = costs.activation_bytes(shape) / 1e6
    return check(answer, mb, rel_tol=0.01, hints={
        costs.activation_bytes(shape) / 2**20: "that is in MiB (2²⁰ bytes); the question asks for MB, 10⁶ bytes.",
        costs.activation_bytes(shape, bytes_per_element=1) / 1e6: "that is the number of values (in millions); "
                                                                  "each float32 value takes 4 bytes.",
        8 * costs.activation_bytes(shape) / 1e6: "that is megabits; a byte is 8 bits.",
    }, explanation=f"64·224·224 values × 4 bytes for one image and one layer; a batch of 256 images "
                   f"needs {256 * mb / 1e3:.1f} GB for this layer's output alone.")


def ex03_fc6_params(answer: object) -> bool:
    """Parameters of VGG-16's fc6 (7×7×512 → 4096, with bias)."""
    fc6 = costs.linear_params(7 * 7 * 512, 4096)
    convs = sum(costs.conv_params(c_in, c_out, 3) for c_in, c_out in
                zip([3, *_vgg_conv_widths(16)[:-1]], _vgg_conv_widths(16)))
    total = convs + fc6 + costs.linear_params(4096, 4096) + costs.linear_params(4096, 1000)
    return check(answer, fc6, hints={
        costs.linear_params(7 * 7 * 512, 4096, bias=False): "don't forget the 4096 biases.",
        costs.linear_params(14 * 14 * 512, 4096): "fc6 reads the 7×7×512 map after the last max-pool (pool5), "
                                                  "not conv5_3's 14×14×512 output.",
        costs.linear_params(512, 4096): "flattening keeps all 7·7 positions: fc6's input has 7·7·512 values, "
                                        "not 512.",
    }, explanation=f"7·7·512·4096 weights + 4096 biases: {fc6 / total:.0%} of VGG-16's {total:,} "
                   f"parameters sit in this one layer.")


def ex03_vgg16_bn_extra_params(answer: object) -> bool:
    """Learnable parameters ``vgg16_bn()`` has beyond ``vgg16()``: one BatchNorm after each of the 13 convs."""
    channels = _vgg_conv_widths(16)
    extra = sum(costs.batchnorm_params(c) for c in channels)
    return check(answer, extra, hints={
        2 * extra: "the running mean and variance are buffers, updated during training but not learned: "
                   "they are not parameters.",
        sum(channels): "BatchNorm learns two numbers per channel, a scale γ and a shift β.",
        sum(costs.batchnorm_params(c) for c in WIDTHS): "there is a BatchNorm after every one of the 13 "
                                                        "convolutions, not one per stage.",
    }, explanation="2·(2·64 + 2·128 + 3·256 + 3·512 + 3·512): a negligible fraction of 138 M. "
                   "BatchNorm's cost lies in its activations and its time, not in its parameters.")
