"""Reference answers to the exercises, and the typical wrong ones, measured on real PyTorch layers.

Nothing here uses :mod:`cnncourse.costs` or :mod:`cnncourse.checks`: every number
comes from building the layers the problem describes and measuring them (output
shapes, ``numel()``, ``torch.utils.flop_counter``, gradients), so the tests can
hold the checks' expected values and hint values against an independent count.

Shared by ``test_checks.py`` and ``test_exercises.py`` (``tests/`` is not a package).
"""
from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnncourse import models


def num_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def counted_macs(module: nn.Module, x: torch.Tensor) -> int:
    """MACs of one forward pass: flop_counter's FLOPs (2 per multiply-accumulate) halved."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(x)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2


# ==== Exercises 01: building blocks =========================================================

# ---- 1. output size ------------------------------------------------------------------------

def conv_output_height(kernel_size: int = 7, stride: int = 2, padding: int = 3, size: int = 224) -> int:
    conv = nn.Conv2d(1, 1, kernel_size, stride=stride, padding=padding)
    with torch.no_grad():
        return conv(torch.zeros(1, 1, size, size)).shape[-2]


def output_size() -> int:
    """Height of a 7×7, stride-2, padding-3 convolution's output on a 224×224 image."""
    return conv_output_height()


# ---- 2. grouped convolution parameters -----------------------------------------------------

def grouped_conv_params() -> int:
    return num_params(nn.Conv2d(64, 128, kernel_size=3, groups=4))


# ---- 3. convolution MACs -------------------------------------------------------------------

def conv_macs_and_output(stride: int = 2) -> tuple[int, torch.Size]:
    conv = nn.Conv2d(64, 128, 3, stride=stride, padding=1)
    x = torch.zeros(1, 64, 56, 56)
    with torch.no_grad():
        out_shape = conv(x).shape
    return counted_macs(conv, x), out_shape


def conv_macs() -> int:
    return conv_macs_and_output()[0]


# ---- 4. receptive field --------------------------------------------------------------------

def build_stack(layers: Sequence[tuple[str, int, int]]) -> nn.Sequential:
    """``("conv" | "pool", kernel, stride)`` rows → 1-channel convs with all-ones weights and average pools.

    Average pooling, not max pooling: a max-pool sends the gradient to one input of
    its window only, so back-propagation would trace a single path, not the field.
    """
    modules: list[nn.Module] = []
    for kind, k, s in layers:
        if kind == "conv":
            conv = nn.Conv2d(1, 1, k, stride=s, bias=False)
            nn.init.ones_(conv.weight)
            modules.append(conv)
        else:
            modules.append(nn.AvgPool2d(k, stride=s))
    return nn.Sequential(*modules)


def measured_receptive_field(layers: Sequence[tuple[str, int, int]], size: int = 96) -> int:
    """Input columns that reach the centre output pixel, counted from the input gradient."""
    stack = build_stack(layers)
    x = torch.ones(1, 1, size, size, requires_grad=True)
    out = stack(x)
    h, w = out.shape[-2:]
    out[0, 0, h // 2, w // 2].backward()
    reached = x.grad[0, 0] != 0
    cols = reached.any(dim=0).nonzero().flatten()
    rows = reached.any(dim=1).nonzero().flatten()
    # The field must lie strictly inside the image, or the border would cut it short.
    assert cols.min() > 0 and cols.max() < size - 1, "image too small for this receptive field"
    assert len(cols) == cols.max() - cols.min() + 1, "the field has holes"
    assert len(rows) == len(cols)
    return len(cols)


# conv3-conv3-pool2-conv3-conv3-pool2-conv3: 3×3 convs with stride 1, 2×2 pools with stride 2.
RF_STACK = [("conv", 3, 1), ("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1), ("conv", 3, 1), ("pool", 2, 2),
            ("conv", 3, 1)]


def receptive_field() -> int:
    return measured_receptive_field(RF_STACK)


# ---- 5. BatchNorm makes the preceding bias redundant ---------------------------------------

def conv_bn_net(bias: bool) -> nn.Sequential:
    """conv(3→64, bias)-BN-ReLU-conv(64→128, bias)-BN, 3×3 convolutions."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1, bias=bias), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 128, 3, padding=1, bias=bias), nn.BatchNorm2d(128),
    )


def bias_free_copy(net: nn.Sequential) -> nn.Sequential:
    """The same network with the convolution biases deleted (every other parameter copied)."""
    copy = conv_bn_net(bias=False)
    state = {k: v for k, v in net.state_dict().items() if not (k.endswith(".bias") and k.split(".")[0] in ("0", "3"))}
    copy.load_state_dict(state, strict=True)
    return copy


def randomized_conv_bn_net(seed: int = 0) -> nn.Sequential:
    """``conv_bn_net(bias=True)`` with every parameter random (BN's gamma and beta too), in train mode."""
    torch.manual_seed(seed)
    net = conv_bn_net(bias=True)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn_like(p))
    return net.train()


def bn_input(seed: int = 1) -> torch.Tensor:
    return torch.randn(8, 3, 12, 12, generator=torch.Generator().manual_seed(seed))


def redundant_parameters(seed: int = 0) -> dict[str, int]:
    """Parameters whose value does not change the output (train mode): name → numel.

    Each parameter tensor in turn is replaced by fresh random values; the ones
    that leave the output unchanged are redundant.
    """
    net = randomized_conv_bn_net(seed)
    x = bn_input()
    with torch.no_grad():
        ref = net(x)
        redundant = {}
        for name, p in net.named_parameters():
            saved = p.clone()
            p.copy_(10 * torch.randn_like(p) + 5)
            if torch.allclose(net(x), ref, atol=1e-4, rtol=1e-4):
                redundant[name] = p.numel()
            p.copy_(saved)
    return redundant


def bn_redundant_params() -> int:
    """Parameters removable from conv(3→64, bias)-BN-ReLU-conv(64→128, bias)-BN without changing its output."""
    net = randomized_conv_bn_net()
    without = bias_free_copy(net).train()
    x = bn_input()
    with torch.no_grad():
        assert torch.allclose(net(x), without(x), atol=1e-4, rtol=1e-4), "the biases should cancel in BatchNorm"
    removed = num_params(net) - num_params(without)
    assert removed == sum(redundant_parameters().values())
    return removed


# ---- 6. LeNet-5 ----------------------------------------------------------------------------

def lenet_params() -> int:
    return num_params(models.lenet5())


def lenet_bias_params() -> tuple[int, int]:
    """(all conv and linear biases, the output layer's biases) of ``lenet5()``."""
    model = models.lenet5()
    all_biases = sum(m.bias.numel() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    output = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    return all_biases, output.bias.numel()


# ==== Exercises 02: AlexNet and ZFNet =======================================================

@functools.cache
def alexnet_paper_model(groups: int = 2) -> nn.Module:
    return models.alexnet_paper(groups=groups)


@functools.cache
def zfnet_model() -> nn.Module:
    return models.zfnet()


def convs_of(model: nn.Module) -> list[nn.Conv2d]:
    return [m for m in model.modules() if isinstance(m, nn.Conv2d)]


def linears_of(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def output_shape(module: nn.Module, input_shape: Sequence[int]) -> torch.Size:
    with torch.no_grad():
        return module(torch.zeros(*input_shape)).shape


# ---- 1. AlexNet's conv1 on 224×224 ---------------------------------------------------------

def alexnet_conv1_height(size: int = 224) -> int:
    """Height of the paper's conv1 output (the model's own layer: 11×11, stride 4, no padding)."""
    conv1 = convs_of(alexnet_paper_model())[0]
    return output_shape(conv1, (1, 3, size, size))[-2]


def conv1_output_size() -> int:
    return alexnet_conv1_height(224)


# ---- 2. grouped conv2 ----------------------------------------------------------------------

def grouped_conv2_params(groups: int = 2) -> int:
    """Parameters of the paper's conv2, split over ``groups`` GPUs, taken from the model itself."""
    return num_params(convs_of(alexnet_paper_model(groups))[1])


# ---- 3. the three fully connected layers ---------------------------------------------------

def fc_params() -> int:
    return sum(num_params(m) for m in linears_of(alexnet_paper_model()))


def conv5_output_shape() -> torch.Size:
    """(1, 256, 13, 13): the paper's features up to conv5's ReLU, before pool5, on 227×227."""
    features = alexnet_paper_model().features
    assert isinstance(features[-1], nn.MaxPool2d)
    return output_shape(features[:-1], (1, 3, 227, 227))


def fc_params_reading_conv5() -> int:
    """The three FC layers if fc6 read conv5's map (pool5 skipped); built on the meta device (no memory)."""
    fc6_in = math.prod(conv5_output_shape()[1:])
    fc6 = nn.Linear(fc6_in, 4096, device="meta")
    return num_params(fc6) + sum(num_params(m) for m in linears_of(alexnet_paper_model())[1:])


# ---- 4. ZFNet's conv1 MACs -----------------------------------------------------------------

def zfnet_conv1_macs() -> int:
    conv1 = convs_of(zfnet_model())[0]
    return counted_macs(conv1, torch.zeros(1, 3, 224, 224))


def conv_macs_of(conv: nn.Conv2d, size: int) -> int:
    return counted_macs(conv, torch.zeros(1, conv.in_channels, size, size))


# ---- 5. ZFNet's first max-pool, floor mode -------------------------------------------------

def zfnet_conv1_height() -> int:
    return output_shape(convs_of(zfnet_model())[0], (1, 3, 224, 224))[-2]


def pool_height(kernel_size: int = 3, stride: int = 2, ceil_mode: bool = False, size: int | None = None) -> int:
    size = zfnet_conv1_height() if size is None else size
    pool = nn.MaxPool2d(kernel_size, stride=stride, ceil_mode=ceil_mode)
    return output_shape(pool, (1, 1, size, size))[-2]


def zfnet_pool1_size() -> int:
    return pool_height()


# ---- 6. inverted dropout -------------------------------------------------------------------

def dropout_values(p: float = 0.2, x: float = 4.0, train: bool = True) -> set[float]:
    """The distinct values ``nn.Dropout(p)`` outputs for 100,000 copies of ``x``."""
    torch.manual_seed(0)
    dropout = nn.Dropout(p).train(train)
    with torch.no_grad():
        out = dropout(torch.full((100_000,), x))
    return {float(v) for v in out.unique()}


def dropout_kept_value(p: float = 0.2, x: float = 4.0) -> float:
    (kept,) = dropout_values(p, x) - {0.0}
    return kept


# ==== Exercises 03: VGG =====================================================================

@functools.cache
def vgg16_model(batch_norm: bool = False) -> nn.Module:
    return models.vgg16_bn() if batch_norm else models.vgg16()


def vgg16_conv(name: str) -> nn.Conv2d:
    """VGG-16's ``convS_I`` (stage S, I-th conv in it), counted in the model's ``features``."""
    stage, index = (int(n) for n in name.removeprefix("conv").split("_"))
    seen_stage, seen_index = 1, 0
    for m in vgg16_model().features:
        if isinstance(m, nn.MaxPool2d):
            seen_stage, seen_index = seen_stage + 1, 0
        elif isinstance(m, nn.Conv2d):
            seen_index += 1
            if (seen_stage, seen_index) == (stage, index):
                return m
    raise KeyError(name)


def vgg16_input_of(layer: nn.Module, size: int = 224) -> torch.Size:
    """Shape of what ``layer`` receives when VGG-16 reads one ``size``×``size`` image (a forward hook)."""
    shapes = []
    handle = layer.register_forward_hook(lambda m, inputs, out: shapes.append(inputs[0].shape))
    try:
        with torch.no_grad():
            vgg16_model().features(torch.zeros(1, 3, size, size))
    finally:
        handle.remove()
    (shape,) = shapes
    return shape


# ---- 1. two 3×3 against one 5×5 ------------------------------------------------------------

def two_3x3(c: int = 256, bias: bool = True) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=bias), nn.ReLU(),
                         nn.Conv2d(c, c, 3, padding=1, bias=bias))


def two_3x3_vs_5x5_params(bias: bool = True) -> int:
    return num_params(nn.Conv2d(256, 256, 5, padding=2, bias=bias)) - num_params(two_3x3(256, bias))


# ---- 2. receptive field of conv5_3 ---------------------------------------------------------

def vgg16_stack(until: str = "conv5_3") -> list[tuple[str, int, int]]:
    """VGG-16's layers from the input through ``until`` (a conv name or ``"pool5"``), as stack rows."""
    last = vgg16_conv(until) if until.startswith("conv") else [
        m for m in vgg16_model().features if isinstance(m, nn.MaxPool2d)][int(until.removeprefix("pool")) - 1]
    rows: list[tuple[str, int, int]] = []
    for m in vgg16_model().features:
        if isinstance(m, nn.Conv2d):
            rows.append(("conv", m.kernel_size[0], m.stride[0]))
        elif isinstance(m, nn.MaxPool2d):
            rows.append(("pool", m.kernel_size, m.stride))
        if m is last:
            return rows
    raise KeyError(until)


def conv5_3_receptive_field() -> int:
    return measured_receptive_field(vgg16_stack("conv5_3"), size=256)


# ---- 3. MACs of conv3_2 --------------------------------------------------------------------

def conv3_2_macs() -> int:
    conv = vgg16_conv("conv3_2")
    x = torch.zeros(vgg16_input_of(conv))
    return counted_macs(conv, x)


# ---- 4. activation memory of conv1_1 -------------------------------------------------------

def conv1_1_output() -> torch.Tensor:
    with torch.no_grad():
        return vgg16_conv("conv1_1")(torch.zeros(1, 3, 224, 224))


def conv1_1_activation_mb() -> float:
    out = conv1_1_output()
    return out.numel() * out.element_size() / 1e6


# ---- 5. VGG-16's fc6 -----------------------------------------------------------------------

def vgg16_fc6() -> nn.Linear:
    return linears_of(vgg16_model())[0]


def fc6_params() -> int:
    return num_params(vgg16_fc6())


def conv5_3_output_shape() -> torch.Size:
    """(1, 512, 14, 14): VGG-16's features before pool5, on 224×224."""
    features = vgg16_model().features
    assert isinstance(features[-1], nn.MaxPool2d)
    return output_shape(features[:-1], (1, 3, 224, 224))


# ---- 6. what BatchNorm adds to VGG-16 ------------------------------------------------------

def vgg16_bn_extra_params() -> int:
    return num_params(vgg16_model(batch_norm=True)) - num_params(vgg16_model())


def vgg16_bn_layers() -> list[nn.BatchNorm2d]:
    return [m for m in vgg16_model(batch_norm=True).modules() if isinstance(m, nn.BatchNorm2d)]


# ==== Exercises 04: GoogLeNet ===============================================================

@functools.cache
def googlenet_model(kernel_5x5: int = 3, aux_logits: bool = False) -> nn.Module:
    return models.googlenet(kernel_5x5=kernel_5x5, aux_logits=aux_logits).eval()


def input_of(model: nn.Module, layer: nn.Module, size: int = 224, *, train: bool = False) -> torch.Size:
    """Shape of what ``layer`` receives when ``model`` reads one ``size``×``size`` image (a forward hook)."""
    shapes = []
    handle = layer.register_forward_hook(lambda m, inputs, out: shapes.append(inputs[0].shape))
    was_training = model.training
    model.train(train)
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, size, size))
    finally:
        handle.remove()
        model.train(was_training)
    (shape,) = shapes
    return shape


@functools.cache
def googlenet_input_of(name: str, **model: int | bool) -> torch.Size:
    """Shape of what GoogLeNet's layer ``name`` receives from a 224×224 image (aux classifiers: in training mode)."""
    net = googlenet_model(**model)
    return input_of(net, getattr(net, name), train=name.startswith("aux"))


def bn_layers_of(module: nn.Module) -> list[nn.BatchNorm2d]:
    return [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]


def with_conv_biases(module: nn.Module) -> nn.Module:
    """A copy of ``module`` whose bias-free convolutions get a bias (zeros) each."""
    module = copy.deepcopy(module)
    for conv in convs_of(module):
        if conv.bias is None:
            conv.bias = nn.Parameter(torch.zeros(conv.out_channels))
    return module


# ---- 1. the 1×1 reduction before a 5×5 -----------------------------------------------------

def inception4a_5x5_branch() -> nn.Module:
    """The 5×5 branch of inception 4a with the paper's 5×5 kernel: 1×1 reduction 480 → 16, then 5×5 16 → 48."""
    return googlenet_model(kernel_5x5=5).inception4a.branch3


def reduction_macs() -> int:
    return counted_macs(inception4a_5x5_branch(), torch.zeros(googlenet_input_of("inception4a", kernel_5x5=5)))


def direct_5x5_macs() -> int:
    """The same 5×5 convolution applied to all 480 channels, without the reduction."""
    c_in = googlenet_input_of("inception4a")[1]
    conv5 = inception4a_5x5_branch()[1].conv
    direct = nn.Conv2d(c_in, conv5.out_channels, 5, padding=2, bias=False)
    return conv_macs_of(direct, 14)


def branch_flops() -> int:
    x = torch.zeros(googlenet_input_of("inception4a", kernel_5x5=5))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        inception4a_5x5_branch()(x)
    return counter.get_total_flops()


# ---- 2. output channels of inception 4e ----------------------------------------------------

@functools.cache
def inception4e_branch_outputs() -> tuple[int, ...]:
    """Channels each branch of inception 4e outputs, and (last) what its max-pool alone passes on."""
    module = googlenet_model().inception4e
    x = torch.zeros(googlenet_input_of("inception4e"))
    with torch.no_grad():
        return (*(b(x).shape[1] for b in (module.branch1, module.branch2, module.branch3, module.branch4)),
                module.branch4[0](x).shape[1])


def inception4e_channels() -> int:
    module = googlenet_model().inception4e
    return output_shape(module, googlenet_input_of("inception4e"))[1]


# ---- 3. parameters of inception 3a ---------------------------------------------------------

def inception3a_params(kernel_5x5: int = 5) -> int:
    return num_params(googlenet_model(kernel_5x5=kernel_5x5).inception3a)


# ---- 4. the stem ---------------------------------------------------------------------------

def googlenet_stem(*, pool: bool = True, ceil_mode: bool = True, conv2: bool = True) -> nn.Sequential:
    """GoogLeNet's layers before inception 3a (the second max-pool has no MACs and is left out)."""
    net = googlenet_model()
    layers = [net.conv1]
    if pool:
        layers.append(net.maxpool1 if ceil_mode else nn.MaxPool2d(3, stride=2))
    if conv2:
        layers.append(net.conv2)
    return nn.Sequential(*layers, net.conv3)


def stem_macs(**variant: bool) -> int:
    return counted_macs(googlenet_stem(**variant), torch.zeros(1, 3, 224, 224))


def stem_flops() -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        googlenet_stem()(torch.zeros(1, 3, 224, 224))
    return counter.get_total_flops()


# ---- 5. flatten head against global average pooling ----------------------------------------

def googlenet_final_map() -> torch.Size:
    """(1, 1024, 7, 7): what GoogLeNet's average pool receives."""
    return googlenet_input_of("avgpool")


def flatten_head() -> nn.Linear:
    """One linear layer from the flattened final map to the classes; on the meta device (no memory)."""
    return nn.Linear(math.prod(googlenet_final_map()[1:]), googlenet_model().fc.out_features, device="meta")


def flatten_head_params() -> int:
    return num_params(flatten_head())


# ---- 6. the auxiliary classifier -----------------------------------------------------------

def aux_classifier_params() -> int:
    return num_params(googlenet_model(aux_logits=True).aux1)


# ==== Exercises 05: ResNet ==================================================================

@functools.cache
def resnet_model(depth: int) -> nn.Module:
    return getattr(models, f"resnet{depth}")().eval()


def projection(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    """A projection shortcut as the course builds it: 1×1 convolution without bias, then BatchNorm."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))


def bn_buffer_numel(module: nn.Module) -> int:
    return sum(m.running_mean.numel() + m.running_var.numel() for m in bn_layers_of(module))


# ---- 1. a basic block ----------------------------------------------------------------------

def basic_block() -> nn.Module:
    """ResNet-18's layer1[0]: 64 → 64, stride 1."""
    return resnet_model(18).layer1[0]


def basic_block_params() -> int:
    return num_params(basic_block())


# ---- 2. a bottleneck block -----------------------------------------------------------------

def bottleneck_block() -> nn.Module:
    """ResNet-50's layer1[1]: 256 → 64 → 64 → 256, stride 1."""
    return resnet_model(50).layer1[1]


def bottleneck_params() -> int:
    return num_params(bottleneck_block())


# ---- 3. the projection shortcut at a stage transition --------------------------------------

def projection_shortcut() -> nn.Module:
    return resnet_model(50).layer2[0].downsample


def projection_params() -> int:
    return num_params(projection_shortcut())


# ---- 4. convolutions of ResNet-50 ----------------------------------------------------------

def shortcut_convs(model: nn.Module) -> list[nn.Conv2d]:
    return [m for name, m in model.named_modules() if isinstance(m, nn.Conv2d) and "downsample" in name]


def resnet50_convs() -> int:
    return len(convs_of(resnet_model(50)))


# ---- 5. depth of a CIFAR ResNet ------------------------------------------------------------

def cifar_resnet(n: int = 18, *, block: type[nn.Module] = models.BasicBlock, stages: int = 3) -> nn.Module:
    """The ResNet paper's CIFAR network (§4.2) with ``n`` blocks per stage; the course's option-B shortcuts."""
    return models.ResNet(block, (n,) * stages, widths=(16, 32, 64)[:stages], num_classes=10, small_input=True)


def weighted_layers(model: nn.Module) -> int:
    """Convolutions and linear layers on the main path (the shortcut projections left out)."""
    return len(convs_of(model)) - len(shortcut_convs(model)) + len(linears_of(model))


def cifar_depth() -> int:
    return weighted_layers(cifar_resnet())


# ---- 6. V1 against V1.5 --------------------------------------------------------------------

def v1_block(block: nn.Module) -> nn.Module:
    """A copy of a stride-2 torchvision (V1.5) bottleneck with the stride moved to its first 1×1 (the paper's V1)."""
    v1 = copy.deepcopy(block)
    v1.conv1.stride, v1.conv2.stride = v1.conv2.stride, v1.conv1.stride
    return v1


@functools.cache
def first_block_input_shape(stage: int) -> torch.Size:
    model = resnet_model(50)
    return input_of(model, getattr(model, f"layer{stage}")[0])


def first_block_input(stage: int) -> torch.Tensor:
    """Zeros shaped like what ResNet-50's ``layer{stage}[0]`` receives from a 224×224 image."""
    return torch.zeros(first_block_input_shape(stage))


def v1_5_extra_macs(stage: int = 2) -> int:
    block = getattr(resnet_model(50), f"layer{stage}")[0]
    x = first_block_input(stage)
    with torch.no_grad():
        assert block(x).shape == v1_block(block)(x).shape
    return counted_macs(block, x) - counted_macs(v1_block(block), x)


def resnet50_v1() -> nn.Module:
    """ResNet-50 with every stride-2 bottleneck restored to the paper's V1."""
    model = copy.deepcopy(resnet_model(50))
    for stage in (2, 3, 4):
        layer = getattr(model, f"layer{stage}")
        layer[0] = v1_block(layer[0])
    return model


# The check function of each exercise → its reference answer.
REFERENCE: dict[str, Callable[[], int | float]] = {
    "ex01_output_size": output_size,
    "ex01_grouped_conv_params": grouped_conv_params,
    "ex01_conv_macs": conv_macs,
    "ex01_receptive_field": receptive_field,
    "ex01_bn_redundant_params": bn_redundant_params,
    "ex01_lenet_params": lenet_params,
    "ex02_conv1_output_size": conv1_output_size,
    "ex02_grouped_conv2_params": grouped_conv2_params,
    "ex02_fc_params": fc_params,
    "ex02_zfnet_conv1_macs": zfnet_conv1_macs,
    "ex02_zfnet_pool1_size": zfnet_pool1_size,
    "ex02_dropout_kept_value": dropout_kept_value,
    "ex03_two_3x3_vs_5x5_params": two_3x3_vs_5x5_params,
    "ex03_conv5_3_receptive_field": conv5_3_receptive_field,
    "ex03_conv3_2_macs": conv3_2_macs,
    "ex03_conv1_1_activation_mb": conv1_1_activation_mb,
    "ex03_fc6_params": fc6_params,
    "ex03_vgg16_bn_extra_params": vgg16_bn_extra_params,
    "ex04_reduction_macs": reduction_macs,
    "ex04_inception4e_channels": inception4e_channels,
    "ex04_inception3a_params": inception3a_params,
    "ex04_stem_macs": stem_macs,
    "ex04_flatten_head_params": flatten_head_params,
    "ex04_aux_classifier_params": aux_classifier_params,
    "ex05_basic_block_params": basic_block_params,
    "ex05_bottleneck_params": bottleneck_params,
    "ex05_projection_params": projection_params,
    "ex05_resnet50_convs": resnet50_convs,
    "ex05_cifar_depth": cifar_depth,
    "ex05_v1_5_extra_macs": v1_5_extra_macs,
}
