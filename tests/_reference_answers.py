"""Reference answers to the exercises, and the typical wrong ones, measured on real PyTorch layers.

Nothing here uses :mod:`cnncourse.costs` or :mod:`cnncourse.checks`: every number
comes from building the layers the problem describes and measuring them (output
shapes, ``numel()``, ``torch.utils.flop_counter``, gradients), so the tests can
hold the checks' expected values and hint values against an independent count.

Shared by ``test_checks.py`` and ``test_exercises.py`` (``tests/`` is not a package).
"""
from __future__ import annotations

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


# ---- 1. output size ------------------------------------------------------------------------

def conv_output_height(kernel_size: int = 7, stride: int = 2, padding: int = 3, size: int = 224) -> int:
    conv = nn.Conv2d(1, 1, kernel_size, stride=stride, padding=padding)
    with torch.no_grad():
        return conv(torch.zeros(1, 1, size, size)).shape[-2]


def output_size() -> int:
    """Height of a 7×7, stride-2, padding-3 convolution's output on a 224×224 image."""
    return conv_output_height()


# ---- 2. grouped convolution parameters -------------------------------------------------------

def grouped_conv_params() -> int:
    return num_params(nn.Conv2d(64, 128, kernel_size=3, groups=4))


# ---- 3. convolution MACs ---------------------------------------------------------------------

def conv_macs_and_output(stride: int = 2) -> tuple[int, torch.Size]:
    conv = nn.Conv2d(64, 128, 3, stride=stride, padding=1)
    x = torch.zeros(1, 64, 56, 56)
    with torch.no_grad():
        out_shape = conv(x).shape
    return counted_macs(conv, x), out_shape


def conv_macs() -> int:
    return conv_macs_and_output()[0]


# ---- 4. receptive field ----------------------------------------------------------------------

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


# ---- 5. BatchNorm makes the preceding bias redundant ------------------------------------------

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


# ---- 6. LeNet-5 -------------------------------------------------------------------------------

def lenet_params() -> int:
    return num_params(models.lenet5())


def lenet_bias_params() -> tuple[int, int]:
    """(all conv and linear biases, the output layer's biases) of ``lenet5()``."""
    model = models.lenet5()
    all_biases = sum(m.bias.numel() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    output = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    return all_biases, output.bias.numel()


# The check function of each exercise → its reference answer.
REFERENCE: dict[str, Callable[[], int]] = {
    "ex01_output_size": output_size,
    "ex01_grouped_conv_params": grouped_conv_params,
    "ex01_conv_macs": conv_macs,
    "ex01_receptive_field": receptive_field,
    "ex01_bn_redundant_params": bn_redundant_params,
    "ex01_lenet_params": lenet_params,
}
