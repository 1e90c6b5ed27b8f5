"""Checks for problem set 12 (exercises/12_*.ipynb): transfer learning."""
from __future__ import annotations

import math

from .. import costs
from ..reference import weights_from_name
from ._base import check, conv_bn_params
from .ex05 import _RESNET_WIDTHS

__all__ = [
    "ex12_head_params",
    "ex12_layer4_params",
    "ex12_training_steps",
    "ex12_error_reduction",
    "ex12_resize_width",
]


_RESNET18_DEPTHS = (2, 2, 2, 2)  # basic blocks per stage (the ResNet paper's Table 1)
_IMAGENET_CLASSES = 1000
_TARGET_CLASSES = 5  # the target task: five CIFAR-10 classes

# Problem 3: target = data.select(five classes, n_train_per_class=50); fit(..., epochs=10, batch_size=64).
_LABELS_PER_CLASS, _EPOCHS, _BATCH = 50, 10, 64

# Problems 4 and 5: torchvision's two ResNet-50 checkpoints (their metadata ship with torchvision).
_V1, _V2 = "ResNet50_Weights.IMAGENET1K_V1", "ResNet50_Weights.IMAGENET1K_V2"
_PHOTO = (427, 640)  # problem 5: a landscape photo, height × width


def _metric(weights_name: str, metric: str = "acc@1") -> float:
    return weights_from_name(weights_name).meta["_metrics"]["ImageNet-1K"][metric]


def _basic_block(c_in: int, c_out: int, *, projection: bool, **unit: bool) -> int:
    """A BasicBlock: two 3×3 conv-BN, and a 1×1 conv-BN projection when the shape changes."""
    total = conv_bn_params(c_in, c_out, 3, **unit) + conv_bn_params(c_out, c_out, 3, **unit)
    return total + (conv_bn_params(c_in, c_out, 1, **unit) if projection else 0)


def _layer4(*, projection: bool = True, **unit: bool) -> int:
    """ResNet-18's last stage: a stride-2 block 256 → 512 (projection shortcut), then 512 → 512."""
    c_in, c = _RESNET_WIDTHS[-2], _RESNET_WIDTHS[-1]
    blocks = [_basic_block(c_in, c, projection=projection, **unit)]
    blocks += [_basic_block(c, c, projection=False, **unit) for _ in range(_RESNET18_DEPTHS[-1] - 1)]
    return sum(blocks)


def _resnet18(classes: int) -> int:
    """All of ResNet-18's parameters with a ``classes``-way head."""
    total, c_in = conv_bn_params(3, _RESNET_WIDTHS[0], 7), _RESNET_WIDTHS[0]
    for i, (c, n) in enumerate(zip(_RESNET_WIDTHS, _RESNET18_DEPTHS)):
        for j in range(n):
            total += _basic_block(c_in, c, projection=i > 0 and j == 0)
            c_in = c
    return total + costs.linear_params(c_in, classes)


def ex12_head_params(answer: object) -> bool:
    """Trainable parameters of ResNet-18 as a feature extractor: everything frozen but a new 5-class head."""
    features = _RESNET_WIDTHS[-1]
    head = costs.linear_params(features, _TARGET_CLASSES)
    whole = _resnet18(_TARGET_CLASSES)
    return check(answer, head, hints={
        costs.linear_params(features, _TARGET_CLASSES, bias=False): f"the new nn.Linear has a bias too, one per "
                                                                    f"class ({_TARGET_CLASSES}).",
        costs.linear_params(features, _IMAGENET_CLASSES): f"that is the ImageNet head ({_IMAGENET_CLASSES} "
                                                          f"classes); the new head has one output per target "
                                                          f"class.",
        costs.linear_params(features, 2 * _TARGET_CLASSES): f"the target task has {_TARGET_CLASSES} classes (the "
                                                            f"other five of CIFAR-10 trained the source model).",
        whole: "that is every parameter of the model; a feature extractor freezes the backbone "
               "(requires_grad=False) and trains the new head only.",
    }, explanation=f"{features}·{_TARGET_CLASSES} + {_TARGET_CLASSES}: the head reads the {features} pooled "
                   f"features. That is {head / whole:.3%} of the model's {whole:,} parameters; the optimizer updates "
                   f"only these, and the backbone's {(whole - head) / 1e6:.1f} M stay as the source task left them.")


def ex12_layer4_params(answer: object) -> bool:
    """Trainable parameters of ResNet-18 fine-tuned from layer4 on: layer4 and a new 5-class head."""
    head = costs.linear_params(_RESNET_WIDTHS[-1], _TARGET_CLASSES)
    layer4 = _layer4()
    total = layer4 + head
    whole = _resnet18(_TARGET_CLASSES)
    return check(answer, total, hints={
        layer4: f"the new head is trained too: add its {head:,} parameters.",
        layer4 + costs.linear_params(_RESNET_WIDTHS[-1], _IMAGENET_CLASSES): "the ImageNet head is replaced by a "
                                                                             f"{_TARGET_CLASSES}-class one.",
        whole: "that is full fine-tuning; here the stem and layer1 … layer3 stay frozen.",
        head: "that is the new head alone (feature extraction); layer4 is unfrozen too.",
        _layer4(projection=False) + head: "layer4's first block strides and widens 256 → 512, so its shortcut is "
                                          "a 1×1 convolution with a BatchNorm (256·512 + 2·512).",
        _layer4(buffers=True) + head: "BatchNorm's running mean and variance are buffers: the optimizer does not "
                                      "train them.",
    }, explanation=f"layer4 {layer4:,} + head {head:,}: the last stage alone holds {layer4 / whole:.0%} of "
                   f"ResNet-18, because its 3×3 convolutions are 512 → 512 (9·512² weights each). Unfreezing it "
                   f"trains most of the model while keeping the general early features.")


def ex12_training_steps(answer: object) -> bool:
    """Optimizer steps of fit(epochs=10, batch_size=64) on 5 classes × 50 labelled images, full batches only."""
    images = _TARGET_CLASSES * _LABELS_PER_CLASS
    per_epoch = images // _BATCH
    steps = _EPOCHS * per_epoch
    return check(answer, steps, hints={
        _EPOCHS * math.ceil(images / _BATCH): f"fit takes full batches only: the last {images % _BATCH} images of "
                                              f"each epoch's shuffle are left out, so ⌊{images}/{_BATCH}⌋ steps "
                                              f"per epoch.",
        _EPOCHS * images / _BATCH: f"a step is one whole batch: ⌊{images}/{_BATCH}⌋ = {per_epoch} steps per "
                                   f"epoch.",
        per_epoch: f"that is one epoch; the run has {_EPOCHS}.",
        _EPOCHS * (2 * images // _BATCH): f"select keeps only the {_TARGET_CLASSES} classes named: "
                                          f"{_TARGET_CLASSES}·{_LABELS_PER_CLASS} = {images} training images.",
    }, explanation=f"{_TARGET_CLASSES}·{_LABELS_PER_CLASS} = {images} images, ⌊{images}/{_BATCH}⌋ = {per_epoch} "
                   f"full batches per epoch, {_EPOCHS} epochs. With few labels a whole run is a few dozen steps; "
                   f"a model trained from scratch would barely move in that many.")


def ex12_error_reduction(answer: object) -> bool:
    """By what fraction IMAGENET1K_V2 cuts ResNet-50's top-1 error against IMAGENET1K_V1 (weights.meta)."""
    v1, v2 = _metric(_V1), _metric(_V2)
    fraction = (v2 - v1) / (100 - v1)
    top5 = (_metric(_V2, "acc@5") - _metric(_V1, "acc@5")) / (100 - _metric(_V1, "acc@5"))
    return check(answer, fraction, rel_tol=1e-3, hints={
        v2 - v1: f"that is the gain in points ({v2} − {v1}); divide it by V1's top-1 error, 100 − {v1}.",
        (v2 - v1) / v1: "divide by V1's *error* (100 − acc@1), not by its accuracy: the question asks what share "
                        "of the errors disappears.",
        (v2 - v1) / (100 - v2): "the reduction is relative to the error you start from, V1's.",
        100 * fraction: "give a fraction (a number below 1), not a percentage.",
        top5: "that is the top-5 error's reduction; the question asks about top-1 (acc@1).",
    }, explanation=f"({v2} − {v1}) / (100 − {v1}): the same architecture, parameter for parameter, makes "
                   f"{fraction:.0%} fewer top-1 mistakes with torchvision's newer training recipe (longer training, "
                   f"stronger augmentation and regularisation). Compare architectures trained the same way.")


def ex12_resize_width(answer: object) -> bool:
    """Width of a 640×427 photo after the resize step of ResNet50_Weights.IMAGENET1K_V2.transforms()."""
    preprocess = weights_from_name(_V2).transforms()
    (short,), (crop,) = preprocess.resize_size, preprocess.crop_size
    (v1_short,) = weights_from_name(_V1).transforms().resize_size
    height, width = _PHOTO
    scaled = short * width / height
    resized = int(scaled)  # torchvision truncates the longer side
    return check(answer, resized, hints={
        short: f"Resize({short}) with a single number sets the *shorter* side to {short} and scales the other "
               f"to keep the aspect ratio; only the centre crop is square.",
        crop: f"{crop} is the centre crop, taken after the resize.",
        int(v1_short * width / height): f"that uses V1's resize ({v1_short}); V2's transforms resize to {short}.",
        round(scaled): f"torchvision truncates the scaled side to a whole number (int({scaled:.2f})); it does not "
                       f"round it.",
        scaled: "pixels come in whole numbers: torchvision truncates the scaled side.",
    }, explanation=f"{height} → {short}, {width} → int({short}·{width}/{height}) = int({scaled:.2f}); then the "
                   f"centre {crop}×{crop} crop. V2 was evaluated this way (resize {short}, crop {crop}); V1 "
                   f"resizes to {v1_short}. Fine-tune with the preprocessing the weights were trained with.")
