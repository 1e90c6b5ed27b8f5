"""Checks for problem set 11 (exercises/11_*.ipynb): ConvNeXt, and a glimpse of the Vision Transformer."""
from __future__ import annotations

import inspect

from .. import costs
from ..models.convnext import ROADMAP, Design
from ..models.vit import VisionTransformer
from ._base import FLOPS_NOT_MACS, check

__all__ = [
    "ex11_stage_ratio_macs",
    "ex11_patchify_stem_macs",
    "ex11_block_params",
    "ex11_block_macs",
    "ex11_vit_tokens",
    "ex11_vit_block_params",
]


_SIZE = 224  # the image side every MAC count of this set uses
_STEPS = dict(ROADMAP)  # the paper's roadmap, one Design per step
_RESNET50 = _STEPS["ResNet-50"]
_STAGE_RATIO = _STEPS["stage ratio 3:3:9:3"]
_PATCHIFY = _STEPS["patchify stem 4×4, stride 4"]
_CONVNEXT_T = ROADMAP[-1][1]  # the last step is ConvNeXt-T: width 96, 7×7 depthwise kernel
_EXPANSION = 4  # a bottleneck's output is 4× its inner width; ConvNeXt's block widens 4× in its middle
_STAGE_SIZES = (56, 28, 14, 7)  # both stems reduce 224 to 56; each later stage halves the map

# ViT-B/16: the defaults of VisionTransformer (patch 16, width D = 768, 12 heads, MLP 3072).
_VIT = {name: p.default for name, p in inspect.signature(VisionTransformer).parameters.items()}
_VIT_SIZE = 384  # problem 5: ViT-B/16 fine-tuned at 384×384 (the ViT paper's §3.2)


# ---- the roadmap ----------------------------------------------------------------------------

def _bottleneck_macs(stage: int, side: int, design: Design = _RESNET50) -> int:
    """MACs of a non-first bottleneck of ``stage`` (4p → p → p → 4p, stride 1) on a side×side map."""
    p = design.width * 2 ** stage
    out = _EXPANSION * p
    return (costs.conv_macs(out, p, 1, side) + costs.conv_macs(p, p, design.kernel, side)
            + costs.conv_macs(p, out, 1, side))


def ex11_stage_ratio_macs(answer: object) -> bool:
    """MACs that the roadmap's first step (stage depths 3, 4, 6, 3 → 3, 3, 9, 3) adds to ResNet-50 at 224×224."""
    changes = [new - old for old, new in zip(_RESNET50.depths, _STAGE_RATIO.depths)]
    per_block = [_bottleneck_macs(i, side) for i, side in enumerate(_STAGE_SIZES)]
    added = sum(n * m for n, m in zip(changes, per_block))
    only_added = sum(max(n, 0) * m for n, m in zip(changes, per_block))
    # The slip of counting stage 3's new blocks on stage 2's 28×28 map (channels doubled, map not halved).
    unhalved = sum(n * _bottleneck_macs(i, _STAGE_SIZES[i - 1] if n > 0 else side)
                   for i, (n, side) in enumerate(zip(changes, _STAGE_SIZES)) if n)
    stage3 = per_block[2]
    return check(answer, added, hints={
        2 * added: FLOPS_NOT_MACS,
        only_added: "stage 2 also loses a block (4 → 3): subtract what that block costs.",
        stage3: f"that is what one bottleneck costs; the step adds {changes[2]} blocks to stage 3 and removes "
                f"{-changes[1]} from stage 2, {sum(changes)} more in all.",
        unhalved: "stage 3 works on a 14×14 map: its blocks have twice the channels of stage 2's on a quarter of "
                  "the positions, so each costs as much as a stage-2 block, not 4× as much.",
    }, explanation=f"Every non-first bottleneck of ResNet-50 costs {stage3:,} MACs whatever its stage (the channels "
                   f"double as the map halves), so {changes[2]} blocks added and {-changes[1]} removed cost "
                   f"{sum(changes)}·{stage3:,}: about 4.1 → 4.5 GMACs, the paper's 4.1 → 4.5 GFLOPs (it counts "
                   f"MACs as FLOPs).")


def ex11_patchify_stem_macs(answer: object) -> bool:
    """MACs the patchify stem (4×4, stride 4) saves against ResNet's 7×7 stride-2 stem at 224×224."""
    c = _PATCHIFY.width
    resnet_side = costs.output_size(_SIZE, 7, 2, 3)
    patch_side = costs.output_size(_SIZE, 4, 4)
    resnet_stem = costs.conv_macs(3, c, 7, resnet_side)
    patchify = costs.conv_macs(3, c, 4, patch_side)
    saved = resnet_stem - patchify
    return check(answer, saved, hints={
        2 * saved: FLOPS_NOT_MACS,
        resnet_stem: f"that is what ResNet's 7×7 stem convolution costs; subtract the patchify stem's 4·4·3·{c} "
                     f"weights at {patch_side}×{patch_side} positions.",
        patchify: "that is what the patchify stem costs; the question asks what it saves against ResNet's 7×7 "
                  "stem convolution.",
        -saved: "the patchify stem is the cheaper one: give the MACs saved as a positive number.",
    }, explanation=f"7·7·3·{c}·{resnet_side}² − 4·4·3·{c}·{patch_side}² = {resnet_stem:,} − {patchify:,}. The "
                   f"max-pool has no MACs, and both stems hand the first stage the same {c}×{patch_side}×"
                   f"{patch_side} map, so the rest of the network does not change.")


# ---- the ConvNeXt block ---------------------------------------------------------------------

def _block_params(c: int, *, layer_scale: bool = True, biases: bool = True, depthwise: bool = True,
                  norm: bool = True, expansion: int = _EXPANSION) -> int:
    """7×7 depthwise conv, LayerNorm, Linear C → eC, GELU, Linear eC → C, layer scale; keywords switch on slips."""
    k, hidden = _CONVNEXT_T.kernel, expansion * c
    total = costs.conv_params(c, c, k, groups=c if depthwise else 1, bias=biases)
    total += 2 * c if norm else 0  # LayerNorm: a scale and a shift per channel
    total += costs.linear_params(c, hidden, bias=biases) + costs.linear_params(hidden, c, bias=biases)
    return total + (c if layer_scale else 0)


def ex11_block_params(answer: object) -> bool:
    """Parameters of ``convnext_tiny().features[1][0]``: a ConvNeXt block on C = 96 channels."""
    c, k = _CONVNEXT_T.width, _CONVNEXT_T.kernel
    total = _block_params(c)
    hidden = _EXPANSION * c
    return check(answer, total, hints={
        total - c: f"{c} parameters are missing: the layer scale has one per channel, and the depthwise "
                   f"convolution has a bias (ConvNeXt's convolutions all do).",
        _block_params(c, biases=False): f"the depthwise convolution and both linear layers have biases "
                                        f"({c} + {hidden} + {c}).",
        _block_params(c, depthwise=False): f"the {k}×{k} convolution is depthwise (groups={c}): one {k}×{k} filter "
                                           f"per channel, {k}·{k}·{c} weights, not {k}·{k}·{c}·{c}.",
        _block_params(c, norm=False): f"the LayerNorm has a scale and a shift per channel (2·{c}).",
        _block_params(c, expansion=1): f"the inverted bottleneck widens to {_EXPANSION}C = {hidden} channels in "
                                       f"between: Linear {c} → {hidden}, then {hidden} → {c}.",
    }, explanation=f"({k}·{k}·{c} + {c}) + 2·{c} + ({c}·{hidden} + {hidden}) + ({hidden}·{c} + {c}) + {c} = "
                   f"8C² + 58C: the two linear layers hold {2 * c * hidden / total:.0%}, the {k}×{k} kernel only "
                   f"{k * k * c / total:.1%}. GELU has no parameters.")


def _block_macs(c: int, side: int, *, depthwise: bool = True, linears: bool = True, expansion: int = _EXPANSION,
                conv: bool = True) -> int:
    k, hidden = _CONVNEXT_T.kernel, expansion * c
    total = costs.conv_macs(c, c, k, side, groups=c if depthwise else 1) if conv else 0
    if linears:
        total += (costs.linear_macs(c, hidden) + costs.linear_macs(hidden, c)) * side * side
    return total


def ex11_block_macs(answer: object) -> bool:
    """MACs of ``convnext_tiny().features[1][0]`` on its 96×56×56 input (one image)."""
    c, k = _CONVNEXT_T.width, _CONVNEXT_T.kernel
    side = costs.output_size(_SIZE, 4, 4)  # the patchify stem: 224 → 56
    macs = _block_macs(c, side)
    depthwise = _block_macs(c, side, linears=False)
    return check(answer, macs, hints={
        2 * macs: FLOPS_NOT_MACS,
        _block_macs(c, side, depthwise=False): f"the {k}×{k} convolution is depthwise: {k}·{k}·{c} weights per "
                                               f"position, not {k}·{k}·{c}·{c}.",
        _block_macs(c, side, conv=False): f"add the {k}×{k} depthwise convolution: {k}·{k}·{c} MACs at each of "
                                          f"the {side}² positions.",
        depthwise: "that is the depthwise convolution alone; the two linear layers act at every position too, "
                   "like 1×1 convolutions.",
        _block_macs(c, side, expansion=1): f"the linear layers widen to {_EXPANSION}C = {_EXPANSION * c} channels "
                                           f"and back: {c}·{_EXPANSION * c} MACs each, per position.",
    }, explanation=f"({k}·{k}·{c} + 2·{c}·{_EXPANSION * c})·{side}² = {depthwise:,} + {macs - depthwise:,}: the "
                   f"{k}×{k} kernel does only {depthwise / macs:.1%} of the work, so the paper could enlarge it from "
                   f"3×3 almost for free. LayerNorm, GELU and the layer scale are not MACs.")


# ---- a glimpse of ViT -----------------------------------------------------------------------

def ex11_vit_tokens(answer: object) -> bool:
    """Sequence length of ViT-B/16 on a 384×384 image: (384/16)² patch tokens plus the class token."""
    p, size = _VIT["patch_size"], _VIT_SIZE
    side = size // p
    tokens = side * side + 1
    default = (_VIT["image_size"] // p) ** 2 + 1
    return check(answer, tokens, hints={
        side * side: "add the class token: ViT prepends one learned token to the patch tokens, and classifies "
                     "its final state.",
        default: f"that is the sequence at {_VIT['image_size']}×{_VIT['image_size']}; at {size}×{size} there are "
                 f"more patches.",
        side: f"{size}/{p} = {side} patches along one side; the image is cut into {side}×{side} patches.",
    }, explanation=f"({size}/{p})² + 1 = {side}² + 1. The position embeddings are learned for {default} tokens, so "
                   f"fine-tuning at {size} interpolates them to the new grid; self-attention compares every pair "
                   f"of tokens: {tokens ** 2 / default ** 2:.1f}× as many pairs.")


def _encoder_block_params(*, out_proj: bool = True, qkv_per_head: bool = False, biases: bool = True,
                          norms: bool = True) -> int:
    d, mlp, heads = _VIT["dim"], _VIT["mlp_dim"], _VIT["num_heads"]
    qkv = costs.linear_params(d, 3 * d, bias=biases) * (heads if qkv_per_head else 1)
    attention = qkv + (costs.linear_params(d, d, bias=biases) if out_proj else 0)
    mlp_params = costs.linear_params(d, mlp, bias=biases) + costs.linear_params(mlp, d, bias=biases)
    return (2 * 2 * d if norms else 0) + attention + mlp_params


def ex11_vit_block_params(answer: object) -> bool:
    """Parameters of one ViT-B/16 encoder block: LN, 12-head self-attention (D = 768), LN, MLP 768 → 3072 → 768."""
    d, mlp, heads = _VIT["dim"], _VIT["mlp_dim"], _VIT["num_heads"]
    total = _encoder_block_params()
    attention = 4 * d * d + 4 * d
    return check(answer, total, hints={
        _encoder_block_params(out_proj=False): f"the attention also has an output projection D → D (nn.Multihead"
                                               f"Attention's out_proj): {d}·{d} + {d}.",
        _encoder_block_params(qkv_per_head=True): f"the {heads} heads split the {d} dimensions into {heads} slices "
                                                  f"of {d // heads}; together their queries, keys and values are one "
                                                  f"D → 3D projection, whatever the number of heads.",
        _encoder_block_params(biases=False, norms=False): "the linear layers have biases, and each LayerNorm a "
                                                           "scale and a shift per dimension (2·2·D).",
        _encoder_block_params(norms=False): f"add the two LayerNorms, a scale and a shift each: 2·2·{d}.",
    }, explanation=f"2·2·{d} (LayerNorms) + (4·{d}² + 4·{d}) (attention: Q, K, V and output) + ({d}·{mlp} + {mlp} "
                   f"+ {mlp}·{d} + {d}) (MLP): the MLP holds {1 - (attention + 4 * d) / total:.0%}. ViT-B/16 "
                   f"stacks 12 of these.")
