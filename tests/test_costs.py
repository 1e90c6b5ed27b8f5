"""Every formula in cnncourse.costs against a count made on real layers."""
from __future__ import annotations

import itertools
import re
import warnings

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnncourse import costs, models


def flop_counted_macs(module: nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(x)
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("n,k,s,p,d", [
    (n, k, s, p, d) for n, k, s, p, d in itertools.product([7, 32, 224], [1, 3, 5, 7, 11], [1, 2, 4], [0, 1, 3], [1, 2])
    if n + 2 * p - d * (k - 1) - 1 >= 0
])
def test_output_size_matches_conv2d(n: int, k: int, s: int, p: int, d: int) -> None:
    out = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)(torch.zeros(1, 1, n, n))
    assert costs.output_size(n, k, s, p, d) == out.shape[-1]


def test_output_size_matches_pooling() -> None:
    for n, k, s in [(224, 3, 2), (55, 3, 2), (28, 2, 2), (13, 3, 2)]:
        assert costs.output_size(n, k, s) == nn.MaxPool2d(k, s)(torch.zeros(1, 1, n, n)).shape[-1]


@pytest.mark.parametrize("n, k, s, p", [(110, 3, 2, 0), (112, 3, 2, 0), (14, 2, 2, 0), (13, 3, 2, 1),
                                         (6, 3, 2, 1), (7, 2, 2, 1), (5, 3, 3, 1), (26, 3, 2, 0)])
def test_output_size_ceil_mode_matches_pooling(n: int, k: int, s: int, p: int) -> None:
    pool = nn.MaxPool2d(k, s, padding=p, ceil_mode=True)
    assert costs.output_size(n, k, s, p, ceil_mode=True) == pool(torch.zeros(1, 1, n, n)).shape[-1]


def test_output_size_window_too_large() -> None:
    msg = "a 5×5 window (stride 1, padding 0, dilation 1) does not fit in an input of size 3: the output would be -1"
    with pytest.raises(ValueError, match=re.escape(msg)):
        costs.output_size(3, 5)


@pytest.mark.parametrize("cin,cout,k,g,bias", [(3, 64, 11, 1, True), (64, 128, 3, 4, True), (32, 32, 3, 32, False),
                                               (16, 24, 1, 1, False), (6, 16, 5, 2, True)])
def test_conv_params_and_macs(cin: int, cout: int, k: int, g: int, bias: bool) -> None:
    conv = nn.Conv2d(cin, cout, k, stride=2, padding=k // 2, groups=g, bias=bias)
    x = torch.zeros(1, cin, 20, 20)
    out = conv(x)
    assert costs.conv_params(cin, cout, k, groups=g, bias=bias) == sum(p.numel() for p in conv.parameters())
    assert costs.conv_macs(cin, cout, k, tuple(out.shape[-2:]), groups=g) == flop_counted_macs(conv, x)


def test_conv_params_rectangular_kernel() -> None:
    conv = nn.Conv2d(8, 4, (1, 7))
    assert costs.conv_params(8, 4, (1, 7)) == sum(p.numel() for p in conv.parameters())


def test_linear_and_batchnorm() -> None:
    fc = nn.Linear(9216, 4096)
    assert costs.linear_params(9216, 4096) == sum(p.numel() for p in fc.parameters())
    assert costs.linear_params(10, 5, bias=False) == 50
    assert costs.linear_macs(9216, 4096) == flop_counted_macs(fc, torch.zeros(1, 9216))
    bn = nn.BatchNorm2d(64)
    assert costs.batchnorm_params(64) == sum(p.numel() for p in bn.parameters())
    assert sum(b.numel() for b in bn.buffers()) == 2 * 64 + 1  # running mean, var, and the batch counter


def test_activation_bytes() -> None:
    x = torch.zeros(1, 96, 55, 55)
    assert costs.activation_bytes(x.shape) == x.numel() * x.element_size()
    assert costs.activation_bytes(x.shape, 2) == x.half().numel() * 2


def empirical_receptive_field(layers: list[tuple[int, int]], size: int = 224) -> int:
    """Back-propagate from the centre output pixel of a real stack with all-ones weights; measure the support."""
    mods: list[nn.Module] = []
    for k, s in layers:
        conv = nn.Conv2d(1, 1, k, stride=s, bias=False)
        nn.init.ones_(conv.weight)
        mods.append(conv)
    stack = nn.Sequential(*mods)
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    out = stack(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    cols = (x.grad[0, 0].abs().sum(0) > 0).nonzero()
    return int(cols.max() - cols.min() + 1)


@pytest.mark.parametrize("layers", [
    [(3, 1)] * 1, [(3, 1)] * 2, [(3, 1)] * 5, [(7, 2), (3, 2), (3, 1)], [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2), (3, 1)],
    [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1)],
])
def test_receptive_field_matches_gradient_support(layers: list[tuple[int, int]]) -> None:
    assert costs.receptive_field(layers) == empirical_receptive_field(layers)


def test_receptive_field_dilation() -> None:
    assert costs.receptive_field([(3, 1, 2), (3, 1, 4)]) == 1 + 2 * 2 + 2 * 4


def test_count_lenet_and_torchinfo_convention() -> None:
    model = models.lenet5()
    c = costs.count(model, (1, 1, 32, 32))
    assert (c.params, c.trainable_params, c.macs) == (61_706, 61_706, 416_520)
    # torchinfo adds one "mult-add" per bias element of every output: 6·28² + 16·10² + 120 + 84 + 10
    assert c.torchinfo_mult_adds - c.macs == 6 * 28 * 28 + 16 * 10 * 10 + 120 + 84 + 10
    # outputs of every layer (conv, tanh, pool, linear); Flatten is a view and adds nothing
    floats = 2 * 6 * 28 * 28 + 6 * 14 * 14 + 2 * 16 * 10 * 10 + 16 * 5 * 5 + 2 * 120 + 2 * 84 + 10
    assert c.activation_bytes == 4 * floats
    assert "params 61,706" in str(c)


def test_count_skips_in_place_activations_and_keeps_mode() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
    model.train()
    stats_before = model[1].running_mean.clone()
    c = costs.count(model, (2, 3, 16, 16))
    assert c.activation_bytes == 2 * (2 * 8 * 16 * 16 * 4)  # conv and BN outputs; ReLU works in place
    assert model.training and torch.equal(model[1].running_mean, stats_before)


def test_summary_fixes_unit_label_and_stays_on_cpu() -> None:
    text = repr(costs.summary(models.lenet5(), (1, 1, 32, 32)))
    assert "Total mult-adds (M): 0.42" in text and "Units." not in text
    assert "Total params: 61,706" in text


def test_layer_table_sums_to_count() -> None:
    model = models.lenet5(in_channels=3, modern=True)
    table = costs.layer_table(model, (1, 3, 32, 32))
    c = costs.count(model, (1, 3, 32, 32))
    assert table["params"].sum() == c.params
    assert table["MACs"].sum() == c.macs
    assert table.loc["features.0", "output shape"] == (1, 6, 28, 28)
    assert table.loc["features.0", "MACs"] == costs.conv_macs(3, 6, 5, 28)


def test_saved_activation_bytes_measures_autograd() -> None:
    # Linear saves its input (x); ReLU saves its output, which the second Linear saves again: one storage.
    model = nn.Sequential(nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))
    x = torch.randn(8, 100)
    assert costs.saved_activation_bytes(model, x) == 4 * (8 * 100 + 8 * 50)


@pytest.mark.parametrize("name, size", [("lenet5", 32), ("resnet18", 64), ("googlenet", 96), ("densenet121", 64)])
def test_macs_on_the_meta_device_equal_the_counted_forward_pass(name: str, size: int) -> None:
    channels = 1 if name == "lenet5" else 3
    model = models.get_model(name)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    shape = (1, channels, size, size)
    assert costs.macs(model, shape) == costs.count(model, shape).macs
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the model is untouched
    assert next(model.parameters()).device.type == "cpu"


# ---- attention, recurrent layers and other module types: count, macs and layer_table agree ------

class _Mixed(nn.Module):
    """Every module type a student is likely to count, and one layer called twice."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.conv1d = nn.Conv1d(8, 16, 3, padding=1)
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)
        self.lstm = nn.LSTM(16, 12, batch_first=True)
        self.gru = nn.GRU(12, 12, batch_first=True)
        self.embed = nn.Embedding(10, 12)
        self.shared = nn.Linear(12, 12)
        self.head = nn.Linear(12, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.up(self.conv(x))                       # (B, 8, 16, 16)
        t = self.conv1d(x.flatten(2)).transpose(1, 2)   # (B, 256, 16): 256 tokens of 16 features
        t, _ = self.attn(t, t, t, need_weights=False)
        t, _ = self.lstm(t)
        t, _ = self.gru(t)
        t = t + self.embed(torch.zeros(t.shape[:2], dtype=torch.long, device=t.device))
        t = self.shared(self.shared(t))
        return self.head(t.mean(1))


def test_count_macs_and_layer_table_agree_on_every_module_type() -> None:
    model, shape = _Mixed(), (2, 3, 8, 8)
    b, n = 2, 16 * 16  # batch, tokens
    by_hand = {
        "conv": b * costs.conv_macs(3, 8, 3, 8),
        "up": b * 8 * 8 * 2 * 2 * 8 * 8,  # every input pixel meets 2·2·8 weights per input channel
        "conv1d": b * n * 3 * 8 * 16,
        "attn": b * n * 16 * 3 * 16 + b * n * 16 * 16 + 2 * b * 2 * n * n * 8,  # q, k, v; output; QKᵀ and AV
        "lstm": b * n * 4 * 12 * (16 + 12),
        "gru": b * n * 3 * 12 * (12 + 12),
        "embed": 0,  # a table lookup
        "shared": b * n * 12 * 12,  # per call
        "head": b * 12 * 5,
    }
    total = sum(by_hand.values()) + by_hand["shared"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left uncounted
        assert costs.count(model, shape).macs == costs.macs(model, shape) == total
        table = costs.layer_table(model, shape)
    assert table["MACs"].sum() == total and table["params"].sum() == costs.count(model, shape).params
    assert table.loc["shared", "MACs"].tolist() == [by_hand["shared"]] * 2  # one row per call
    assert {name: int(table.loc[name, "MACs"]) for name in by_hand if name != "shared"} == {
        name: v for name, v in by_hand.items() if name != "shared"}
    assert table.loc["attn", "params"] == sum(p.numel() for p in model.attn.parameters())
    # the fused kernels come back once counting is done
    assert torch.backends.mha.get_fastpath_enabled() and torch.backends.mkldnn.enabled


def test_count_vision_transformer_attention() -> None:
    model = models.VisionTransformer(image_size=32, patch_size=4, depth=2, dim=32, num_heads=2, mlp_dim=64,
                                     num_classes=10)
    n, d = 65, 32  # 64 patches and the class token
    block = n * d * 3 * d + n * d * d + 2 * n * n * d + 2 * n * d * 64  # q, k, v; output; QKᵀ and AV; MLP
    by_hand = costs.conv_macs(3, 32, 4, 8) + 2 * block + 32 * 10
    assert by_hand == 1_704_384
    assert costs.count(model, (1, 3, 32, 32)).macs == costs.macs(model, (1, 3, 32, 32)) == by_hand
    assert costs.layer_table(model, (1, 3, 32, 32))["MACs"].sum() == by_hand


def test_uncountable_layer_warns() -> None:
    class Pair(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bilinear = nn.Bilinear(8, 8, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.bilinear(x, x)

    msg = ("no MACs were counted for 'bilinear' (Bilinear): torch.utils.flop_counter has no formula for the "
           "operation it runs, so the MAC total leaves it out and is too small. Count that layer by hand and add "
           "it, or compute it with nn.Linear, nn.Conv2d or torch.matmul, which are counted.")
    with pytest.warns(UserWarning, match=re.escape(msg)):
        costs.count(Pair(), (2, 8))
    with pytest.warns(UserWarning, match=re.escape(msg)):
        costs.macs(Pair(), (2, 8))


# ---- errors ------------------------------------------------------------------------------------

def test_count_raises_the_models_own_error() -> None:
    msg = ("LeNet-5 needs 32×32 inputs; got 28×28. Resize or pad the images to 32×32 "
           "(the paper pads 28×28 MNIST digits to 32×32).")
    for measure in (costs.count, costs.layer_table, costs.summary):
        with pytest.raises(ValueError, match=re.escape(msg)):
            measure(models.lenet5(), (1, 1, 28, 28))


@pytest.mark.parametrize("call, msg", [
    (lambda: costs.output_size(32, 3, stride=0),
     "stride must be at least 1; got stride=0 (a window moves by at least one pixel per step)"),
    (lambda: costs.output_size(32, 0), "kernel_size must be at least 1; got kernel_size=0"),
    (lambda: costs.output_size(32, 3, dilation=0), "dilation must be at least 1; got dilation=0"),
    (lambda: costs.output_size(32, 3, padding=-1), "padding must be at least 0; got padding=-1"),
    (lambda: costs.conv_params(32, 64, 3, groups=0),
     "groups must be at least 1; got groups=0 (groups=1 is an ordinary convolution, groups=in_channels a "
     "depthwise one)"),
    (lambda: costs.conv_macs(32, 64, 3, 16, groups=0), "groups must be at least 1; got groups=0"),
    (lambda: costs.se_params(256, 0),
     "ratio must be positive; got ratio=0 (the squeeze layer has channels // ratio units; the SE paper uses "
     "ratio=16)"),
])
def test_formulas_reject_zero_steps_and_groups(call, msg: str) -> None:
    with pytest.raises(ValueError, match=re.escape(msg)):
        call()
