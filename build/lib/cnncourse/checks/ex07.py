"""Checks for problem set 07 (exercises/07_*.ipynb): DenseNet."""
from __future__ import annotations

from .. import costs
from ._base import FLOPS_NOT_MACS, check

__all__ = [
    "ex07_layer_input_channels",
    "ex07_final_channels",
    "ex07_dense_layer_params",
    "ex07_transition_params",
    "ex07_dense_layer_macs",
]


# DenseNet-121, the DenseNet paper's Table 1: layers per dense block, growth rate k, stem width.
_DENSENET121 = (6, 12, 24, 16)
_GROWTH = 32
_STEM = 64
_BN_SIZE = 4  # DenseNet-B: the 1×1 convolution of a dense layer outputs bn_size·k channels
_COMPRESSION = 0.5  # DenseNet-C: a transition keeps θ = 0.5 of the channels
_BLOCK_SIZES = (56, 28, 14, 7)  # the maps each dense block works on, for a 224×224 image

_BLOCK, _LAYER = 3, 10  # the dense layer of problems 1, 3 and 5: features.denseblock3.denselayer10


def _blocks(*, growth: int = _GROWTH, compression: float = _COMPRESSION) -> list[tuple[int, int]]:
    """(input, output) channels of each dense block of DenseNet-121: a block adds n·k, a transition keeps θ."""
    rows, c = [], _STEM
    for n in _DENSENET121:
        rows.append((c, c + n * growth))
        c = int((c + n * growth) * compression)
    return rows


def _layer_input(block: int = _BLOCK, layer: int = _LAYER, *, compression: float = _COMPRESSION) -> int:
    """Channels entering dense layer ``layer`` (from 1) of block ``block`` (from 1): C₀ + (l − 1)·k."""
    return _blocks(compression=compression)[block - 1][0] + (layer - 1) * _GROWTH


def _dense_layer(c_in: int, *, bottleneck: int = _BN_SIZE * _GROWTH, conv_bias: bool = False,
                 bn: bool = True, buffers: bool = False, post_activation: bool = False) -> int:
    """Parameters of BN(c_in)-ReLU-1×1 conv (→ bottleneck)-BN-ReLU-3×3 conv (→ k).

    The keyword arguments switch on the usual slips: ``bottleneck=0`` (no 1×1: the 3×3 reads
    c_in), ``post_activation`` (BatchNorm after each convolution instead of before it).
    """
    convs = ([(c_in, bottleneck, 1), (bottleneck, _GROWTH, 3)] if bottleneck else [(c_in, _GROWTH, 3)])
    total = sum(costs.conv_params(a, b, k, bias=conv_bias) for a, b, k in convs)
    normalised = [b for _, b, _ in convs] if post_activation else [a for a, _, _ in convs]
    if bn:
        total += sum(costs.batchnorm_params(c) for c in normalised) * (2 if buffers else 1)
    return total


def ex07_layer_input_channels(answer: object) -> bool:
    """Channels entering DenseNet-121's ``denseblock3.denselayer10``."""
    c_in = _layer_input()
    (prev_in, prev_out), (block_input, _) = _blocks()[_BLOCK - 2:_BLOCK]
    return check(answer, c_in, hints={
        _layer_input(layer=_LAYER + 1): f"layer l reads the block's input and the outputs of the l − 1 = "
                                        f"{_LAYER - 1} layers before it, not of {_LAYER}.",
        _layer_input(compression=1.0): "each transition halves the channels (compression θ = 0.5) before the next "
                                       "block starts.",
        c_in - block_input: f"the block's own input ({block_input} channels) is part of the concatenation too.",
    }, explanation=f"Block 3 starts with {block_input} channels ({prev_in} + {_DENSENET121[_BLOCK - 2]}·{_GROWTH} = "
                   f"{prev_out} leave block 2, halved by the transition); layer {_LAYER} reads them and the "
                   f"{_GROWTH} channels of each of the {_LAYER - 1} layers before it: "
                   f"{block_input} + {_LAYER - 1}·{_GROWTH}.")


def ex07_final_channels(answer: object) -> bool:
    """Channels DenseNet-121's classifier reads: the output of its last dense block."""
    rows = _blocks()
    final = rows[-1][1]
    steps = " → ".join(f"{a}–{b}" for a, b in rows)
    return check(answer, final, hints={
        _blocks(compression=1.0)[-1][1]: "each transition halves the channels (compression θ = 0.5); that count "
                                         "keeps them all.",
        rows[-1][0]: f"that is what enters block 4 (or block 4's output halved): block 4 adds "
                     f"{_DENSENET121[-1]}·{_GROWTH} channels and no transition follows the last block.",
        _blocks(growth=_BN_SIZE * _GROWTH)[-1][1]: f"each layer adds k = {_GROWTH} channels; {_BN_SIZE}k is the "
                                                   f"width inside a layer, between its 1×1 and 3×3 convolutions.",
    }, explanation=f"Blocks in–out: {steps}, each transition halving; the classifier reads {final} channels "
                   f"(global average pooled), so it holds {costs.linear_params(final, 1000):,} parameters.")


def ex07_dense_layer_params(answer: object) -> bool:
    """Parameters of DenseNet-121's ``denseblock3.denselayer10`` (BN-ReLU-1×1 to 4k-BN-ReLU-3×3 to k)."""
    c_in, w, k = _layer_input(), _BN_SIZE * _GROWTH, _GROWTH
    total = _dense_layer(c_in)
    return check(answer, total, hints={
        _dense_layer(c_in, bn=False): "each convolution is preceded by a BatchNorm with a learned γ and β per "
                                      "channel.",
        _dense_layer(c_in, conv_bias=True): "the layer's convolutions have no bias (bias=False).",
        _dense_layer(c_in, buffers=True): "BatchNorm's running mean and variance are buffers, not parameters.",
        _dense_layer(c_in, bottleneck=0): f"DenseNet-B layers start with a 1×1 convolution to {_BN_SIZE}k = "
                                          f"{_BN_SIZE * _GROWTH} channels; the 3×3 reads those, not all {c_in}.",
        _dense_layer(c_in, post_activation=True): f"the layer is pre-activation (BN-ReLU-conv): its first "
                                                  f"BatchNorm normalises the {c_in} input channels, and none "
                                                  f"follows the 3×3.",
    }, explanation=f"BN({c_in}) + {c_in}·{w} + BN({w}) + 3·3·{w}·{k} = {total:,}; the 1×1 convolution holds "
                   f"{costs.conv_params(c_in, w, 1, bias=False) / total:.0%}, and it grows with every layer "
                   f"of the block.")


def ex07_transition_params(answer: object) -> bool:
    """Parameters of DenseNet-121's ``transition3``: BN-ReLU-1×1 conv (θ = 0.5), then a 2×2 average pool."""
    c_in = _blocks()[2][1]
    c_out = int(c_in * _COMPRESSION)
    conv = costs.conv_params(c_in, c_out, 1, bias=False)
    total = costs.batchnorm_params(c_in) + conv
    return check(answer, total, hints={
        conv: f"the transition starts with a BatchNorm over its {c_in} input channels (γ and β each).",
        conv + costs.batchnorm_params(c_out): f"the BatchNorm comes first (BN-ReLU-conv), so it has {c_in} "
                                              f"channels, not {c_out}.",
        total + c_out: "the transition's convolution has no bias (bias=False).",
        costs.batchnorm_params(c_in) + costs.conv_params(c_in, c_in, 1, bias=False):
            f"the transition compresses: it keeps θ = 0.5 of the channels, {c_in} → {c_out}.",
        total + costs.batchnorm_params(c_in): "BatchNorm's running mean and variance are buffers, not parameters.",
    }, explanation=f"2·{c_in} + {c_in}·{c_out}; the average pool has no parameters.")


def ex07_dense_layer_macs(answer: object) -> bool:
    """MACs of DenseNet-121's ``denseblock3.denselayer10`` on the 14×14 maps of block 3 (one 224×224 image)."""
    c_in, size = _layer_input(), _BLOCK_SIZES[_BLOCK - 1]
    width = _BN_SIZE * _GROWTH
    conv1, conv2 = costs.conv_macs(c_in, width, 1, size), costs.conv_macs(width, _GROWTH, 3, size)
    macs = conv1 + conv2
    return check(answer, macs, hints={
        2 * macs: FLOPS_NOT_MACS,
        conv2: f"add the 1×1 convolution ({c_in} → {width}): on a dense layer deep in a block it costs the most.",
        conv1: f"add the 3×3 convolution ({width} → {_GROWTH}, padding 1, {size}×{size} outputs).",
        costs.conv_macs(c_in, _GROWTH, 1, size) + costs.conv_macs(_GROWTH, _GROWTH, 3, size):
            f"the 1×1 convolution outputs {_BN_SIZE}k = {width} channels, not k = {_GROWTH}.",
    }, explanation=f"({c_in}·{width} + 3·3·{width}·{_GROWTH})·{size}·{size}: the weights times the output "
                   f"positions; BatchNorm, ReLU and the concatenation cost no MACs.")
