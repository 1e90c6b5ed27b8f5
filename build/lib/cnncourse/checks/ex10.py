"""Checks for problem set 10 (exercises/10_*.ipynb): EfficientNet and compound scaling."""
from __future__ import annotations

import math
from collections.abc import Callable

from .. import costs
from ..layers import make_divisible
from ..models.efficientnet import B0_STAGES, SCALING, compound_coefficients
from ._base import FLOPS_NOT_MACS, check

__all__ = [
    "ex10_compound_base",
    "ex10_compound_flops",
    "ex10_b4_blocks",
    "ex10_se_params",
    "ex10_b3_first_width",
    "ex10_mbconv_macs",
]


_PHI = 3  # problem 2: the compound coefficient φ
_SE_DIVISOR = 4  # MBConv's SE unit squeezes to a quarter of the block's input channels
_BLOCK_STAGE = 3  # problems 4 and 6: the first block of B0's fourth MBConv stage, features[4][0] (40 → 80)
_SIZE = 224  # B0's resolution


def _flops_factor(phi: float) -> float:
    """FLOPs multiplier d·w²·r² of the compound rule d = α^φ, w = β^φ, r = γ^φ."""
    d, w, r = compound_coefficients(phi)
    return d * w ** 2 * r ** 2


def ex10_compound_base(answer: object) -> bool:
    """α·β²·γ² for the paper's α = 1.2 (depth), β = 1.1 (width), γ = 1.15 (resolution)."""
    alpha, beta, gamma = compound_coefficients(1)
    base = _flops_factor(1)
    return check(answer, base, rel_tol=1e-3, hints={
        alpha * beta * gamma: "width and resolution enter the cost squared: a convolution's MACs grow with its "
                              "input *and* output channels, and with the height *and* the width of the map.",
        (alpha * beta * gamma) ** 2: "depth enters the cost once: d times as many layers cost d times as much, "
                                     "not d² times.",
        2.0: "2 is the target of the paper's search (α·β²·γ² ≈ 2); compute the product of the constants it chose.",
    }, explanation=f"{alpha}·{beta}²·{gamma}² = {alpha}·{beta ** 2:.2f}·{gamma ** 2:.4f}: each step of φ "
                   f"multiplies the FLOPs by about 2 ({base:.2f}).")


def ex10_compound_flops(answer: object) -> bool:
    """FLOPs multiplier d·w²·r² that the compound rule predicts for φ = 3 (α = 1.2, β = 1.1, γ = 1.15)."""
    factor = _flops_factor(_PHI)
    base = _flops_factor(1)
    alpha, beta, gamma = compound_coefficients(1)
    return check(answer, factor, rel_tol=1e-3, hints={
        2.0 ** _PHI: f"2^φ is the paper's round figure; with α·β²·γ² = {base:.4f} the exact multiplier is "
                     f"{base:.4f}^φ.",
        _PHI * base: "the multipliers compound: φ steps multiply the FLOPs by (α·β²·γ²)^φ, not φ·α·β²·γ².",
        (alpha * beta * gamma) ** _PHI: "width and resolution enter the cost squared: (α·β²·γ²)^φ, not (α·β·γ)^φ.",
    }, explanation=f"(α·β²·γ²)^{_PHI} = {base}^{_PHI}: the rule's d = {alpha ** _PHI:.3f}, w = {beta ** _PHI:.3f}, "
                   f"r = {gamma ** _PHI:.3f} (a {_SIZE * gamma ** _PHI:.0f}-pixel image). The released B3 uses "
                   f"its own rounder triple (depth {SCALING['b3'].depth}, width {SCALING['b3'].width}, "
                   f"{SCALING['b3'].resolution} pixels).")


def _repeats(depth: float, rounding: Callable[[float], int] = math.ceil) -> list[int]:
    """Blocks per stage: each row of B0's Table 1 scaled by ``depth`` and rounded (up, in EfficientNet)."""
    return [int(rounding(stage.layers * depth)) for stage in B0_STAGES]


def ex10_b4_blocks(answer: object) -> bool:
    """MBConv blocks in EfficientNet-B4 (depth multiplier 1.8): each stage's block count rounded up."""
    depth = SCALING["b4"].depth
    blocks = sum(_repeats(depth))
    b0 = sum(_repeats(1.0))
    return check(answer, blocks, hints={
        round(b0 * depth): f"the block count is rounded up stage by stage, ⌈n·{depth}⌉ for each of the 7 rows; "
                           f"rounding the total (or each stage to the nearest) loses blocks.",
        b0 * depth: "a block count is a whole number: each stage's n·d is rounded up.",
        sum(_repeats(depth, math.floor)): "each stage's n·d is rounded *up* (math.ceil), not down.",
        b0: f"that is B0's {b0} blocks; B4 scales every stage's depth by {depth}.",
    }, explanation=f"⌈n·{depth}⌉ for n = {', '.join(str(s.layers) for s in B0_STAGES)}: "
                   f"{' + '.join(map(str, _repeats(depth)))} = {blocks}, against {b0}·{depth} = {b0 * depth:.1f}.")


def _mbconv(stage: int = _BLOCK_STAGE) -> tuple[int, int, int, int, int]:
    """(input channels, hidden channels, output channels, kernel, stride) of the first block of B0's ``stage``."""
    row, c_in = B0_STAGES[stage], B0_STAGES[stage - 1].channels
    return c_in, make_divisible(c_in * row.expand_ratio), row.channels, row.kernel, row.stride


def _se(channels: int, squeeze: int, *, bias: bool = True) -> int:
    """Parameters of an SE unit channels → squeeze → channels (two 1×1 convolutions)."""
    return costs.conv_params(channels, squeeze, 1, bias=bias) + costs.conv_params(squeeze, channels, 1, bias=bias)


def ex10_se_params(answer: object) -> bool:
    """Parameters of the SE unit of ``efficientnet_b0().features[4][0]``: 40 → 240 (expand 6) → 80 channels."""
    c_in, hidden, _, _, _ = _mbconv()
    squeeze = c_in // _SE_DIVISOR
    total = _se(hidden, squeeze)
    return check(answer, total, hints={
        _se(hidden, hidden // _SE_DIVISOR): f"the unit squeezes to a quarter of the block's *input* channels, "
                                            f"{c_in}/4 = {squeeze}, not of the expanded {hidden}.",
        _se(hidden, hidden // 16): "that is SENet's r = 16 on the expanded width; EfficientNet squeezes to "
                                   "a quarter of the block's input channels.",
        _se(hidden, squeeze, bias=False): f"both 1×1 convolutions have biases ({squeeze} + {hidden}).",
        _se(c_in, squeeze): f"the unit sits after the depthwise convolution, so it gates the {hidden} expanded "
                            f"channels; only its squeeze width comes from the block's input.",
    }, explanation=f"fc1 {hidden} → {squeeze} and fc2 {squeeze} → {hidden}, with biases: ({hidden}·{squeeze} + "
                   f"{squeeze}) + ({squeeze}·{hidden} + {hidden}).")


def ex10_b3_first_width(answer: object) -> bool:
    """Output channels of EfficientNet-B3's first MBConv stage: B0's 16 scaled by width 1.2 and rounded."""
    width = SCALING["b3"].width
    base = B0_STAGES[0].channels
    scaled = base * width
    channels = make_divisible(scaled)
    nearest = round(scaled / 8) * 8
    return check(answer, channels, hints={
        nearest: f"the nearest multiple of 8 is {nearest}, but that would cut {1 - nearest / scaled:.0%} of "
                 f"{scaled:g}: the rule never rounds down by more than 10%, and goes up to the next multiple instead.",
        scaled: "channels are whole numbers, and the scaled widths are rounded to multiples of 8.",
        int(scaled): "the scaled widths are rounded to multiples of 8 (make_divisible), which hardware runs "
                     "fastest.",
    }, explanation=f"{base}·{width} = {scaled:g}; the nearest multiple of 8, {nearest}, is more than 10% below "
                   f"it, so make_divisible takes {channels}. B3's widths are "
                   f"{', '.join(str(make_divisible(s.channels * width)) for s in B0_STAGES)}.")


def _sides(stage: int = _BLOCK_STAGE, size: int = _SIZE) -> tuple[int, int]:
    """(input side, output side) of the first block of B0's ``stage`` on a size×size image."""
    side = costs.output_size(size, 3, 2, 1)  # the 3×3 stride-2 stem
    for row in B0_STAGES[:stage]:
        side = costs.output_size(side, row.kernel, row.stride, row.kernel // 2)
    row = B0_STAGES[stage]
    return side, costs.output_size(side, row.kernel, row.stride, row.kernel // 2)


def ex10_mbconv_macs(answer: object) -> bool:
    """MACs of ``efficientnet_b0().features[4][0]`` on a 224×224 image: expand, depthwise (stride 2), SE, project."""
    c_in, hidden, c_out, k, stride = _mbconv()
    squeeze = c_in // _SE_DIVISOR
    side_in, side_out = _sides()
    expand = costs.conv_macs(c_in, hidden, 1, side_in)
    depthwise = costs.conv_macs(hidden, hidden, k, side_out, groups=hidden)
    se = costs.linear_macs(hidden, squeeze) + costs.linear_macs(squeeze, hidden)
    project = costs.conv_macs(hidden, c_out, 1, side_out)
    macs = expand + depthwise + se + project
    return check(answer, macs, hints={
        2 * macs: FLOPS_NOT_MACS,
        macs - depthwise + costs.conv_macs(hidden, hidden, k, side_in, groups=hidden): (
            f"the depthwise convolution has stride {stride}: count it at its {side_out}×{side_out} output positions, "
            f"not at its {side_in}×{side_in} input."),
        macs - expand + costs.conv_macs(c_in, hidden, 1, side_out): (
            f"the expansion comes before the strided depthwise convolution: it works on the {side_in}×{side_in} "
            f"input."),
        macs - se + se * side_out ** 2: "the SE unit's fully connected layers act once per image, on the pooled "
                                        "vector, not at every position of the map.",
        macs - se: f"the SE unit adds its two fully connected layers: {hidden}·{squeeze} + {squeeze}·{hidden} MACs.",
    }, explanation=f"{c_in}·{hidden}·{side_in}² + {k}²·{hidden}·{side_out}² + 2·{hidden}·{squeeze} + "
                   f"{hidden}·{c_out}·{side_out}² = {expand:,} + {depthwise:,} + {se:,} + {project:,}: the 1×1 "
                   f"convolutions do {(expand + project) / macs:.0%} of the work, the SE unit "
                   f"{se / macs:.2%}.")
