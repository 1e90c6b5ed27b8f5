"""Checks for problem set 04 (exercises/04_*.ipynb): GoogLeNet."""
from __future__ import annotations

from .. import costs
from ..models.vgg import DEPTHS, WIDTHS
from ._base import FLOPS_NOT_MACS, check, conv_bn_params

__all__ = [
    "ex04_reduction_macs",
    "ex04_inception4e_channels",
    "ex04_inception3a_params",
    "ex04_stem_macs",
    "ex04_flatten_head_params",
    "ex04_aux_classifier_params",
]


# Rows of the GoogLeNet paper's Table 1: input channels, then
# #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj.
_INCEPTION_3A = (192, 64, 96, 128, 16, 32, 32)
_INCEPTION_4A = (480, 192, 96, 208, 16, 48, 64)
_INCEPTION_4D = (512, 112, 144, 288, 32, 64, 64)
_INCEPTION_4E = (528, 256, 160, 320, 32, 128, 128)


def _inception_out(row: tuple[int, ...]) -> int:
    """Output channels of an Inception module: its four branches concatenated."""
    _, ch1x1, _, ch3x3, _, ch5x5, pool_proj = row
    return ch1x1 + ch3x3 + ch5x5 + pool_proj


def _inception_branches(row: tuple[int, ...], *, kernel_5x5: int = 5, **unit: bool) -> list[int]:
    """Parameters of the four branches of an Inception module built from BasicConv2d units."""
    c_in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj = row
    return [conv_bn_params(c_in, ch1x1, 1, **unit),
            conv_bn_params(c_in, ch3x3red, 1, **unit) + conv_bn_params(ch3x3red, ch3x3, 3, **unit),
            conv_bn_params(c_in, ch5x5red, 1, **unit) + conv_bn_params(ch5x5red, ch5x5, kernel_5x5, **unit),
            conv_bn_params(c_in, pool_proj, 1, **unit)]


def _vgg_macs_until(depth: int, *, stages: int, size: int = 224) -> int:
    """MACs of the convolutions of VGG-``depth``'s first ``stages`` stages on one ``size``×``size`` image."""
    macs, c_in = 0, 3
    for stage, (width, n) in enumerate(zip(WIDTHS[:stages], DEPTHS[depth][:stages])):
        side = size // 2**stage
        for _ in range(n):
            macs += costs.conv_macs(c_in, width, 3, costs.output_size(side, 3, padding=1))
            c_in = width
    return macs


def _aux_params(c_in: int, *, pooled: int = 4, reduce: bool = True, **unit: bool) -> int:
    """GoogLeNet's auxiliary classifier on a ``c_in``-channel map: pool → 1×1 conv (128) → FC 1024 → FC 1000."""
    conv = conv_bn_params(c_in, 128, 1, **unit) if reduce else 0
    fc1_in = pooled * pooled * (128 if reduce else c_in)
    return conv + costs.linear_params(fc1_in, 1024) + costs.linear_params(1024, 1000)


def ex04_reduction_macs(answer: object) -> bool:
    """MACs of inception 4a's 5×5 branch: 1×1 reduction 480 → 16, then 5×5 (padding 2) 16 → 48, on 14×14."""
    c_in, _, _, _, red, out, _ = _INCEPTION_4A
    hw = costs.output_size(14, 5, padding=2)
    reduce, five = costs.conv_macs(c_in, red, 1, hw), costs.conv_macs(red, out, 5, hw)
    macs, direct = reduce + five, costs.conv_macs(c_in, out, 5, hw)
    return check(answer, macs, hints={
        direct: "that is the 5×5 convolution applied to all 480 channels directly; the branch first reduces "
                "them to 16 with a 1×1 convolution.",
        five: "add the cost of the 1×1 reduction itself: 480·16 weights, used at each of the 14·14 positions.",
        costs.conv_params(c_in, red, 1, bias=False) + costs.conv_params(red, out, 5, bias=False):
            "that is the number of weights; each one is used once at every one of the 14·14 output positions.",
        2 * macs: FLOPS_NOT_MACS,
    }, explanation=f"480·16·14·14 = {reduce:,} for the 1×1 reduction + 5·5·16·48·14·14 = {five:,} for the "
                   f"5×5: {direct / macs:.1f}× fewer than the {direct:,} of one 5×5 convolution on all 480 "
                   f"channels.")


def ex04_inception4e_channels(answer: object) -> bool:
    """Output channels of inception 4e (Table 1 row: 256, 160, 320, 32, 128, 128; 528 channels in)."""
    c_in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, _ = _INCEPTION_4E
    out = _inception_out(_INCEPTION_4E)
    return check(answer, out, hints={
        out + ch3x3red + ch5x5red: "the reductions (#3×3 reduce, #5×5 reduce) only feed the 3×3 and 5×5 "
                                   "convolutions; they are not part of the concatenated output.",
        ch1x1 + ch3x3 + ch5x5: "the pooling branch is concatenated too: its 1×1 projection adds "
                               "'pool proj' channels.",
        ch1x1 + ch3x3 + ch5x5 + c_in: "the pooling branch ends with a 1×1 projection to 128 channels; it does "
                                      "not pass the 528 input channels through.",
    }, explanation="#1×1 + #3×3 + #5×5 + pool proj = 256 + 320 + 128 + 128: the four branches are concatenated "
                   "along the channels, and 4e's output is what the last max-pool hands to stage 5.")


def ex04_inception3a_params(answer: object) -> bool:
    """Parameters of ``googlenet(kernel_5x5=5).inception3a`` (BasicConv2d: conv without bias + BatchNorm)."""
    branches = _inception_branches(_INCEPTION_3A)
    total = sum(branches)
    weights = sum(_inception_branches(_INCEPTION_3A, bn=False))
    _, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj = _INCEPTION_3A
    channels = ch1x1 + ch3x3red + ch3x3 + ch5x5red + ch5x5 + pool_proj
    return check(answer, total, hints={
        weights: "each convolution is followed by a BatchNorm with a learned γ and β per output channel.",
        sum(_inception_branches(_INCEPTION_3A, conv_bias=True)):
            "BasicConv2d's convolution has no bias (bias=False): the BatchNorm's β takes its role.",
        sum(_inception_branches(_INCEPTION_3A, kernel_5x5=3)):
            "that is torchvision's 3×3 kernel in the '5×5' branch (the course's default); this problem uses "
            "the paper's 5×5 kernel, kernel_5x5=5.",
        total + 2 * channels: "BatchNorm's running mean and variance are buffers, updated but not learned: "
                              "they are not parameters.",
        total - branches[3]: "the pooling branch has learned weights too: a 1×1 projection (32 filters) after "
                             "its max-pool.",
    }, explanation=f"{weights:,} convolution weights + {total - weights:,} BatchNorm parameters; the 3×3 branch "
                   f"alone holds {branches[1] / total:.0%} of them.")


def ex04_stem_macs(answer: object) -> bool:
    """MACs of GoogLeNet's stem (conv1 7×7/2, max-pool, conv2 1×1, conv3 3×3) on one 224×224 image."""
    s1 = costs.output_size(224, 7, stride=2, padding=3)
    s2 = costs.output_size(s1, 3, stride=2, ceil_mode=True)
    conv1 = costs.conv_macs(3, 64, 7, s1)
    conv2, conv3 = costs.conv_macs(64, 64, 1, s2), costs.conv_macs(64, 192, 3, costs.output_size(s2, 3, padding=1))
    macs = conv1 + conv2 + conv3
    floor_side = costs.output_size(s1, 3, stride=2)
    vgg = _vgg_macs_until(16, stages=3)
    return check(answer, macs, hints={
        conv1 + costs.conv_macs(64, 64, 1, s1) + costs.conv_macs(64, 192, 3, s1):
            "the max-pool after conv1 halves the map to 56×56 before conv2 and conv3 read it.",
        conv1 + costs.conv_macs(64, 64, 1, floor_side) + costs.conv_macs(64, 192, 3, floor_side):
            "the stem's max-pools round up (ceil_mode=True): ⌈(112 − 3)/2⌉ + 1 = 56, not 55.",
        conv1 + conv3: "the 1×1 convolution conv2 (64 → 64) is part of the stem too.",
        2 * macs: FLOPS_NOT_MACS,
    }, explanation=f"conv1 {conv1:,} + conv2 {conv2:,} + conv3 {conv3:,}. VGG-16's convolutions spend {vgg:,} "
                   f"MACs ({vgg / macs:.0f}×) to bring a 224×224 image down to 28×28.")


def ex04_flatten_head_params(answer: object) -> bool:
    """Parameters of one linear layer from the flattened 7×7×1024 map to 1000 classes (with bias)."""
    flat, gap = costs.linear_params(7 * 7 * 1024, 1000), costs.linear_params(1024, 1000)
    return check(answer, flat, hints={
        gap: "that is GoogLeNet's own head: after global average pooling each channel is one number. "
             "Flattening keeps all 7·7 positions of each of the 1024 channels.",
        costs.linear_params(7 * 7 * 1024, 1000, bias=False): "don't forget the 1000 biases.",
        flat - gap: "that is how many parameters the flatten head has *more* than the average-pooling head; "
                    "the question asks for all of its parameters.",
    }, explanation=f"7·7·1024·1000 weights + 1000 biases: {flat / gap:.0f}× the {gap:,} parameters of "
                   f"GoogLeNet's average-pooling head, which needs only one weight per channel and class.")


def ex04_aux_classifier_params(answer: object) -> bool:
    """Parameters of GoogLeNet's first auxiliary classifier (on inception 4a's 512×14×14 output)."""
    c_in = _inception_out(_INCEPTION_4A)
    total = _aux_params(c_in)
    conv = conv_bn_params(c_in, 128, 1)
    fc1, fc2 = costs.linear_params(4 * 4 * 128, 1024), costs.linear_params(1024, 1000)
    both = total + _aux_params(_inception_out(_INCEPTION_4D))
    return check(answer, total, hints={
        _aux_params(c_in, pooled=14): "the average pool shrinks the 14×14 map to 4×4 before the 1×1 convolution, "
                                      "so fc1 reads 4·4·128 values.",
        _aux_params(c_in, reduce=False): "the 1×1 convolution reduces the 512 channels to 128 before fc1.",
        _aux_params(c_in, bn=False): "the 1×1 convolution is a BasicConv2d: count its BatchNorm's γ and β "
                                     "(2·128).",
        _aux_params(c_in, conv_bias=True): "BasicConv2d's convolution has no bias: its BatchNorm's β takes "
                                           "that role.",
        both: "that is both auxiliary classifiers; the question asks for the first one, on inception 4a.",
    }, explanation=f"1×1 conv and BatchNorm {conv:,} + fc1 {fc1:,} + fc2 {fc2:,}: the two linear layers hold "
                   f"{(fc1 + fc2) / total:.0%}. Both classifiers add "
                   f"{both:,} parameters during training and are dropped for inference.")
