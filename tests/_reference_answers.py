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
from fractions import Fraction

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnncourse import models
from cnncourse.layers import SqueezeExcite, StochasticDepth


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


# ==== Exercises 06: Wide ResNet, ResNeXt, stochastic depth ==================================

@functools.cache
def resnext50_model() -> nn.Module:
    return models.resnext50_32x4d().eval()


@functools.cache
def wide_resnet50_model() -> nn.Module:
    return models.wide_resnet50_2().eval()


def conv_weights(module: nn.Module) -> int:
    """Convolution weights only (no biases, no BatchNorm): the count of the ResNeXt paper's Fig. 1."""
    return sum(conv.weight.numel() for conv in convs_of(module))


# ---- 1. a grouped 3×3 convolution ----------------------------------------------------------

def resnext_grouped_conv() -> nn.Conv2d:
    """ResNeXt-50's layer1[0].conv2: 128 → 128 channels, 32 groups."""
    return resnext50_model().layer1[0].conv2


def grouped_3x3_params() -> int:
    return num_params(resnext_grouped_conv())


# ---- 2. the template of Fig. 1 -------------------------------------------------------------

def resnext_template() -> nn.Module:
    """ResNeXt-50's layer1[1]: 256 → 32 paths of width 4 (one grouped 3×3) → 256, identity shortcut."""
    return resnext50_model().layer1[1]


def template_weights() -> int:
    return conv_weights(resnext_template())


# ---- 3. what WRN-50-2 adds to one bottleneck -----------------------------------------------

def wrn_extra_params(stage: int = 3, index: int = 1) -> int:
    """Parameters of WRN-50-2's ``layer{stage}[index]`` minus those of ResNet-50's."""
    wide, narrow = (getattr(m, f"layer{stage}")[index] for m in (wide_resnet50_model(), resnet_model(50)))
    return num_params(wide) - num_params(narrow)


# ---- 4. cardinality at constant complexity (Table 2) ---------------------------------------

def template(cardinality: int, d: int, *, dense: bool = False) -> nn.Module:
    """The conv2 template 256 → C paths of width d → 256 as a course Bottleneck, on the meta device.

    ``dense=True`` builds the slip: one dense 3×3 convolution of width C·d instead of C groups.
    """
    with torch.device("meta"):
        if dense:
            return models.Bottleneck(256, 64, width_per_group=cardinality * d)
        return models.Bottleneck(256, 64, groups=cardinality, width_per_group=d)


def closest_cardinality(d: int = 14, *, weights: Callable[[nn.Module], int] = conv_weights,
                        dense: bool = False) -> int:
    """The C whose template (counted by ``weights``) is closest to the weights of ResNet-50's layer1[1]."""
    target = conv_weights(resnet_model(50).layer1[1])
    return min(range(1, 65), key=lambda c: abs(weights(template(c, d, dense=dense)) - target))


def one_by_one_weights(block: nn.Module) -> int:
    """The slip of leaving the 3×3 out: the weights of the block's two 1×1 convolutions."""
    return block.conv1.weight.numel() + block.conv3.weight.numel()


def cardinality() -> int:
    return closest_cardinality()


# ---- 5. stochastic depth: expected active blocks -------------------------------------------

@functools.cache
def stochastic_depth_resnet(p_last: float = 0.5) -> nn.Module:
    """The 110-layer CIFAR ResNet (3 stages of 18 basic blocks) with the linear rule, p_L = ``p_last``."""
    return models.ResNet(models.BasicBlock, (18, 18, 18), widths=(16, 32, 64), num_classes=10, small_input=True,
                         drop_path_rate=p_last)


def stochastic_depth_modules() -> list[nn.Module]:
    """Each block's StochasticDepth module (on its residual branch), first block first."""
    model = stochastic_depth_resnet()
    return [block.drop_path for stage in (model.layer1, model.layer2, model.layer3) for block in stage]


def drop_probabilities() -> list[float]:
    return [drop.p for drop in stochastic_depth_modules()]


def expected_active_blocks() -> float:
    return math.fsum(1 - p for p in drop_probabilities())


def measured_survival(drop: nn.Module, samples: int = 200_000, seed: int = 0) -> float:
    """Fraction of ``samples`` whose branch the StochasticDepth module ``drop`` keeps, in training mode."""
    assert isinstance(drop, StochasticDepth)
    torch.manual_seed(seed)
    was_training = drop.training
    try:
        with torch.no_grad():
            return (drop.train()(torch.ones(samples, 1)) != 0).float().mean().item()
    finally:
        drop.train(was_training)


# ==== Exercises 07: DenseNet ================================================================

@functools.cache
def densenet121_model(compression: float = 0.5) -> nn.Module:
    return models.densenet121(compression=compression).eval()


@functools.cache
def densenet_input_shapes(compression: float = 0.5) -> dict[str, torch.Size]:
    """Module name → shape of what it receives, for every BatchNorm and the classifier, from one 224×224 image."""
    model = densenet121_model(compression)
    shapes: dict[str, torch.Size] = {}
    handles = [m.register_forward_hook(lambda m, inputs, out, name=name: shapes.__setitem__(name, inputs[0].shape))
               for name, m in model.named_modules() if isinstance(m, (nn.BatchNorm2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, 224, 224))
    finally:
        for h in handles:
            h.remove()
    return shapes


def layer_input(block: int = 3, layer: int = 10, compression: float = 0.5) -> torch.Size:
    """What dense layer ``layer`` of block ``block`` reads (its first BatchNorm's input): (1, C, H, W)."""
    return densenet_input_shapes(compression)[f"features.denseblock{block}.denselayer{layer}.norm1"]


def dense_layer() -> nn.Module:
    """DenseNet-121's features.denseblock3.denselayer10."""
    return densenet121_model().features.denseblock3.denselayer10


# ---- 1. channels entering a dense layer ----------------------------------------------------

def layer_input_channels() -> int:
    return layer_input()[1]


# ---- 2. channels the classifier reads ------------------------------------------------------

def final_channels(compression: float = 0.5) -> int:
    return densenet_input_shapes(compression)["classifier"][1]


def final_channels_growth_4k() -> int:
    """The slip of growing by 4k = 128 per layer: a DenseNet-121 with k = 128 (bottleneck 1·k), on the meta device."""
    with torch.device("meta"):
        return models.DenseNet(4 * 32, (6, 12, 24, 16), 64, bn_size=1).classifier.in_features


# ---- 3. parameters of a dense layer --------------------------------------------------------

def dense_layer_params() -> int:
    return num_params(dense_layer())


def dense_layer_without_bottleneck() -> nn.Sequential:
    """BN-ReLU-3×3 straight from the layer's input to k channels (DenseNet without its 'B')."""
    layer = dense_layer()
    return nn.Sequential(nn.BatchNorm2d(layer.conv1.in_channels), nn.ReLU(),
                         nn.Conv2d(layer.conv1.in_channels, layer.conv2.out_channels, 3, padding=1, bias=False))


def dense_layer_post_activation() -> nn.Sequential:
    """The same convolutions with BatchNorm after each of them (conv-BN-ReLU), the slip of problem 3."""
    layer = dense_layer()
    return nn.Sequential(copy.deepcopy(layer.conv1), nn.BatchNorm2d(layer.conv1.out_channels), nn.ReLU(),
                         copy.deepcopy(layer.conv2), nn.BatchNorm2d(layer.conv2.out_channels))


# ---- 4. parameters of a transition ---------------------------------------------------------

def transition3() -> nn.Module:
    return densenet121_model().features.transition3


def transition_params() -> int:
    return num_params(transition3())


# ---- 5. MACs of a dense layer --------------------------------------------------------------

def dense_layer_flops() -> int:
    x = torch.zeros(layer_input())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        dense_layer()([x])  # a DenseLayer reads the list of the block's maps so far
    return counter.get_total_flops()


def dense_layer_macs() -> int:
    flops = dense_layer_flops()
    assert flops % 2 == 0
    return flops // 2


# ==== Exercises 08: SENet ===================================================================

@functools.cache
def se_resnet50_model(**variant: object) -> nn.Module:
    return models.se_resnet50(**variant).eval()


def se_units(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, SqueezeExcite)]


def fc_weights(se: nn.Module) -> int:
    return se.fc1.weight.numel() + se.fc2.weight.numel()


def bottlenecks(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, models.Bottleneck)]


def se_on(channels: int, ratio: int = 16) -> nn.Module:
    """An SE unit C → C/r → C built from the course's layer."""
    return SqueezeExcite(channels, channels // ratio)


# ---- 1. one SE unit ------------------------------------------------------------------------

def se_unit() -> nn.Module:
    """The SE unit of SE-ResNet-50's layer1[0]: 256 channels, r = 16."""
    return se_resnet50_model().layer1[0].se


def se_unit_params() -> int:
    return num_params(se_unit())


# ---- 2. what SE adds to ResNet-50 ----------------------------------------------------------

def se_overhead() -> int:
    return num_params(se_resnet50_model()) - num_params(resnet_model(50))


def se_overhead_on_inner_width() -> int:
    """SE units on each bottleneck's inner width (its 3×3 convolution's channels) instead of its output."""
    return sum(num_params(se_on(block.conv2.out_channels)) for block in bottlenecks(resnet_model(50)))


# ---- 3. the MACs SE adds -------------------------------------------------------------------

@functools.cache
def model_flops_and_se_inputs(name: str) -> tuple[int, tuple[torch.Size, ...]]:
    """FLOPs of ``resnet50`` or ``se_resnet50`` on one 224×224 image, and the shape each SE unit receives."""
    model = se_resnet50_model() if name == "se_resnet50" else resnet_model(50)
    shapes: list[torch.Size] = []
    handles = [se.register_forward_hook(lambda m, inputs, out: shapes.append(inputs[0].shape))
               for se in se_units(model)]
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, 3, 224, 224))
    finally:
        for h in handles:
            h.remove()
    return counter.get_total_flops(), tuple(shapes)


def se_extra_flops() -> int:
    return model_flops_and_se_inputs("se_resnet50")[0] - model_flops_and_se_inputs("resnet50")[0]


def se_extra_macs() -> int:
    flops = se_extra_flops()
    assert flops % 2 == 0
    return flops // 2


def se_fcs_at_every_position() -> int:
    """The slip: each SE unit's two FC layers (1×1 convolutions) applied at every position of its input map."""
    total = 0
    for se, shape in zip(se_units(se_resnet50_model()), model_flops_and_se_inputs("se_resnet50")[1]):
        total += counted_macs(nn.Sequential(se.fc1, se.fc2), torch.zeros(shape))
    return total


def se_scaling_multiplies() -> int:
    """One multiply per element of each map an SE unit scales."""
    return sum(math.prod(shape) for shape in model_flops_and_se_inputs("se_resnet50")[1])


# ---- 4. the reduction ratio for a 5% budget ------------------------------------------------

def overhead_at_ratio(ratio: int) -> int:
    with torch.device("meta"):
        return num_params(models.se_resnet50(se_ratio=ratio)) - num_params(resnet_model(50))


def smallest_ratio(overhead: Callable[[int], int] = overhead_at_ratio) -> int:
    budget = 0.05 * num_params(resnet_model(50))
    return min(r for r in (2, 4, 8, 16, 32, 64) if overhead(r) <= budget)


def reduction_ratio() -> int:
    return smallest_ratio()


def inner_width_overhead_at_ratio(ratio: int) -> int:
    return sum(num_params(se_on(block.conv2.out_channels, ratio)) for block in bottlenecks(resnet_model(50)))


# ---- 5. the SE-PRE design ------------------------------------------------------------------

@functools.cache
def se_pre_unit() -> nn.Module:
    """The SE unit of ``se_resnet50(se_position="pre").layer3[0]``."""
    return se_resnet50_model(se_position="pre").layer3[0].se


def se_pre_params() -> int:
    return num_params(se_pre_unit())


# ==== Exercises 09: MobileNet ===============================================================

@functools.cache
def mobilenet_v1_model(width_mult: float = 1.0) -> nn.Module:
    return models.mobilenet_v1(width_mult=width_mult).eval()


@functools.cache
def mobilenet_v2_model() -> nn.Module:
    return models.mobilenet_v2().eval()


def v1_layer_input(index: int) -> torch.Tensor:
    """Zeros shaped like what ``mobilenet_v1().features[index]`` receives from a 224×224 image."""
    model = mobilenet_v1_model()
    return torch.zeros(input_of(model, model.features[index]))


def depthwise_and_pointwise(layer: nn.Module) -> tuple[nn.Conv2d, nn.Conv2d]:
    depthwise, pointwise = convs_of(layer)
    assert depthwise.groups == depthwise.in_channels == depthwise.out_channels and pointwise.kernel_size == (1, 1)
    return depthwise, pointwise


def standard_conv_like(layer: nn.Module) -> nn.Conv2d:
    """A standard 3×3 convolution with the separable layer's input and output channels and stride."""
    depthwise, pointwise = depthwise_and_pointwise(layer)
    return nn.Conv2d(depthwise.in_channels, pointwise.out_channels, 3, stride=depthwise.stride, padding=1, bias=False)


def part_macs(layer: nn.Module, x: torch.Tensor) -> dict[str, int]:
    """MACs of each convolution of a separable layer, measured one by one on the real input."""
    depthwise, pointwise = depthwise_and_pointwise(layer)
    with torch.no_grad():
        mid = depthwise(x)
    return {"depthwise": counted_macs(depthwise, x), "pointwise": counted_macs(pointwise, mid)}


# ---- 1. MACs of one separable layer --------------------------------------------------------

def separable_layer() -> nn.Module:
    """MobileNet v1's features[3]: depthwise 3×3 on 128 channels, pointwise 128 → 128, at 56×56."""
    return mobilenet_v1_model().features[3]


def separable_macs() -> int:
    return counted_macs(separable_layer(), v1_layer_input(3))


# ---- 2. separable against standard ---------------------------------------------------------

def fraction_layer() -> nn.Module:
    """MobileNet v1's features[7]: 512 → 512 at 14×14."""
    return mobilenet_v1_model().features[7]


def standard_macs(index: int) -> int:
    layer = mobilenet_v1_model().features[index]
    return counted_macs(standard_conv_like(layer), v1_layer_input(index))


def separable_fraction() -> float:
    return counted_macs(fraction_layer(), v1_layer_input(7)) / standard_macs(7)


# ---- 3. parameters of a separable layer ----------------------------------------------------

def params_layer() -> nn.Module:
    """MobileNet v1's features[6]: depthwise 3×3 stride 2 on 256 channels, pointwise 256 → 512."""
    return mobilenet_v1_model().features[6]


def separable_params() -> int:
    return num_params(params_layer())


# ---- 4. width and resolution multipliers ---------------------------------------------------

def v1_macs(width_mult: float = 1.0, size: int = 224) -> int:
    return counted_macs(mobilenet_v1_model(width_mult), torch.zeros(1, 3, size, size))


def width_resolution_macs() -> int:
    """0.5 MobileNet-160."""
    return v1_macs(0.5, 160)


def alpha_rho_estimate(alpha_power: int = 2) -> float:
    """1.0 MobileNet-224's counted MACs times α^power·ρ², α = 0.5, ρ = 160/224."""
    return v1_macs() * 0.5 ** alpha_power * (160 / 224) ** 2


# ---- 5. an inverted residual block ---------------------------------------------------------

def inverted_residual() -> nn.Module:
    """MobileNetV2's features[4]: 24 → 144 (t = 6) → 32 channels, stride 2."""
    return mobilenet_v2_model().features[4]


def inverted_residual_params() -> int:
    return num_params(inverted_residual())


def inverted_residual_convs() -> tuple[nn.Conv2d, nn.Conv2d, nn.Conv2d]:
    expand, depthwise, project = convs_of(inverted_residual())
    return expand, depthwise, project


def inverted_residual_hidden_from_output() -> int:
    """The same block with the hidden width t·c_out (the expansion ratio chosen so that in·ratio = t·out)."""
    expand, depthwise, project = inverted_residual_convs()
    t = expand.out_channels // expand.in_channels
    hidden = t * project.out_channels
    assert hidden % expand.in_channels == 0
    block = models.InvertedResidual(expand.in_channels, project.out_channels, depthwise.stride[0],
                                    expand_ratio=hidden // expand.in_channels)
    return num_params(block)


def inverted_residual_dense_depthwise() -> int:
    """The block with a standard 3×3 convolution in place of the depthwise one."""
    _, depthwise, _ = inverted_residual_convs()
    dense = nn.Conv2d(depthwise.in_channels, depthwise.out_channels, 3, bias=False)
    return inverted_residual_params() - depthwise.weight.numel() + dense.weight.numel()


# ---- 6. blocks with a shortcut -------------------------------------------------------------

def inverted_residuals() -> list[nn.Module]:
    return [m for m in mobilenet_v2_model().modules() if isinstance(m, models.InvertedResidual)]


@functools.cache
def inverted_residual_shapes() -> tuple[tuple[torch.Size, torch.Size], ...]:
    """(input shape, output shape) of each of MobileNetV2's inverted residuals on a 224×224 image."""
    shapes: list[tuple[torch.Size, torch.Size]] = []
    handles = [b.register_forward_hook(lambda m, inputs, out: shapes.append((inputs[0].shape, out.shape)))
               for b in inverted_residuals()]
    try:
        with torch.no_grad():
            mobilenet_v2_model()(torch.zeros(1, 3, 224, 224))
    finally:
        for h in handles:
            h.remove()
    return tuple(shapes)


def residual_blocks() -> int:
    """Blocks that add their input to their output, found by zeroing the branch: the output is then the input."""
    count = 0
    for block, (shape, _) in zip(inverted_residuals(), inverted_residual_shapes()):
        block = copy.deepcopy(block)
        last_bn = bn_layers_of(block)[-1]
        with torch.no_grad():
            last_bn.weight.zero_()
            last_bn.bias.zero_()
            x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
            out = block(x)
        count += out.shape == x.shape and torch.equal(out, x)
    return count


def stride_one_blocks() -> int:
    return sum(convs_of(b)[-2].stride == (1, 1) for b in inverted_residuals())


# ==== Exercises 10: EfficientNet ============================================================

# The paper's constants (its §3.3), exact: α = 1.2 (depth), β = 1.1 (width), γ = 1.15 (resolution).
ALPHA, BETA, GAMMA = Fraction("1.2"), Fraction("1.1"), Fraction("1.15")


@functools.cache
def efficientnet_model(name: str) -> nn.Module:
    """``efficientnet_b0`` … ``b7``; all but B0 on the meta device (shapes and counts only)."""
    if name == "b0":
        return models.efficientnet_b0().eval()
    with torch.device("meta"):
        return models.get_model(f"efficientnet_{name}").eval()


def mbconv_blocks(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, models.MBConv)]


# ---- 1. and 2. the compound rule -----------------------------------------------------------

def conv_stack_macs(depth: int, width: int, size: int) -> int:
    """MACs of ``depth`` 3×3 convolutions width → width on a size×size map (counted on the meta device)."""
    with torch.device("meta"):
        stack = nn.Sequential(*[nn.Conv2d(width, width, 3, padding=1, bias=False) for _ in range(depth)])
        x = torch.zeros(1, width, size, size)
    return counted_macs(stack, x)


def compound_flops_ratio(phi: int, *, alpha: Fraction = ALPHA, beta: Fraction = BETA, gamma: Fraction = GAMMA) -> float:
    """MACs of a conv stack scaled by d = α^φ, w = β^φ, r = γ^φ over the unscaled stack.

    The multipliers are exact fractions p/q: the base stack has q layers (channels, pixels), the
    scaled one p, so every size is a whole number and the scaling is exact.
    """
    d, w, r = alpha ** phi, beta ** phi, gamma ** phi
    base = conv_stack_macs(d.denominator, w.denominator, r.denominator)
    scaled = conv_stack_macs(d.numerator, w.numerator, r.numerator)
    return scaled / base


def compound_base() -> float:
    return compound_flops_ratio(1)


def compound_flops() -> float:
    return compound_flops_ratio(3)


# ---- 3. blocks of B4 -----------------------------------------------------------------------

def b4_blocks() -> int:
    return len(mbconv_blocks(efficientnet_model("b4")))


def b0_stage_lengths() -> list[int]:
    return [len(stage) for stage in efficientnet_model("b0").features[1:-1]]


def b4_blocks_rounded(rounding: Callable[[float], int]) -> int:
    """B0's stage lengths scaled by B4's depth multiplier, each rounded with ``rounding``."""
    depth = models.efficientnet.SCALING["b4"].depth
    return sum(int(rounding(n * depth)) for n in b0_stage_lengths())


# ---- 4. an SE unit inside MBConv -----------------------------------------------------------

def mbconv_block() -> nn.Module:
    """EfficientNet-B0's features[4][0]: 40 → 240 (expand 6) → 80 channels, 3×3 depthwise, stride 2."""
    return efficientnet_model("b0").features[4][0]


def mbconv_se() -> nn.Module:
    (se,) = [m for m in mbconv_block().modules() if isinstance(m, SqueezeExcite)]
    return se


def mbconv_se_params() -> int:
    return num_params(mbconv_se())


def se_between(channels: int, squeeze: int) -> int:
    return num_params(SqueezeExcite(channels, squeeze))


# ---- 5. B3's first width -------------------------------------------------------------------

def b3_first_width() -> int:
    return efficientnet_model("b3").features[1][0].out_channels


def b3_first_width_unrounded() -> float:
    return efficientnet_model("b0").features[1][0].out_channels * models.efficientnet.SCALING["b3"].width


# ---- 6. MACs of one MBConv block -----------------------------------------------------------

def mbconv_input() -> torch.Tensor:
    model = efficientnet_model("b0")
    return torch.zeros(input_of(model, mbconv_block()))


def mbconv_sides() -> tuple[int, int]:
    """(input side, output side) of the block on a 224×224 image."""
    x = mbconv_input()
    with torch.no_grad():
        return x.shape[-1], mbconv_block()(x).shape[-1]


def mbconv_macs() -> int:
    return counted_macs(mbconv_block(), mbconv_input())


def mbconv_flops() -> int:
    x = mbconv_input()  # measured outside the counter: it runs the whole network
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        mbconv_block()(x)
    return counter.get_total_flops()


def mbconv_conv_inputs() -> dict[nn.Conv2d, torch.Size]:
    """The input shape of each convolution of the block (SE's fc1 and fc2 included) on the real input."""
    shapes: dict[nn.Conv2d, torch.Size] = {}
    block = mbconv_block()
    handles = [c.register_forward_hook(lambda m, inputs, out: shapes.__setitem__(m, inputs[0].shape))
               for c in convs_of(block)]
    try:
        with torch.no_grad():
            block(mbconv_input())
    finally:
        for h in handles:
            h.remove()
    return shapes


def mbconv_macs_with(conv_name: str, side: int) -> int:
    """The block's MACs with one of its convolutions ("expand", "depthwise" or "se") counted at side×side."""
    expand, depthwise = convs_of(mbconv_block())[:2]
    se = mbconv_se()
    shapes = mbconv_conv_inputs()
    total = mbconv_macs()
    if conv_name == "se":
        pooled = torch.zeros(shapes[se.fc1])
        return total - counted_macs(nn.Sequential(se.fc1, se.fc2), pooled) + counted_macs(
            nn.Sequential(se.fc1, se.fc2), torch.zeros(*pooled.shape[:2], side, side))
    conv = {"expand": expand, "depthwise": depthwise}[conv_name]
    x = torch.zeros(shapes[conv])
    slip = copy.deepcopy(conv)
    slip.stride = (1, 1)  # "side" output positions: the input at stride 1
    return total - counted_macs(conv, x) + counted_macs(slip, torch.zeros(*x.shape[:2], side, side))


def mbconv_macs_without_se() -> int:
    se = mbconv_se()
    return mbconv_macs() - counted_macs(nn.Sequential(se.fc1, se.fc2), torch.zeros(mbconv_conv_inputs()[se.fc1]))


# ==== Exercises 11: ConvNeXt and a glimpse of ViT ===========================================

def meta_zeros(*shape: int) -> torch.Tensor:
    return torch.zeros(*shape, device="meta")


def model_flops(model: nn.Module, size: int = 224) -> int:
    """flop_counter FLOPs of one forward pass of a meta-device model on one size×size image."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(meta_zeros(1, 3, size, size))
    return counter.get_total_flops()


def model_macs(model: nn.Module, size: int = 224) -> int:
    flops = model_flops(model, size)
    assert flops % 2 == 0
    return flops // 2


def meta_input_of(model: nn.Module, layer: nn.Module, size: int = 224) -> torch.Size:
    """Shape of what ``layer`` receives when the meta-device ``model`` reads one size×size image."""
    shapes = []
    handle = layer.register_forward_hook(lambda m, inputs, out: shapes.append(inputs[0].shape))
    try:
        with torch.no_grad():
            model(meta_zeros(1, 3, size, size))
    finally:
        handle.remove()
    (shape,) = shapes
    return shape


@functools.cache
def roadmap_net(step: str) -> nn.Module:
    """The network after the roadmap step named ``step`` (``"ResNet-50"``, ``"stage ratio 3:3:9:3"`` …), on meta."""
    with torch.device("meta"):
        return models.convnext.RoadmapNet(dict(models.convnext.ROADMAP)[step]).eval()


RESNET50_STEP, STAGE_RATIO_STEP, PATCHIFY_STEP = "ResNet-50", "stage ratio 3:3:9:3", "patchify stem 4×4, stride 4"


def block_macs_at(block: nn.Module, shape: Sequence[int]) -> int:
    return counted_macs(block, meta_zeros(*shape))


# ---- 1. the stage ratio --------------------------------------------------------------------

def stage_ratio_macs() -> int:
    return model_macs(roadmap_net(STAGE_RATIO_STEP)) - model_macs(roadmap_net(RESNET50_STEP))


def stage_ratio_flops() -> int:
    return model_flops(roadmap_net(STAGE_RATIO_STEP)) - model_flops(roadmap_net(RESNET50_STEP))


def identity_bottleneck(stage: int, step: str = STAGE_RATIO_STEP) -> tuple[nn.Module, torch.Size]:
    """The last block of ``stages[stage]`` (stride 1, identity shortcut) and the shape it receives at 224×224."""
    net = roadmap_net(step)
    block = net.stages[stage][-1]
    return block, meta_input_of(net, block)


def stage3_added_blocks_macs() -> int:
    """The three blocks the step appends to stage 3, measured on their input, none removed from stage 2."""
    net = roadmap_net(STAGE_RATIO_STEP)
    added = nn.Sequential(*list(net.stages[2])[-3:])
    return counted_macs(added, meta_zeros(*meta_input_of(net, added[0])))


def one_bottleneck_macs(stage: int = 2) -> int:
    block, shape = identity_bottleneck(stage)
    return block_macs_at(block, shape)


def stage_ratio_macs_unhalved() -> int:
    """The slip: stage 3's three new blocks counted on stage 2's 28×28 map, one stage-2 block removed."""
    block3, shape3 = identity_bottleneck(2)
    _, shape2 = identity_bottleneck(1)
    return 3 * block_macs_at(block3, (*shape3[:2], *shape2[-2:])) - one_bottleneck_macs(1)


# ---- 2. the patchify stem ------------------------------------------------------------------

def patchify_stem_macs() -> int:
    return model_macs(roadmap_net(STAGE_RATIO_STEP)) - model_macs(roadmap_net(PATCHIFY_STEP))


def patchify_stem_flops() -> int:
    return model_flops(roadmap_net(STAGE_RATIO_STEP)) - model_flops(roadmap_net(PATCHIFY_STEP))


def roadmap_stem_macs(step: str) -> int:
    return counted_macs(roadmap_net(step).stem, meta_zeros(1, 3, 224, 224))


def stem_output_shape(step: str) -> torch.Size:
    with torch.no_grad():
        return roadmap_net(step).stem(meta_zeros(1, 3, 224, 224)).shape


# ---- 3. and 4. one ConvNeXt block ----------------------------------------------------------

@functools.cache
def convnext_tiny_meta() -> nn.Module:
    with torch.device("meta"):
        return models.convnext_tiny().eval()


def convnext_block() -> nn.Module:
    """ConvNeXt-T's features[1][0]: the first block of stage 1, C = 96."""
    return convnext_tiny_meta().features[1][0]


def convnext_block_params() -> int:
    return num_params(convnext_block())


def convnext_block_parts() -> dict[str, nn.Module]:
    conv, _, norm, expand, gelu, project, _ = convnext_block().block
    return {"depthwise": conv, "norm": norm, "expand": expand, "gelu": gelu, "project": project}


def convnext_block_without_biases() -> int:
    """The block's parameters less the biases of its convolution and linear layers (LayerNorm's shift kept)."""
    parts = convnext_block_parts()
    return convnext_block_params() - sum(parts[n].bias.numel() for n in ("depthwise", "expand", "project"))


def convnext_block_dense() -> int:
    """The block with a standard 7×7 convolution (with bias) in place of the depthwise one."""
    dw = convnext_block_parts()["depthwise"]
    dense = nn.Conv2d(dw.in_channels, dw.out_channels, dw.kernel_size, device="meta")
    return convnext_block_params() - num_params(dw) + num_params(dense)


def convnext_block_unexpanded(channels: int = 96) -> nn.Module:
    with torch.device("meta"):
        return models.ConvNeXtBlock(channels, expansion=1).eval()


def convnext_block_input() -> torch.Size:
    return meta_input_of(convnext_tiny_meta(), convnext_block())


def convnext_block_macs() -> int:
    return block_macs_at(convnext_block(), convnext_block_input())


def convnext_block_flops() -> int:
    x = meta_zeros(*convnext_block_input())  # measured outside the counter: it runs the whole network
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        convnext_block()(x)
    return counter.get_total_flops()


def convnext_depthwise_macs(*, dense: bool = False) -> int:
    dw = convnext_block_parts()["depthwise"]
    if dense:
        dw = nn.Conv2d(dw.in_channels, dw.out_channels, dw.kernel_size, padding=dw.padding, device="meta")
    return block_macs_at(dw, convnext_block_input())


# ---- 5. and 6. ViT -------------------------------------------------------------------------

@functools.cache
def vit_meta(image_size: int = 224) -> nn.Module:
    with torch.device("meta"):
        return models.VisionTransformer(image_size=image_size).eval()


def vit_tokens(image_size: int = 384) -> torch.Size:
    """(1, N, D): the class token and the patch tokens ViT-B/16 builds from one image."""
    with torch.no_grad():
        return vit_meta(image_size).tokens(meta_zeros(1, 3, image_size, image_size)).shape


def vit_patch_grid(image_size: int = 384) -> torch.Size:
    """(1, D, H/16, W/16): the patch embedding's output map."""
    with torch.no_grad():
        return vit_meta(image_size).conv_proj(meta_zeros(1, 3, image_size, image_size)).shape


def vit_sequence_length() -> int:
    return vit_tokens(384)[1]


def encoder_block() -> nn.Module:
    return vit_meta().encoder.layers[0]


def encoder_block_params() -> int:
    return num_params(encoder_block())


def encoder_block_qkv_per_head() -> int:
    """The slip: every head with its own full D → 3D projection of queries, keys and values."""
    attention = encoder_block().self_attention
    heads = attention.num_heads
    full_qkv = num_params(nn.Linear(attention.embed_dim, 3 * attention.embed_dim, device="meta"))
    in_proj = attention.in_proj_weight.numel() + attention.in_proj_bias.numel()
    return encoder_block_params() - in_proj + heads * full_qkv


def encoder_block_weight_matrices() -> int:
    block = encoder_block()
    attention = block.self_attention
    return (attention.in_proj_weight.numel() + attention.out_proj.weight.numel()
            + sum(m.weight.numel() for m in block.mlp if isinstance(m, nn.Linear)))


# ==== Exercises 12: transfer learning =======================================================

TARGET_CLASSES = ("dog", "frog", "horse", "ship", "truck")


def transfer_resnet18(trainable: str) -> nn.Module:
    """ResNet-18 with a new 5-class head; ``trainable`` is "head", "layer4" (layer4 and the head) or "all"."""
    with torch.device("meta"):
        model = models.resnet18()
        model.fc = nn.Linear(model.fc.in_features, len(TARGET_CLASSES))
    unfrozen = {"head": [model.fc], "layer4": [model.layer4, model.fc], "all": [model]}[trainable]
    model.requires_grad_(False)
    for part in unfrozen:
        part.requires_grad_(True)
    return model


def trainable_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def head_params() -> int:
    return trainable_params(transfer_resnet18("head"))


def linear_on_features(out_features: int, *, bias: bool = True) -> int:
    """A head on ResNet-18's pooled features."""
    return num_params(nn.Linear(transfer_resnet18("head").fc.in_features, out_features, bias=bias, device="meta"))


def layer4_params() -> int:
    return trainable_params(transfer_resnet18("layer4"))


# ---- 3. steps with few labels --------------------------------------------------------------

def toy_cifar(n_train: int = 60, n_test: int = 2) -> "CIFARSubset":
    """All ten CIFAR-10 classes, ``n_train`` (``n_test``) blank 32×32 images each, in class order."""
    from cnncourse.data import CLASSES, CIFARSubset

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.arange(len(CLASSES)).repeat_interleave(n)
        return torch.zeros(len(labels), 3, 32, 32, dtype=torch.uint8), labels

    return CIFARSubset(*split(n_train), *split(n_test), tuple(CLASSES), "toy")


def target_data(classes: Sequence[str] = TARGET_CLASSES, n_train_per_class: int = 50) -> "CIFARSubset":
    return toy_cifar().select(list(classes), n_train_per_class=n_train_per_class)


def counted_training_steps(data: "CIFARSubset", *, epochs: int = 10, batch_size: int = 64) -> int:
    """Optimizer steps of ``cnncourse.train.fit`` on ``data``: forward passes the model makes in train mode."""
    from cnncourse.train import fit

    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, len(data.classes)))
    steps = []
    model.register_forward_pre_hook(lambda m, inputs: steps.append(1) if m.training else None)
    fit(model, data, epochs=epochs, batch_size=batch_size, device="cpu", progress=False, verbose=False)
    return len(steps)


def training_steps() -> int:
    return counted_training_steps(target_data())


def steps_with_partial_batches(epochs: int = 10, batch_size: int = 64) -> int:
    """A DataLoader that keeps the last, partial batch (drop_last=False): its batches over all epochs."""
    data = target_data()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data.x_train), batch_size=batch_size)
    return epochs * len(loader)


# ---- 4. and 5. the weights' metadata and preprocessing -------------------------------------

def resnet50_weights(version: int):
    import torchvision.models as tv

    return getattr(tv.ResNet50_Weights, f"IMAGENET1K_V{version}")


def resnet50_metric(version: int, metric: str = "acc@1") -> float:
    return resnet50_weights(version).meta["_metrics"]["ImageNet-1K"][metric]


def error_reduction(metric: str = "acc@1", *, relative_to: int = 1) -> float:
    """(V2's accuracy − V1's) / (100 − the accuracy of version ``relative_to``), from torchvision's metadata."""
    v1, v2 = resnet50_metric(1, metric), resnet50_metric(2, metric)
    return (v2 - v1) / (100 - resnet50_metric(relative_to, metric))


PHOTO = (427, 640)  # height, width


def resized_photo(version: int = 2, size: Sequence[int] | None = None) -> torch.Size:
    """Shape of a 640×427 photo after the resize step of ResNet-50's V1 or V2 transforms (or to ``size``)."""
    import torchvision.transforms.functional as TF

    preprocess = resnet50_weights(version).transforms()
    return TF.resize(torch.zeros(3, *PHOTO), list(size or preprocess.resize_size),
                     interpolation=preprocess.interpolation, antialias=preprocess.antialias).shape


def preprocessed_photo(version: int = 2) -> torch.Size:
    """The whole of ``weights.transforms()``: resize, centre crop, normalise."""
    return resnet50_weights(version).transforms()(torch.zeros(3, *PHOTO)).shape


def resize_width() -> int:
    return resized_photo(2)[-1]


def resize_width_unrounded() -> float:
    """The photo's width scaled by the factor that took its height to the measured new height."""
    height = resized_photo(2)[-2]
    return height * PHOTO[1] / PHOTO[0]


# ==== Exercises 13: the architectures at a glance ===========================================

@functools.cache
def glance_model(name: str) -> nn.Module:
    """``vgg19_bn``, ``vgg16``, ``resnet50``, ``efficientnet_b0``, ``vit_b_16`` … on the meta device."""
    with torch.device("meta"):
        return models.get_model(name).eval()


def gmacs_rounded(name: str) -> float:
    """Counted MACs in billions, rounded to three decimals as torchvision's ``_ops`` are."""
    return round(model_macs(glance_model(name)) / 1e9, 3)


def params_ratio() -> float:
    return num_params(glance_model("vgg19_bn")) / num_params(glance_model("resnet50"))


def fc_params_of(name: str) -> int:
    return sum(num_params(m) for m in linears_of(glance_model(name)))


def fc_share(name: str = "vgg19_bn") -> float:
    return fc_params_of(name) / num_params(glance_model(name))


def resnet50_gflops() -> float:
    return round(model_flops(glance_model("resnet50")) / 1e9, 3)


def macs_ratio() -> float:
    return gmacs_rounded("resnet50") / gmacs_rounded("efficientnet_b0")


def parameter_bytes(name: str, dtype: torch.dtype) -> int:
    model = copy.deepcopy(glance_model(name)).to(dtype)
    return sum(p.numel() * p.element_size() for p in model.parameters())


def vit_fp16_mb() -> float:
    return parameter_bytes("vit_b_16", torch.float16) / 1e6


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
    "ex06_grouped_conv_params": grouped_3x3_params,
    "ex06_template_weights": template_weights,
    "ex06_wrn_extra_params": wrn_extra_params,
    "ex06_cardinality": cardinality,
    "ex06_expected_active_blocks": expected_active_blocks,
    "ex07_layer_input_channels": layer_input_channels,
    "ex07_final_channels": final_channels,
    "ex07_dense_layer_params": dense_layer_params,
    "ex07_transition_params": transition_params,
    "ex07_dense_layer_macs": dense_layer_macs,
    "ex08_se_unit_params": se_unit_params,
    "ex08_se_overhead": se_overhead,
    "ex08_se_extra_macs": se_extra_macs,
    "ex08_reduction_ratio": reduction_ratio,
    "ex08_se_pre_params": se_pre_params,
    "ex09_separable_macs": separable_macs,
    "ex09_separable_fraction": separable_fraction,
    "ex09_separable_params": separable_params,
    "ex09_width_resolution_macs": width_resolution_macs,
    "ex09_inverted_residual_params": inverted_residual_params,
    "ex09_residual_blocks": residual_blocks,
    "ex10_compound_base": compound_base,
    "ex10_compound_flops": compound_flops,
    "ex10_b4_blocks": b4_blocks,
    "ex10_se_params": mbconv_se_params,
    "ex10_b3_first_width": b3_first_width,
    "ex10_mbconv_macs": mbconv_macs,
    "ex11_stage_ratio_macs": stage_ratio_macs,
    "ex11_patchify_stem_macs": patchify_stem_macs,
    "ex11_block_params": convnext_block_params,
    "ex11_block_macs": convnext_block_macs,
    "ex11_vit_tokens": vit_sequence_length,
    "ex11_vit_block_params": encoder_block_params,
    "ex12_head_params": head_params,
    "ex12_layer4_params": layer4_params,
    "ex12_training_steps": training_steps,
    "ex12_error_reduction": error_reduction,
    "ex12_resize_width": resize_width,
    "ex13_params_ratio": params_ratio,
    "ex13_fc_share": fc_share,
    "ex13_resnet50_flops": resnet50_gflops,
    "ex13_macs_ratio": macs_ratio,
    "ex13_vit_fp16_mb": vit_fp16_mb,
}
