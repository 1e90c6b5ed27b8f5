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
}
