"""Checks for problem set 06 (exercises/06_*.ipynb): Wide ResNet, ResNeXt and stochastic depth."""
from __future__ import annotations

import math

from .. import costs
from ._base import check
from .ex05 import _EXPANSION, _RESNET_WIDTHS

__all__ = [
    "ex06_grouped_conv_params",
    "ex06_template_weights",
    "ex06_wrn_extra_params",
    "ex06_cardinality",
    "ex06_expected_active_blocks",
]


# ResNeXt-50 32×4d (the ResNeXt paper's Table 1): C groups of d channels in each 3×3 convolution.
_CARDINALITY, _GROUP_WIDTH = 32, 4
_WRN_FACTOR = 2  # Wide ResNet-50-2: twice as many channels inside every bottleneck


def _bottleneck(c_in: int, width: int, *, groups: int = 1, bn: bool = True, only_3x3_group: bool = False) -> int:
    """Parameters of a bottleneck ``c_in`` → ``width`` → ``width`` (3×3, ``groups`` groups) → ``c_in``.

    ``bn=False`` counts the convolution weights only (the ResNeXt paper's Fig. 1 count);
    ``only_3x3_group`` is a counting slip: one group of the 3×3 convolution instead of all of them.
    """
    conv_3x3 = costs.conv_params(width, width, 3, groups=groups, bias=False)
    if only_3x3_group:
        conv_3x3 //= groups
    weights = costs.conv_params(c_in, width, 1, bias=False) + conv_3x3 + costs.conv_params(width, c_in, 1, bias=False)
    return weights + (costs.batchnorm_params(2 * width + c_in) if bn else 0)


def ex06_grouped_conv_params(answer: object) -> bool:
    """Parameters of ResNeXt-50's first 3×3 convolution: 128 → 128 channels in 32 groups, no bias."""
    width = _CARDINALITY * _GROUP_WIDTH
    grouped = costs.conv_params(width, width, 3, groups=_CARDINALITY, bias=False)
    dense = costs.conv_params(width, width, 3, bias=False)
    return check(answer, grouped, hints={
        dense: f"that is a dense 3×3 convolution; in a grouped one each filter sees only "
               f"{width}/{_CARDINALITY} = {_GROUP_WIDTH} input channels.",
        costs.conv_params(width, width, 3, groups=_CARDINALITY): "the block's convolutions have no bias "
                                                                  "(bias=False): BatchNorm's β takes that role.",
        grouped // _CARDINALITY: f"that is one group ({_GROUP_WIDTH} → {_GROUP_WIDTH} channels); there are "
                                 f"{_CARDINALITY} of them side by side.",
    }, explanation=f"3·3·({width}/{_CARDINALITY})·{width}: {dense // grouped}× fewer than a dense 3×3 convolution "
                   f"of the same width ({dense:,}).")


def ex06_template_weights(answer: object) -> bool:
    """Convolution weights of the ResNeXt block of the paper's Fig. 1 (right): 256 → 32 paths of width 4 → 256."""
    c, d = _EXPANSION * _RESNET_WIDTHS[0], _GROUP_WIDTH
    width = _CARDINALITY * d
    resnext = _bottleneck(c, width, groups=_CARDINALITY, bn=False)
    resnet = _bottleneck(c, _RESNET_WIDTHS[0], bn=False)
    assert _CARDINALITY * _bottleneck(c, d, bn=False) == resnext  # form (a): 32 paths 256-4-4-256, same weights
    return check(answer, resnext, hints={
        resnet: "that is the ResNet bottleneck 256-64-64-256 on the left of Fig. 1; the question asks about the "
                "ResNeXt block on the right.",
        _bottleneck(c, width, bn=False): f"the 3×3 convolution is grouped: {_CARDINALITY} groups of {d} channels, "
                                         f"not one dense {width} → {width} convolution.",
        _bottleneck(c, width, groups=_CARDINALITY): "the paper (and the question) counts convolution weights only; "
                                                    "leave the BatchNorms out.",
        _bottleneck(c, width, groups=_CARDINALITY, bn=False, only_3x3_group=True):
            f"that counts one group of the 3×3 convolution; all {_CARDINALITY} paths have their own 3×3 weights.",
    }, explanation=f"{c}·{width} + 3·3·{d}·{width} + {width}·{c} = "
                   f"{_CARDINALITY}·({c}·{d} + 3·3·{d}·{d} + {d}·{c}): the same {resnext:,} weights counted as "
                   f"{_CARDINALITY} paths, against the ResNet bottleneck's {resnet:,}.")


def ex06_wrn_extra_params(answer: object) -> bool:
    """Extra parameters of Wide ResNet-50-2's ``layer3[1]`` over ResNet-50's (1024 → 2·256 → 1024, identity)."""
    planes = _RESNET_WIDTHS[2]
    c = _EXPANSION * planes
    resnet, wide = _bottleneck(c, planes), _bottleneck(c, _WRN_FACTOR * planes)
    extra = wide - resnet
    extra_3x3 = costs.conv_params(2 * planes, 2 * planes, 3, bias=False) - costs.conv_params(planes, planes, 3,
                                                                                             bias=False)
    return check(answer, extra, hints={
        _bottleneck(c, 2 * planes, bn=False) - _bottleneck(c, planes, bn=False):
            "the BatchNorms after the two widened convolutions grow too (2 parameters per channel).",
        wide: f"that is the whole widened block ({wide:,}); the question asks how many parameters it adds to "
              f"ResNet-50's ({resnet:,}).",
        resnet: "the 3×3 convolution's weights grow 4-fold, not 2-fold: both its input and its output channels "
                "double.",
        extra_3x3: "the two 1×1 convolutions grow too: the first one outputs, the last one reads, the wider 3×3.",
    }, explanation=f"{wide:,} − {resnet:,}: the 3×3 weights grow 4× (9·{2 * planes}² against 9·{planes}²), the "
                   f"1×1s 2×, the block's {c}-channel input and output stay. Over the whole network WRN-50-2 has "
                   f"2.7× ResNet-50's parameters (68.9 M against 25.6 M).")


def _closest_cardinality(d: int, *, with_3x3: bool = True, dense_3x3: bool = False) -> int:
    """The C for which C paths of width ``d`` hold the weights closest to the ResNet bottleneck's (Table 2's rule).

    ``with_3x3=False`` and ``dense_3x3=True`` are the two usual slips: the 3×3 left out, or taken as
    one dense 3×3 of width C·d instead of C separate d → d ones.
    """
    c, planes = _EXPANSION * _RESNET_WIDTHS[0], _RESNET_WIDTHS[0]
    target = _bottleneck(c, planes, bn=False)

    def weights(cardinality: int) -> int:
        if dense_3x3:
            return _bottleneck(c, cardinality * d, bn=False)
        total = _bottleneck(c, cardinality * d, groups=cardinality, bn=False)
        return total if with_3x3 else total - costs.conv_params(cardinality * d, cardinality * d, 3,
                                                                groups=cardinality, bias=False)

    return min(range(1, 65), key=lambda cardinality: abs(weights(cardinality) - target))


def ex06_cardinality(answer: object) -> bool:
    """The cardinality C that, with d = 14 channels per path, keeps the conv2 template's weights closest to ResNet's."""
    d = 14
    best = _closest_cardinality(d)
    c = _EXPANSION * _RESNET_WIDTHS[0]
    per_path, target = _bottleneck(c, d, bn=False), _bottleneck(c, _RESNET_WIDTHS[0], bn=False)
    return check(answer, best, hints={
        _closest_cardinality(d, with_3x3=False): f"count the 3×3 convolutions too: each path has 3·3·{d}·{d} "
                                                 f"weights besides its two 1×1s.",
        _closest_cardinality(d, dense_3x3=True): f"the 3×3 is grouped: each of the C paths has its own "
                                                 f"{d} → {d} convolution, so that term grows with C, not C².",
        _CARDINALITY: f"{_CARDINALITY} is ResNeXt-50's cardinality, with d = {_GROUP_WIDTH}; with wider paths "
                      f"fewer of them fit in the same budget.",
    }, explanation=f"C·(256·{d} + 3·3·{d}·{d} + {d}·256) = {best}·{per_path:,} = {best * per_path:,} weights, "
                   f"closest to the ResNet bottleneck's {target:,}: the row C = {best}, d = {d} of the paper's "
                   f"Table 2.")


def ex06_expected_active_blocks(answer: object) -> bool:
    """Expected number of residual blocks active in training: L = 54 blocks, linear rule p_l = p_L·l/L, p_L = 0.5."""
    blocks, p_last = 3 * 18, 0.5  # the 110-layer CIFAR ResNet: 3 stages of 18 basic blocks
    drop = [p_last * layer / blocks for layer in range(1, blocks + 1)]
    active = math.fsum(1 - p for p in drop)
    return check(answer, active, hints={
        blocks * (1 - p_last): f"that is the uniform rule, every block dropped with p = {p_last}; with the linear "
                               f"rule the early blocks are dropped less often.",
        math.fsum(drop): "that is the expected number of *dropped* blocks; the question asks how many remain.",
        math.fsum(1 - p_last * layer / blocks for layer in range(blocks)): f"the first block is l = 1, the last "
                                                                           f"l = L = {blocks} (dropped with p_L).",
        float(blocks): "that is the depth at test time, when every block is active; in training each block is "
                       "dropped with its own probability.",
    }, explanation=f"Σ (1 − p_L·l/L) = L − p_L·(L + 1)/2 = {blocks} − {math.fsum(drop)} = {active}: "
                   f"about 3/4 of the blocks, so training takes about 25% less time (Huang et al. 2016, §3).")
