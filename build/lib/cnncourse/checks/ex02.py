"""Checks for problem set 02 (exercises/02_*.ipynb): AlexNet and ZFNet."""
from __future__ import annotations

from .. import costs
from ._base import BIAS_ADDS_NOT_MACS, FLOPS_NOT_MACS, check

__all__ = [
    "ex02_conv1_output_size",
    "ex02_grouped_conv2_params",
    "ex02_fc_params",
    "ex02_zfnet_conv1_macs",
    "ex02_zfnet_pool1_size",
    "ex02_dropout_kept_value",
]


def ex02_conv1_output_size(answer: object) -> bool:
    """Output height of AlexNet's conv1 (11×11, stride 4, no padding) on a 224×224 image."""
    out = costs.output_size(224, 11, stride=4)
    return check(answer, out, hints={
        costs.output_size(227, 11, stride=4): "55 is the paper's figure, and it needs a 227×227 input; on 224, "
                                              "(224 − 11)/4 = 53.25 is not a whole number of strides.",
        (224 - 11) / 4 + 1: "output sizes are whole numbers: the window cannot take a quarter step, "
                            "so round (224 − 11)/4 down before adding 1.",
        out - 1: "you forgot the +1: count the first window position too.",
        costs.output_size(224, 11): "you ignored the stride: the window jumps 4 pixels at a time.",
    }, explanation=f"⌊(224 − 11)/4⌋ + 1 = {out}. The paper's 55×55 needs a 227×227 input "
                   f"(or, as torchvision does, 224 with padding 2: "
                   f"⌊(224 + 4 − 11)/4⌋ + 1 = {costs.output_size(224, 11, stride=4, padding=2)}).")


def ex02_grouped_conv2_params(answer: object) -> bool:
    """Parameters of the paper's conv2: 96 → 256 channels, 5×5, split over two GPUs (``groups=2``), with bias."""
    params = costs.conv_params(96, 256, 5, groups=2)
    single = costs.conv_params(96, 256, 5)
    return check(answer, params, hints={
        single: "that is conv2 without the split (groups=1): with two groups each filter sees only "
                "the 48 channels on its own GPU.",
        costs.conv_params(96, 256, 5, groups=2, bias=False): "don't forget the 256 biases.",
        costs.conv_params(48, 128, 5): "that is one GPU's half: the other GPU holds another 128 filters.",
    }, explanation=f"5·5·48·256 weights + 256 biases: the split halves the weights "
                   f"({single:,} on a single GPU).")


def _alexnet_paper_fc_params(*, bias: bool = True, pooled: int = 6) -> list[int]:
    """fc6, fc7, fc8 of the 2012 AlexNet, fc6 reading a ``pooled``×``pooled``×256 map."""
    return [costs.linear_params(pooled * pooled * 256, 4096, bias=bias), costs.linear_params(4096, 4096, bias=bias),
            costs.linear_params(4096, 1000, bias=bias)]


def ex02_fc_params(answer: object) -> bool:
    """Parameters of the three fully connected layers of the paper's AlexNet (6×6×256 → 4096 → 4096 → 1000)."""
    fc = _alexnet_paper_fc_params()
    convs = [costs.conv_params(3, 96, 11), costs.conv_params(96, 256, 5, groups=2), costs.conv_params(256, 384, 3),
             costs.conv_params(384, 384, 3, groups=2), costs.conv_params(384, 256, 3, groups=2)]
    total = sum(convs) + sum(fc)
    conv5_map = costs.output_size(costs.output_size(costs.output_size(227, 11, stride=4), 3, stride=2), 3, stride=2)
    return check(answer, sum(fc), hints={
        fc[0]: "that is fc6 alone; fc7 (4096 → 4096) and fc8 (4096 → 1000) are fully connected too.",
        fc[0] + fc[1]: "fc8, the 1000-way output layer, is a fully connected layer too.",
        sum(_alexnet_paper_fc_params(bias=False)): "every fully connected layer has one bias per output unit "
                                                   "(4096 + 4096 + 1000 in all).",
        sum(_alexnet_paper_fc_params(pooled=conv5_map)): "fc6 reads the 6×6×256 map left after the last max-pool "
                                                         "(pool5), not conv5's 13×13×256 output.",
    }, explanation=f"fc6 {fc[0]:,} + fc7 {fc[1]:,} + fc8 {fc[2]:,}: {sum(fc) / total:.0%} of the network's "
                   f"{total:,} parameters, while the five convolutions hold only {sum(convs):,}.")


def ex02_zfnet_conv1_macs(answer: object) -> bool:
    """MACs of ZFNet's conv1 (3 → 96, 7×7, stride 2, padding 1) on one 224×224 RGB image."""
    out = costs.output_size(224, 7, stride=2, padding=1)
    macs = costs.conv_macs(3, 96, 7, out)
    alexnet_conv1 = costs.conv_macs(3, 96, 11, costs.output_size(227, 11, stride=4))
    return check(answer, macs, hints={
        costs.conv_macs(3, 96, 7, 224 // 2): "the output is not simply half of 224: with a 7×7 window and "
                                             "padding 1 it is ⌊(224 + 2 − 7)/2⌋ + 1 = 110.",
        costs.conv_macs(3, 96, 7, out - 1): "109×109 output positions: the padding or the +1 is missing "
                                            "(⌊(224 + 2·1 − 7)/2⌋ + 1 = 110).",
        costs.conv_macs(3, 96, 7, costs.output_size(224, 7, padding=1)): "MACs are counted per *output* position: "
                                                                         "the stride-2 output is 110×110.",
        2 * macs: FLOPS_NOT_MACS,
        macs + 96 * out * out: BIAS_ADDS_NOT_MACS,
    }, explanation=f"7·7·3·96 weights at 110·110 positions: {macs / alexnet_conv1:.1f}× AlexNet's conv1 "
                   f"({alexnet_conv1:,} MACs on 227×227). The smaller kernel costs less per position, "
                   f"but stride 2 instead of 4 gives 4× as many positions.")


def ex02_zfnet_pool1_size(answer: object) -> bool:
    """Output height of ``nn.MaxPool2d(kernel_size=3, stride=2)`` (PyTorch's default floor mode) on 110×110."""
    out = costs.output_size(110, 3, stride=2)
    return check(answer, out, hints={
        costs.output_size(110, 3, stride=2, ceil_mode=True): "55 is the paper's map size, which PyTorch gives only with ceil_mode=True "
                                      "(the course's zfnet() sets it); by default (110 − 3)/2 = 53.5 is rounded "
                                      "down. A 3×3 window with stride 2 does not simply halve the map.",
        (110 - 3) / 2 + 1: "output sizes are whole numbers: round (110 − 3)/2 down before adding 1.",
        out - 1: "you forgot the +1: count the first window position too.",
        costs.output_size(110, 3): "you ignored the stride: the window moves 2 pixels at a time.",
    }, explanation="⌊(110 − 3)/2⌋ + 1: the last window would need one more row. With ceil_mode=True "
                   "PyTorch adds that partial window and gives the paper's 55.")


def ex02_dropout_kept_value(answer: object) -> bool:
    """The value ``nn.Dropout(p=0.2)`` in training mode outputs for an input of 4.0 that it keeps."""
    p, x = 0.2, 4.0
    kept = x / (1 - p)
    return check(answer, kept, hints={
        x: "that is the eval-mode output, where dropout does nothing; in training mode PyTorch scales "
           "the values it keeps.",
        x / p: "you divided by p, the probability of *dropping*; divide by the probability of keeping, 1 − p.",
        x * (1 - p): "that is the 2012 paper's rule, applied at test time (multiply by the keep probability); "
                     "PyTorch's 'inverted' dropout instead divides by it during training.",
        0: "0 is what dropout outputs for a value it drops; the question asks about one it keeps.",
    }, explanation=f"4/(1 − 0.2): on average the output is {1 - p:.1f}·{kept} + {p:.1f}·0 = {x}, the input, "
                   f"so eval mode can pass values through unchanged.")
