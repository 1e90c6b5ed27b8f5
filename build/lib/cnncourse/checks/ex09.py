"""Checks for problem set 09 (exercises/09_*.ipynb): MobileNet v1 and MobileNetV2."""
from __future__ import annotations

from .. import costs
from ..layers import make_divisible
from ..models.mobilenet import V1_LAYERS, V2_SETTING
from ._base import FLOPS_NOT_MACS, check, conv_bn_params

__all__ = [
    "ex09_separable_macs",
    "ex09_separable_fraction",
    "ex09_separable_params",
    "ex09_width_resolution_macs",
    "ex09_inverted_residual_params",
    "ex09_residual_blocks",
]


_KERNEL = 3  # every depthwise convolution of MobileNet v1 and V2 is 3×3
_STEM = 32  # output channels of the standard 3×3 stem (v1 Table 1, V2 Table 2)
_CLASSES = 1000

# The layers the problems ask about, numbered as in ``mobilenet_v1().features`` (0 is the stem).
_P1_LAYER, _P2_LAYER, _P3_LAYER = 3, 7, 6
_P5_BLOCK = 4  # mobilenet_v2().features[4]: the first block of the 32-channel stage
_ALPHA, _SIZE = 0.5, 160  # problem 4: 0.5 MobileNet-160


def _v1_width(c: int, alpha: float) -> int:
    """MobileNet v1's thinned width: int(α·c), at least 8 (as the reference TensorFlow code rounds)."""
    return max(int(c * alpha), 8)


def _v1_rows(alpha: float = 1.0, size: int = 224) -> list[tuple[int, int, int, int]]:
    """(input channels, output channels, stride, output side) of the stem and the 13 separable layers."""
    c, side = _v1_width(_STEM, alpha), costs.output_size(size, _KERNEL, 2, 1)
    rows = [(3, c, 2, side)]
    for out, stride in V1_LAYERS:
        side = costs.output_size(side, _KERNEL, stride, 1)
        rows.append((c, _v1_width(out, alpha), stride, side))
        c = _v1_width(out, alpha)
    return rows


def _depthwise_macs(c: int, side: int) -> int:
    return costs.conv_macs(c, c, _KERNEL, side, groups=c)


def _separable_macs(c_in: int, c_out: int, side: int) -> int:
    """A 3×3 depthwise convolution on c_in channels, then a 1×1 pointwise one c_in → c_out, at side×side."""
    return _depthwise_macs(c_in, side) + costs.conv_macs(c_in, c_out, 1, side)


def _v1_macs(alpha: float = 1.0, size: int = 224) -> int:
    """MobileNet v1 for one size×size image: stem + 13 separable layers + classifier (weight MACs only)."""
    (c_in, c_out, _, side), *layers = _v1_rows(alpha, size)
    total = costs.conv_macs(c_in, c_out, _KERNEL, side)
    total += sum(_separable_macs(a, b, s) for a, b, _, s in layers)
    return total + costs.linear_macs(layers[-1][1], _CLASSES)


def ex09_separable_macs(answer: object) -> bool:
    """MACs of ``mobilenet_v1().features[3]``: 3×3 depthwise then 1×1 pointwise, 128 → 128 channels at 56×56."""
    c_in, c_out, _, side = _v1_rows()[_P1_LAYER]
    depthwise, pointwise = _depthwise_macs(c_in, side), costs.conv_macs(c_in, c_out, 1, side)
    macs = depthwise + pointwise
    standard = costs.conv_macs(c_in, c_out, _KERNEL, side)
    return check(answer, macs, hints={
        standard: f"that is a standard 3×3 convolution {c_in} → {c_out} (k²·M·N·D²); the depthwise convolution has "
                  f"one 3×3 filter per channel (k²·M·D²), and the 1×1 pointwise convolution mixes the channels "
                  f"(M·N·D²).",
        2 * macs: FLOPS_NOT_MACS,
        pointwise: "that is the pointwise 1×1 convolution alone; add the depthwise 3×3 before it (k²·M·D²).",
        depthwise: "that is the depthwise 3×3 convolution alone; add the pointwise 1×1 after it (M·N·D²).",
    }, explanation=f"3·3·{c_in}·{side}² + {c_in}·{c_out}·{side}² = {depthwise:,} + {pointwise:,}: the pointwise "
                   f"convolution does {pointwise / macs:.0%} of the work. A standard 3×3 convolution would cost "
                   f"{standard:,}, {standard / macs:.1f}× as much.")


def ex09_separable_fraction(answer: object) -> bool:
    """Separable MACs / standard 3×3 MACs for ``mobilenet_v1().features[7]``: 512 → 512 channels at 14×14."""
    c_in, c_out, _, side = _v1_rows()[_P2_LAYER]
    standard = costs.conv_macs(c_in, c_out, _KERNEL, side)
    separable = _separable_macs(c_in, c_out, side)
    fraction = separable / standard
    return check(answer, fraction, rel_tol=1e-3, hints={
        costs.conv_macs(c_in, c_out, 1, side) / standard: f"1/k² = 1/9 is the pointwise convolution's share alone; "
                                                          f"the depthwise one adds 1/N = 1/{c_out}.",
        _depthwise_macs(c_in, side) / standard: f"1/N = 1/{c_out} is the depthwise convolution's share alone; the "
                                                f"pointwise one adds 1/k² = 1/9.",
        standard / separable: "that is how many times cheaper the separable layer is; the question asks for the "
                              "fraction separable / standard (a number below 1).",
    }, explanation=f"(k²·M + M·N)·D² / (k²·M·N·D²) = 1/N + 1/k² = 1/{c_out} + 1/9: the separable layer is "
                   f"{1 / fraction:.2f}× cheaper. D² and M cancel; as N grows the fraction approaches 1/9.")


def ex09_separable_params(answer: object) -> bool:
    """Parameters of ``mobilenet_v1().features[6]``: depthwise 3×3 (256, stride 2)-BN-ReLU, 1×1 256 → 512-BN-ReLU."""
    c_in, c_out, _, _ = _v1_rows()[_P3_LAYER]
    depthwise = costs.conv_params(c_in, c_in, _KERNEL, groups=c_in, bias=False)
    pointwise = costs.conv_params(c_in, c_out, 1, bias=False)
    bn = costs.batchnorm_params(c_in) + costs.batchnorm_params(c_out)
    total = depthwise + pointwise + bn
    return check(answer, total, hints={
        depthwise + pointwise: f"each convolution is followed by a BatchNorm with a scale and a shift per channel: "
                               f"2·{c_in} + 2·{c_out}.",
        total + c_in + c_out: "the convolutions have no bias (bias=False): the BatchNorm after each one has its "
                              "own shift.",
        total + bn: "BatchNorm's running mean and variance are buffers, not learnable parameters.",
        conv_bn_params(c_in, c_out, _KERNEL): f"that is a standard 3×3 convolution {c_in} → {c_out} with its "
                                              f"BatchNorm; the separable layer filters each channel on its own "
                                              f"(3·3·{c_in}), then mixes them with a 1×1 ({c_in}·{c_out}).",
    }, explanation=f"3·3·{c_in} + 2·{c_in} + {c_in}·{c_out} + 2·{c_out} = {depthwise:,} + {2 * c_in} + "
                   f"{pointwise:,} + {2 * c_out:,}: the pointwise convolution holds {pointwise / total:.0%} of "
                   f"the layer. The stride changes the MACs, not the parameters.")


def ex09_width_resolution_macs(answer: object) -> bool:
    """MACs of 0.5 MobileNet-160 (α = 0.5, a 160×160 image), counted layer by layer."""
    macs = _v1_macs(_ALPHA, _SIZE)
    full = _v1_macs()
    rho = _SIZE / 224
    estimate = full * _ALPHA ** 2 * rho ** 2
    return check(answer, macs, rel_tol=1e-6, hints={
        estimate: f"that is the estimate α²ρ²·{full:,}; the exact count is a little higher: the stem (3 input "
                  f"channels whatever α) and the depthwise convolutions shrink as αρ², not α²ρ², and the "
                  f"classifier only as α. Count layer by layer.",
        full * _ALPHA * rho ** 2: "the cost falls as α², not α: α thins both the input and the output channels of "
                                  "every pointwise convolution.",
        _v1_macs(_ALPHA, 224): f"that is α = {_ALPHA} at 224×224; the resolution multiplier shrinks the image to "
                               f"{_SIZE}×{_SIZE} too.",
        _v1_macs(1.0, _SIZE): f"that is α = 1 at {_SIZE}×{_SIZE}; the width multiplier thins every layer to "
                              f"int(α·c) channels too.",
        2 * macs: FLOPS_NOT_MACS,
    }, explanation=f"Maps of {_SIZE // 2}, {_SIZE // 4}, {_SIZE // 8}, {_SIZE // 16} and {_SIZE // 32} pixels, "
                   f"widths halved: {macs / 1e6:.1f} M MACs (the paper's Table 7: 76 M), "
                   f"{macs / full:.1%} of 1.0 MobileNet-224's {full / 1e6:.1f} M, against α²ρ² = "
                   f"{_ALPHA ** 2 * rho ** 2:.1%}.")


def _v2_blocks(*, hidden_from_output: bool = False) -> list[tuple[int, int, int, int]]:
    """(input channels, hidden channels, output channels, stride) of MobileNetV2's 17 inverted residuals."""
    blocks, c = [], make_divisible(_STEM)
    for t, out, n, s in V2_SETTING:
        out = make_divisible(out)
        for i in range(n):  # only the first block of a stage strides or changes width
            blocks.append((c, (out if hidden_from_output else c) * t, out, s if i == 0 else 1))
            c = out
    return blocks


def _inverted_residual_params(c_in: int, hidden: int, c_out: int, *, project_bn: bool = True, bn: bool = True,
                              dense_depthwise: bool = False, buffers: bool = False) -> int:
    """Expand 1×1 (when hidden ≠ c_in)-BN, depthwise 3×3-BN, project 1×1-BN; the keywords switch on slips."""
    bns = ([hidden] if hidden != c_in else []) + [hidden] + ([c_out] if project_bn else [])
    depthwise = costs.conv_params(hidden, hidden, _KERNEL, groups=1 if dense_depthwise else hidden, bias=False)
    total = (costs.conv_params(c_in, hidden, 1, bias=False) if hidden != c_in else 0) + depthwise
    total += costs.conv_params(hidden, c_out, 1, bias=False)
    if bn:
        total += sum(costs.batchnorm_params(c) for c in bns) * (2 if buffers else 1)
    return total


def ex09_inverted_residual_params(answer: object) -> bool:
    """Parameters of ``mobilenet_v2().features[4]``: 24 → 32 channels, expansion t = 6, stride 2."""
    c_in, hidden, c_out, _ = _v2_blocks()[_P5_BLOCK - 1]
    t = hidden // c_in
    total = _inverted_residual_params(c_in, hidden, c_out)
    _, hidden_out, _, _ = _v2_blocks(hidden_from_output=True)[_P5_BLOCK - 1]
    return check(answer, total, hints={
        _inverted_residual_params(c_in, hidden_out, c_out): f"the expansion multiplies the block's *input* "
                                                            f"channels: t·{c_in} = {hidden}, not t·{c_out}.",
        _inverted_residual_params(c_in, hidden, c_out, project_bn=False): "the linear projection has no ReLU6, but "
                                                                          "it keeps its BatchNorm "
                                                                          f"(2·{c_out}).",
        _inverted_residual_params(c_in, hidden, c_out, bn=False): "each of the three convolutions is followed by "
                                                                  "a BatchNorm with two parameters per channel.",
        _inverted_residual_params(c_in, hidden, c_out, dense_depthwise=True): f"the 3×3 convolution is depthwise "
                                                                              f"(groups={hidden}): one 3×3 filter "
                                                                              f"per channel, 3·3·{hidden} weights.",
        _inverted_residual_params(c_in, hidden, c_out, buffers=True): "BatchNorm's running mean and variance are "
                                                                      "buffers, not learnable parameters.",
    }, explanation=f"({c_in}·{hidden} + 2·{hidden}) + (3·3·{hidden} + 2·{hidden}) + ({hidden}·{c_out} + "
                   f"2·{c_out}), with t = {t}: the two 1×1 convolutions hold "
                   f"{(c_in * hidden + hidden * c_out) / total:.0%}; ReLU6 has no parameters and the stride "
                   f"none either.")


def ex09_residual_blocks(answer: object) -> bool:
    """How many of MobileNetV2's 17 inverted residual blocks add a shortcut (stride 1 and equal widths)."""
    blocks = _v2_blocks()
    residual = sum(s == 1 and c_in == c_out for c_in, _, c_out, s in blocks)
    stride_one = sum(s == 1 for *_, s in blocks)
    return check(answer, residual, hints={
        len(blocks): "a shortcut adds the input to the output, so the shapes must agree: not in a block that "
                     "strides or changes the number of channels.",
        len(V2_SETTING): "a stage of n blocks has n − 1 blocks with a shortcut: its first block changes the width "
                         "(and often the stride), the others do not.",
        stride_one: "stride 1 is not enough: the first block of a stage changes the number of channels even when "
                    "it does not stride (16, 96 and 320 channels).",
    }, explanation=f"Σ (n − 1) over the {len(V2_SETTING)} rows of Table 2 = {len(blocks)} − {len(V2_SETTING)}: "
                   f"every stage's first block changes the width. The shortcuts join the thin bottlenecks, not "
                   f"the expanded layers.")
