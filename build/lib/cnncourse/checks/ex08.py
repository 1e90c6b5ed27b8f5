"""Checks for problem set 08 (exercises/08_*.ipynb): squeeze-and-excitation (SENet)."""
from __future__ import annotations

from .. import costs
from ..models.senet import REDUCTION
from ._base import BIAS_ADDS_NOT_MACS, FLOPS_NOT_MACS, check, conv_bn_params
from .ex05 import _EXPANSION, _RESNET50_DEPTHS, _RESNET_WIDTHS

__all__ = [
    "ex08_se_unit_params",
    "ex08_se_overhead",
    "ex08_se_extra_macs",
    "ex08_reduction_ratio",
    "ex08_se_pre_params",
]


_RATIOS = (2, 4, 8, 16, 32, 64)  # the reduction ratios of problem 4 (the SE paper's Table 10 tries 2 … 32)
_BUDGET = 0.05  # problem 4: SE may add at most 5% to ResNet-50's parameters
_STAGE_SIZES = (56, 28, 14, 7)  # ResNet-50's four stages on a 224×224 image (stem: ÷4, then ÷2 per stage)


def _se_weights(channels: int, ratio: int = REDUCTION) -> int:
    """The paper's count 2C²/r: the two fully connected layers' weights, no biases."""
    return 2 * channels * max(1, channels // ratio)


def _blocks(*, inner: bool = False) -> list[tuple[int, int]]:
    """(channels the SE unit sees, map size) for each of ResNet-50's 16 bottlenecks (standard SE position).

    The unit gates the block's output, 4× its inner width; ``inner=True`` is the slip of taking that inner width.
    """
    return [(planes if inner else _EXPANSION * planes, size)
            for planes, n, size in zip(_RESNET_WIDTHS, _RESNET50_DEPTHS, _STAGE_SIZES) for _ in range(n)]


def _se_total(ratio: int = REDUCTION, *, bias: bool = True, inner: bool = False) -> int:
    """Parameters of all of SE-ResNet-50's SE units (``bias=False``: the weights only)."""
    unit = costs.se_params if bias else _se_weights
    return sum(unit(c, ratio) for c, _ in _blocks(inner=inner))


def _resnet50_params() -> int:
    """ResNet-50's parameters from its stage table (torchvision's layout): stem, 16 bottlenecks, 4 projections, fc."""
    total, c_in = conv_bn_params(3, _RESNET_WIDTHS[0], 7), _RESNET_WIDTHS[0]
    for planes, n in zip(_RESNET_WIDTHS, _RESNET50_DEPTHS):
        out = _EXPANSION * planes
        for j in range(n):
            total += (conv_bn_params(c_in, planes, 1) + conv_bn_params(planes, planes, 3)
                      + conv_bn_params(planes, out, 1) + (conv_bn_params(c_in, out, 1) if j == 0 else 0))
            c_in = out
    return total + costs.linear_params(c_in, 1000)


def ex08_se_unit_params(answer: object) -> bool:
    """Parameters of the SE unit of SE-ResNet-50's ``layer1[0]``: 256 channels, r = 16, fc layers with biases."""
    c = _EXPANSION * _RESNET_WIDTHS[0]
    squeeze = c // REDUCTION
    total = costs.se_params(c, REDUCTION)
    return check(answer, total, hints={
        _se_weights(c): f"that is the paper's 2C²/r, which leaves out the biases: both fully connected layers have "
                        f"one per output ({squeeze} + {c}).",
        costs.linear_params(c, squeeze): "the excitation has two fully connected layers: C → C/r, then back "
                                         "C/r → C.",
        costs.se_params(c, 1): f"the first layer reduces the channels r-fold, to C/r = {c}/{REDUCTION} = "
                               f"{squeeze}.",
    }, explanation=f"({c}·{squeeze} + {squeeze}) + ({squeeze}·{c} + {c}); the squeeze (average pooling) and "
                   f"the scaling have no parameters.")


def ex08_se_overhead(answer: object) -> bool:
    """Parameters that SE (r = 16, standard position) adds to ResNet-50: one unit per bottleneck."""
    total = _se_total()
    per_stage = sum(costs.se_params(_EXPANSION * planes, REDUCTION) for planes in _RESNET_WIDTHS)
    resnet50 = _resnet50_params()
    last_stage = _RESNET50_DEPTHS[-1] * costs.se_params(_EXPANSION * _RESNET_WIDTHS[-1], REDUCTION)
    return check(answer, total, hints={
        _se_total(bias=False): "that is Σ 2C²/r, the paper's formula, which leaves out the fully connected "
                               "layers' biases (C/r + C per unit).",
        _se_total(inner=True): "the SE unit gates the block's output, 4× the width of its 3×3 convolution "
                               "(256, 512, 1024, 2048 channels).",
        per_stage: "every bottleneck block has its own SE unit (3 + 4 + 6 + 3 = 16), not one per stage.",
        resnet50 + total: f"that is all of SE-ResNet-50; the question asks what SE adds to ResNet-50's "
                          f"{resnet50:,}.",
    }, explanation=f"Σ over the 16 blocks of (2C²/16 + C/16 + C): {total / resnet50:.1%} more than ResNet-50, "
                   f"{resnet50 + total:,} parameters in all (the paper: ~28.1 M). The last stage's three units, on "
                   f"{_EXPANSION * _RESNET_WIDTHS[-1]} channels, hold {last_stage / total:.0%} of it.")


def ex08_se_extra_macs(answer: object) -> bool:
    """MACs that SE (r = 16) adds to ResNet-50 on one 224×224 image, counting weight MACs only."""
    macs = sum(_se_weights(c) for c, _ in _blocks())
    every_position = sum(_se_weights(c) * size * size for c, size in _blocks())
    scaling = sum(c * size * size for c, size in _blocks())
    return check(answer, macs, hints={
        2 * macs: FLOPS_NOT_MACS,
        _se_total(): BIAS_ADDS_NOT_MACS + " (That number is the SE units' parameter count.)",
        every_position: "the fully connected layers act once per image, on the pooled C×1×1 vector, not at every "
                        "position of the map.",
        macs + scaling: "the scaling multiplies each element by its channel's gate: an elementwise product, which "
                        "the course leaves out of MACs, like BatchNorm and ReLU.",
    }, explanation=f"One MAC per fully connected weight, {macs / 1e6:.2f} M in all: about 0.06% of ResNet-50's "
                   f"4.1 G. (The paper: 3.87 against 3.86 GFLOPs.) SE costs parameters, hardly any MACs.")


def _smallest_ratio(*, inner: bool = False) -> int:
    budget = _BUDGET * _resnet50_params()
    return min(r for r in _RATIOS if _se_total(r, inner=inner) <= budget)


def ex08_reduction_ratio(answer: object) -> bool:
    """The smallest r (a power of two) for which SE adds at most 5% to ResNet-50's parameters."""
    best = _smallest_ratio()
    resnet50 = _resnet50_params()
    return check(answer, best, hints={
        REDUCTION: f"r = {REDUCTION}, the paper's default, adds {_se_total() / resnet50:.1%}: over the budget.",
        _smallest_ratio(inner=True): "the SE unit gates the block's output, 4× the width of its 3×3 convolution: "
                                     "its parameters are 16× those of a unit on the inner width.",
    }, explanation=f"r = {best} adds {_se_total(best):,} parameters ({_se_total(best) / resnet50:.2%}); "
                   f"r = {best // 2} would add {_se_total(best // 2) / resnet50:.1%}. The overhead falls as 1/r. "
                   f"The paper's Table 10 compares r = 2 … 32 and keeps r = 16 as its balance of accuracy and cost.")


def ex08_se_pre_params(answer: object) -> bool:
    """Parameters of the SE unit of ``se_resnet50(se_position="pre").layer3[0]``: it gates the block's input."""
    c_in, planes = _EXPANSION * _RESNET_WIDTHS[1], _RESNET_WIDTHS[2]
    total = costs.se_params(c_in, REDUCTION)
    return check(answer, total, hints={
        costs.se_params(_EXPANSION * planes, REDUCTION): f"that is the standard design's unit, on the block's "
                                                         f"{_EXPANSION * planes} output channels; SE-PRE gates the "
                                                         f"input, before the first convolution.",
        costs.se_params(planes, REDUCTION): f"{planes} is the width of the block's 3×3 convolution; SE-PRE sits "
                                            f"before the block, on what it reads.",
        _se_weights(c_in): "the fully connected layers have biases too (C/r + C).",
    }, explanation=f"layer3[0] reads stage 2's {c_in}-channel output: 2·{c_in}·{c_in // REDUCTION} + "
                   f"{c_in // REDUCTION} + {c_in}, about a quarter of the standard unit on its "
                   f"{_EXPANSION * planes} output channels.")
