"""Checks for problem set 13 (exercises/13_*.ipynb): the architectures at a glance."""
from __future__ import annotations

from .. import costs
from ..models.vgg import DEPTHS, WIDTHS
from ..reference import GLANCE, weights_from_name
from ._base import check

__all__ = [
    "ex13_params_ratio",
    "ex13_fc_share",
    "ex13_resnet50_flops",
    "ex13_macs_ratio",
    "ex13_vit_fp16_mb",
]


_WEIGHTS = {arch: name for arch, _, name, _ in GLANCE}  # the summary table's rows → torchvision weights
_VGG_DEPTH = 19  # the table's VGG is VGG-19-BN
_VGG_POOLED, _VGG_HIDDEN, _CLASSES = 7, 4096, 1000  # VGG's head: 7×7×512 → 4096 → 4096 → 1000
_FLOAT16_BYTES, _FLOAT32_BYTES = 2, 4


def _meta(arch: str) -> dict:
    return weights_from_name(_WEIGHTS[arch]).meta


def _params(arch: str) -> int:
    return _meta(arch)["num_params"]


def _acc(arch: str) -> float:
    return _meta(arch)["_metrics"]["ImageNet-1K"]["acc@1"]


def _gflops(arch: str) -> float:
    """torchvision's ``_ops`` (its "GFLOPS" column): multiply-accumulates, in billions, at the crop size."""
    return _meta(arch)["_ops"]


def _vgg_params(depth: int, *, batch_norm: bool) -> tuple[int, int]:
    """(convolution + BatchNorm parameters, fully connected parameters) of VGG-``depth`` from its table."""
    convs, c_in = 0, 3
    for c, n in zip(WIDTHS, DEPTHS[depth]):
        for _ in range(n):
            convs += costs.conv_params(c_in, c, 3) + (costs.batchnorm_params(c) if batch_norm else 0)
            c_in = c
    fcs = [costs.linear_params(c_in * _VGG_POOLED ** 2, _VGG_HIDDEN), costs.linear_params(_VGG_HIDDEN, _VGG_HIDDEN),
           costs.linear_params(_VGG_HIDDEN, _CLASSES)]
    return convs, sum(fcs)


def ex13_params_ratio(answer: object) -> bool:
    """How many times ResNet-50's parameters VGG-19-BN has (the summary table's params column)."""
    vgg, resnet = _params("VGG-19-BN"), _params("ResNet-50")
    ratio = vgg / resnet
    vgg16 = sum(_vgg_params(16, batch_norm=False))
    flops_ratio = _gflops("VGG-19-BN") / _gflops("ResNet-50")
    return check(answer, ratio, rel_tol=1e-3, hints={
        resnet / vgg: "that is ResNet-50's share of VGG-19-BN; the question asks VGG-19-BN / ResNet-50 (above 1).",
        flops_ratio: "that is the ratio of the GFLOPs column; the question asks about the parameters.",
        vgg16 / resnet: "that is VGG-16 (no BatchNorm); the table's VGG is VGG-19-BN, three convolutions deeper.",
        vgg - resnet: "the question asks how many *times*: divide, do not subtract.",
    }, explanation=f"{vgg:,} / {resnet:,}: {ratio:.1f}× the parameters and {flops_ratio:.1f}× the MACs, for "
                   f"{_acc('ResNet-50') - _acc('VGG-19-BN'):.1f} points *less* top-1 accuracy. Size alone does not "
                   f"buy accuracy; design does.")


def ex13_fc_share(answer: object) -> bool:
    """Share of VGG-19-BN's parameters in its three fully connected layers."""
    convs, fcs = _vgg_params(_VGG_DEPTH, batch_norm=True)
    total = convs + fcs
    share = fcs / total
    fc6 = costs.linear_params(WIDTHS[-1] * _VGG_POOLED ** 2, _VGG_HIDDEN)
    convs16, fcs16 = _vgg_params(16, batch_norm=False)
    return check(answer, share, rel_tol=1e-3, hints={
        fc6 / total: f"that is fc6 alone ({WIDTHS[-1]}·{_VGG_POOLED}·{_VGG_POOLED} → {_VGG_HIDDEN}); add fc7 and "
                     f"fc8.",
        convs / total: "that is the convolutions' share (with their BatchNorms); the question asks about the "
                       "fully connected layers.",
        fcs16 / (convs16 + fcs16): "that is VGG-16's share; the table's VGG-19-BN has three more convolutions and "
                                   "a BatchNorm after each.",
        100 * share: "give a fraction (a number below 1), not a percentage.",
        fcs: f"that is how many parameters the fully connected layers have; divide by all {total:,}.",
    }, explanation=f"({fc6:,} + {costs.linear_params(_VGG_HIDDEN, _VGG_HIDDEN):,} + "
                   f"{costs.linear_params(_VGG_HIDDEN, _CLASSES):,}) / {total:,}: {share:.0%} of the parameters sit "
                   f"in the head, which reads the {_VGG_POOLED}×{_VGG_POOLED}×{WIDTHS[-1]} map flattened. Global "
                   f"average pooling (GoogLeNet, ResNet) first averages the map to {WIDTHS[-1]} numbers, and one "
                   f"{WIDTHS[-1]} → {_CLASSES} layer suffices.")


def ex13_resnet50_flops(answer: object) -> bool:
    """ResNet-50's FLOPs (multiplies and adds, in billions) from torchvision's "GFLOPS", which counts MACs."""
    macs = _gflops("ResNet-50")
    flops = 2 * macs
    return check(answer, flops, rel_tol=1e-3, hints={
        macs: "that is torchvision's figure, which counts multiply-accumulates; a MAC is a multiply and an add, 2 "
              "FLOPs.",
        macs / 2: "a MAC is two FLOPs (a multiply and an add): multiply by 2, do not divide.",
        flops * 1e9: "give the answer in GFLOPs (billions of FLOPs).",
    }, explanation=f"2·{macs} GMACs. Papers mix the two conventions: ResNet's own table says 3.8 × 10⁹ FLOPs "
                   f"for what are multiply-adds. Check which one a figure means before comparing two of them.")


def ex13_macs_ratio(answer: object) -> bool:
    """How many times EfficientNet-B0's MACs ResNet-50 needs (the table's GFLOPs column)."""
    resnet, b0 = _gflops("ResNet-50"), _gflops("EfficientNet-B0")
    ratio = resnet / b0
    return check(answer, ratio, rel_tol=1e-3, hints={
        b0 / resnet: "that is EfficientNet-B0's share of ResNet-50's MACs; the question asks ResNet-50 / B0 "
                     "(above 1).",
        _params("ResNet-50") / _params("EfficientNet-B0"): "that is the ratio of the parameters; the question "
                                                           "asks about the GFLOPs column.",
        resnet - b0: "the question asks how many *times*: divide, do not subtract.",
    }, explanation=f"{resnet} / {b0}: ResNet-50 needs {ratio:.1f}× the MACs of EfficientNet-B0 and is less "
                   f"accurate ({_acc('ResNet-50')} against {_acc('EfficientNet-B0')} top-1). Whether B0 also runs "
                   f"{ratio:.0f}× faster is another question: its depthwise convolutions do little arithmetic per "
                   f"byte they move (see the MobileNet chapter). MACs are not time.")


def ex13_vit_fp16_mb(answer: object) -> bool:
    """Megabytes (10⁶ bytes) of ViT-B/16's parameters stored in float16."""
    params = _params("ViT-B/16")
    mb = params * _FLOAT16_BYTES / 1e6
    return check(answer, mb, rel_tol=1e-3, hints={
        params * _FLOAT32_BYTES / 1e6: "that is float32 (4 bytes per number); float16 takes 2.",
        params * _FLOAT16_BYTES / 2 ** 20: "that is in MiB (2²⁰ bytes); a megabyte here is 10⁶ bytes.",
        params / 1e6: "that is the number of parameters in millions; each takes 2 bytes in float16.",
        params * _FLOAT16_BYTES * 8 / 1e6: "that is in megabits; a byte is 8 bits.",
    }, explanation=f"{params:,} · 2 bytes. In float32 it would take {params * _FLOAT32_BYTES / 1e6:.0f} MB "
                   f"(torchvision's checkpoint file: {_meta('ViT-B/16')['_file_size']:.0f} MiB). Training needs "
                   f"several times more: gradients, optimizer state, and the activations of every layer.")
