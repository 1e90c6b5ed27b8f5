"""Checks for problem set 01 (exercises/01_*.ipynb): building blocks."""
from __future__ import annotations

from .. import costs
from ._base import BIAS_ADDS_NOT_MACS, FLOPS_NOT_MACS, check

__all__ = [
    "ex01_output_size",
    "ex01_grouped_conv_params",
    "ex01_conv_macs",
    "ex01_receptive_field",
    "ex01_bn_redundant_params",
    "ex01_lenet_params",
]


def ex01_output_size(answer: object) -> bool:
    """Output height of a 7×7 convolution, stride 2, padding 3, on a 224×224 image."""
    return check(answer, costs.output_size(224, 7, stride=2, padding=3), hints={
        (224 - 7) // 2 + 1: "you left out the padding: it adds 2p pixels to n.",
        (224 + 2 * 3 - 7) // 2: "you forgot the +1: count the first window position too.",
        224 + 2 * 3 - 7 + 1: "you ignored the stride: the window jumps 2 pixels at a time.",
    }, explanation="⌊(224 + 6 − 7)/2⌋ + 1: ResNet's stem halves the resolution.")


def ex01_grouped_conv_params(answer: object) -> bool:
    """Parameters of ``nn.Conv2d(64, 128, kernel_size=3, groups=4)`` (with bias)."""
    return check(answer, costs.conv_params(64, 128, 3, groups=4), hints={
        costs.conv_params(64, 128, 3): "with groups=4 each filter sees only 64/4 = 16 input channels.",
        costs.conv_params(64, 128, 3, groups=4, bias=False): "don't forget the 128 biases.",
        costs.conv_params(64, 128, 3, groups=4) // 4: "the output channels are not divided: each of the "
                                                      "128 filters still exists, only its depth shrinks.",
    }, explanation="3·3·16·128 weights + 128 biases: groups divide the weights by 4.")


def ex01_conv_macs(answer: object) -> bool:
    """MACs of ``nn.Conv2d(64, 128, 3, stride=2, padding=1)`` on one 64×56×56 input."""
    out = costs.output_size(56, 3, stride=2, padding=1)
    macs = costs.conv_macs(64, 128, 3, out)
    return check(answer, macs, hints={
        costs.conv_macs(64, 128, 3, 56): "MACs are counted per *output* position: the stride-2 output is 28×28.",
        2 * macs: FLOPS_NOT_MACS,
        macs + 128 * out * out: BIAS_ADDS_NOT_MACS,
    }, explanation="3·3·64·128 weights, each used at 28·28 output positions.")


def ex01_receptive_field(answer: object) -> bool:
    """Receptive field of conv3-conv3-pool2-conv3-conv3-pool2-conv3 (3×3 convs stride 1, 2×2 pools stride 2)."""
    stack = [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2), (3, 1)]
    return check(answer, costs.receptive_field(stack), hints={
        1 + sum(k - 1 for k, _ in stack): "after a stride-2 pool each 3×3 conv widens the field by 2 "
                                          "*pooled* pixels, i.e. 4 input pixels (8 after the second pool).",
        costs.receptive_field([(k, s) for k, s in stack if k == 3]): "pooling windows widen the field too "
                                                                     "(and their strides matter most).",
    }, explanation="r = 1 + Σ (k−1)·(product of earlier strides).")


def ex01_bn_redundant_params(answer: object) -> bool:
    """Parameters removable without changing the function of conv(3→64, bias)-BN-ReLU-conv(64→128, bias)-BN."""
    return check(answer, 64 + 128, hints={
        0: "BatchNorm subtracts the batch mean of each channel, so a constant added before it cancels out.",
        64: "both convolutions feed a BatchNorm: both biases are redundant.",
        costs.batchnorm_params(64) + costs.batchnorm_params(128):
            "remove only the conv biases: BN's gamma and beta stay (beta takes over the bias's role).",
    }, explanation="Both conv biases (64 + 128) are cancelled by BN's mean subtraction; beta takes their role.")


def ex01_lenet_params(answer: object) -> bool:
    """Learnable parameters of the course's LeNet-5: ``lenet5()`` (1 input channel, 10 classes)."""
    layers = [costs.conv_params(1, 6, 5), costs.conv_params(6, 16, 5), costs.conv_params(16, 120, 5),
              costs.linear_params(120, 84), costs.linear_params(84, 10)]
    no_bias = [costs.conv_params(1, 6, 5, bias=False), costs.conv_params(6, 16, 5, bias=False),
               costs.conv_params(16, 120, 5, bias=False), costs.linear_params(120, 84, bias=False),
               costs.linear_params(84, 10, bias=False)]
    return check(answer, sum(layers), hints={
        60_000: "that is the 1998 paper's count (sparse C3, trainable subsampling, RBF output); "
                "count the course's version layer by layer.",
        sum(no_bias): "every conv and linear layer has one bias per output channel or unit.",
        sum(layers) - 10: "the course's output is a plain linear layer with 10 biases "
                          "(the paper's RBF units had none).",
    }, explanation="156 + 2,416 + 48,120 + 10,164 + 850.")
