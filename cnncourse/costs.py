"""The course's cost model: closed-form formulas and counters that check them.

Formulas (one convolution, fully connected or norm layer at a time):

* output size   ``⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1``
* conv params   ``k_h·k_w·(C_in/g)·C_out (+ C_out bias)``
* conv MACs     ``k_h·k_w·(C_in/g)·C_out·H_out·W_out`` (one multiply-accumulate per weight per output position)
* receptive field of a stack  ``r = 1 + Σ_l (k_l − 1)·d_l·Π_{j<l} s_j``

Counters (whole models), all for the given batch and on the device you pass:

* :func:`count` — parameters (``numel``), MACs from ``torch.utils.flop_counter``
  (its FLOPs are 2 per MAC, convolutions and matrix products only; biases,
  norms, activations and pooling are not counted, the convention of most papers
  and of torchvision's ``weights.meta["_ops"]``), torchinfo's "mult-adds"
  (which adds one per bias element and a few for norms), and activation memory.
* :func:`summary` — torchinfo's summary with its unit labels fixed.
* :func:`layer_table` — one row per layer: output shape, params, MACs, memory.
* :func:`saved_activation_bytes` — bytes autograd actually keeps for the backward pass.
"""
from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from math import prod

import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

Size2 = int | tuple[int, int]


def _pair(v: Size2) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, *,
                ceil_mode: bool = False) -> int:
    """Spatial output size of a convolution or pooling window along one axis.

    ``ceil_mode=True`` is the pooling option of that name: the division rounds up, so a last,
    partial window counts too, as long as it starts inside the input (or its left padding).
    """
    for name, value, least in (("kernel_size", kernel_size, 1), ("stride", stride, 1), ("dilation", dilation, 1),
                               ("padding", padding, 0)):
        if value < least:
            raise ValueError(f"{name} must be at least {least}; got {name}={value}"
                             + (" (a window moves by at least one pixel per step)" if name == "stride" else ""))
    span = size + 2 * padding - dilation * (kernel_size - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # PyTorch drops a window that would start in the right padding
    if out < 1:
        raise ValueError(
            f"a {kernel_size}×{kernel_size} window (stride {stride}, padding {padding}, dilation "
            f"{dilation}) does not fit in an input of size {size}: the output would be {out}"
        )
    return out


def conv_params(in_channels: int, out_channels: int, kernel_size: Size2, *, groups: int = 1, bias: bool = True) -> int:
    """Learnable parameters of a 2-D convolution: ``k·k·(C_in/groups)·C_out`` weights plus ``C_out`` biases."""
    if groups < 1:
        raise ValueError(f"groups must be at least 1; got groups={groups} (groups=1 is an ordinary convolution, "
                         f"groups=in_channels a depthwise one)")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}")
    kh, kw = _pair(kernel_size)
    return kh * kw * (in_channels // groups) * out_channels + (out_channels if bias else 0)


def conv_macs(in_channels: int, out_channels: int, kernel_size: Size2, output_hw: Size2, *, groups: int = 1) -> int:
    """Multiply-accumulates of a 2-D convolution for one image: weights × output positions."""
    h, w = _pair(output_hw)
    return conv_params(in_channels, out_channels, kernel_size, groups=groups, bias=False) * h * w


def linear_params(in_features: int, out_features: int, *, bias: bool = True) -> int:
    """Learnable parameters of a fully connected layer."""
    return in_features * out_features + (out_features if bias else 0)


def linear_macs(in_features: int, out_features: int) -> int:
    """Multiply-accumulates of a fully connected layer for one input vector."""
    return in_features * out_features


def batchnorm_params(channels: int) -> int:
    """Learnable parameters of BatchNorm: a scale (gamma) and a shift (beta) per channel.

    BatchNorm also keeps a running mean and variance per channel; they are buffers, not parameters.
    """
    return 2 * channels


def se_params(channels: int, ratio: int) -> int:
    """Learnable parameters of a squeeze-and-excitation unit on ``channels`` with reduction ``ratio``.

    Two fully connected layers C → C/r → C: 2·C·(C/r) weights (the SE paper's 2C²/r) plus
    C/r + C biases (Hu et al. 2018, https://arxiv.org/abs/1709.01507, §4).
    """
    if ratio <= 0:
        raise ValueError(f"ratio must be positive; got ratio={ratio} (the squeeze layer has channels // ratio "
                         f"units; the SE paper uses ratio=16)")
    squeeze = max(1, channels // ratio)
    return 2 * channels * squeeze + squeeze + channels


def activation_bytes(shape: Sequence[int], bytes_per_element: int = 4) -> int:
    """Memory of one activation tensor (float32 by default)."""
    return prod(shape) * bytes_per_element


def receptive_field(layers: Sequence[tuple[int, int] | tuple[int, int, int]]) -> int:
    """Receptive field (in input pixels, along one axis) of a stack of ``(kernel, stride[, dilation])`` layers.

    Each layer widens the field by ``(k − 1)·d`` steps of the current "jump",
    the product of the strides below it.
    """
    field, jump = 1, 1
    for layer in layers:
        k, s, d = (*layer, 1) if len(layer) == 2 else layer
        field += (k - 1) * d * jump
        jump *= s
    return field


@dataclass(frozen=True)
class Counts:
    """What :func:`count` measured for one forward pass of ``input_size``."""

    input_size: tuple[int, ...]
    params: int
    trainable_params: int
    macs: int  # flop_counter FLOPs / 2: convolutions and matrix products
    torchinfo_mult_adds: int  # torchinfo's total, which also counts bias additions and norms
    activation_bytes: int  # every leaf layer's output except in-place layers and views

    def __str__(self) -> str:
        return (
            f"params {self.params:,}  MACs {self.macs:,}  torchinfo mult-adds {self.torchinfo_mult_adds:,}  "
            f"activations {self.activation_bytes / 1e6:.2f} MB  (input {self.input_size})"
        )


def _model_device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def summary(model: nn.Module, input_size: Sequence[int], *, device: torch.device | str | None = None,
            depth: int = 3, **kwargs: object) -> "Summary":
    """torchinfo's summary, run on the model's own device (torchinfo would move it to CUDA otherwise).

    Displays like torchinfo's, with ``Total mult-adds (M)`` instead of the
    ``(Units.MEGABYTES)`` label torchinfo 1.8 prints on Python ≥ 3.11. When the model itself
    fails on the input (a wrong input size, say), its own exception is raised, not torchinfo's
    "Failed to run torchinfo".
    """
    import torchinfo

    kwargs.setdefault("col_names", ("output_size", "num_params", "mult_adds"))
    kwargs.setdefault("row_settings", ("var_names",))
    try:
        stats = torchinfo.summary(
            model, input_size=tuple(input_size), device=device or _model_device(model),
            depth=depth, verbose=0, **kwargs,
        )
    except RuntimeError as error:
        if error.__cause__ is None or not str(error).startswith("Failed to run torchinfo"):
            raise
        raise error.__cause__ from None  # the model's own error, with its own traceback
    return Summary(stats)


class Summary:
    """A torchinfo ``ModelStatistics`` whose text uses plain unit labels; other attributes pass through."""

    def __init__(self, stats: object) -> None:
        self.stats = stats

    def __getattr__(self, name: str) -> object:
        return getattr(self.stats, name)

    def __repr__(self) -> str:
        from torchinfo.enums import Units

        text = repr(self.stats)
        for unit in Units:
            text = text.replace(f"({unit})", f"({unit.value})").replace(f"(Units.{unit.name})", f"({unit.value})")
        return text

    __str__ = __repr__


def _no_new_memory(module: nn.Module) -> bool:
    """Layers whose output reuses their input's memory: in-place activations and reshapes (views)."""
    return bool(getattr(module, "inplace", False)) or isinstance(module, (nn.Flatten, nn.Unflatten, nn.Identity))


def _leaf_output_bytes(stats: object) -> int:
    total = 0
    for info in stats.summary_list:  # type: ignore[attr-defined]
        if info.is_leaf_layer and not _no_new_memory(info.module):
            total += info.output_bytes
    return total


@contextmanager
def _countable_kernels(model: nn.Module) -> Iterator[None]:
    """Route attention and recurrent layers through kernels whose matrix products flop_counter sees.

    The fused kernels (the eval-mode fast path of ``nn.MultiheadAttention`` and
    ``nn.TransformerEncoderLayer``, fused scaled-dot-product attention, oneDNN's and cuDNN's
    recurrent layers) are single operations ``torch.utils.flop_counter`` has no formula for: it
    would count them as 0. The plain kernels compute the same result with ``mm``/``bmm``.
    """
    rnn = any(isinstance(m, (nn.RNNBase, nn.RNNCellBase)) for m in model.modules())
    saved = (torch.backends.mha.get_fastpath_enabled(), torch.backends.mkldnn.enabled, torch.backends.cudnn.enabled)
    torch.backends.mha.set_fastpath_enabled(False)
    if rnn:  # only then: convolutions run faster with oneDNN and cuDNN, and count the same
        torch.backends.mkldnn.enabled = torch.backends.cudnn.enabled = False
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(saved[0])
        torch.backends.mkldnn.enabled, torch.backends.cudnn.enabled = saved[1], saved[2]


@dataclass
class _Call:
    """One call of one module in the counted forward pass."""

    module: nn.Module
    start: int  # flop_counter's running total when the call began
    flops: int = 0  # counted during the call, submodules included
    child_flops: int = 0  # the part counted inside calls of its submodules

    @property
    def macs(self) -> int:
        """MACs of the module's own operations in this call, its submodules' excluded."""
        return (self.flops - self.child_flops) // 2


def _warn_uncounted(model: nn.Module, calls: list[_Call]) -> None:
    """Warn about layers with weight matrices that ran but got no MACs: flop_counter did not know their operation."""
    names = {id(m): n for n, m in model.named_modules()}
    missed = dict.fromkeys(
        f"{names.get(id(call.module)) or '(the model itself)'!r} ({type(call.module).__name__})"
        for call in calls
        if call.flops == 0 and not isinstance(call.module, (nn.Embedding, nn.EmbeddingBag))  # lookups: 0 MACs
        and any(p.dim() >= 2 and "weight" in n for n, p in call.module.named_parameters(recurse=False))
    )
    if missed:
        warnings.warn(
            f"no MACs were counted for {', '.join(missed)}: torch.utils.flop_counter has no formula for the "
            "operation it runs, so the MAC total leaves it out and is too small. Count that layer by hand "
            "and add it, or compute it with nn.Linear, nn.Conv2d or torch.matmul, which are counted.",
            stacklevel=3,
        )


def _counted_forward(model: nn.Module, x: torch.Tensor) -> tuple[int, list[_Call]]:
    """MACs of ``model(x)`` (flop_counter FLOPs / 2), in total and per module call, in call order.

    The model runs in eval mode under ``torch.no_grad`` with :func:`_countable_kernels`
    and is returned to its previous mode.
    """
    calls: list[_Call] = []
    running: list[_Call] = []
    counter = FlopCounterMode(display=False)

    def begin(module: nn.Module, args: object) -> None:
        running.append(_Call(module, counter.get_total_flops()))
        calls.append(running[-1])

    def end(module: nn.Module, args: object, output: object) -> None:
        call = running.pop()
        call.flops = counter.get_total_flops() - call.start
        if running:
            running[-1].child_flops += call.flops

    handles = [h for m in model.modules() for h in (m.register_forward_pre_hook(begin), m.register_forward_hook(end))]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), _countable_kernels(model), counter:
            model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    _warn_uncounted(model, calls)
    return counter.get_total_flops() // 2, calls


def _measure(model: nn.Module, input_size: Sequence[int], device: torch.device | str | None):
    """torchinfo statistics and the counted forward pass (:func:`_counted_forward`) on ``device``."""
    device = torch.device(device) if device is not None else _model_device(model)
    with _countable_kernels(model):  # the same modules run as in the counted pass
        stats = summary(model, input_size, device=device).stats
    total, calls = _counted_forward(model, torch.zeros(tuple(input_size), device=device))
    return stats, total, calls


def count(model: nn.Module, input_size: Sequence[int] = (1, 3, 224, 224), *,
          device: torch.device | str | None = None) -> Counts:
    """Count parameters, MACs, torchinfo mult-adds and activation memory of one forward pass.

    The model runs in eval mode under ``torch.no_grad`` (BatchNorm statistics are untouched)
    and is returned to its previous mode. Attention and recurrent layers are counted too (their
    fused kernels are swapped for plain ones while counting); a layer with weight matrices whose
    operation flop_counter cannot count raises a warning that names it.
    """
    stats, total, _ = _measure(model, input_size, device)
    return Counts(
        input_size=tuple(input_size),
        params=sum(p.numel() for p in model.parameters()),
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        macs=total,
        torchinfo_mult_adds=int(stats.total_mult_adds),
        activation_bytes=_leaf_output_bytes(stats),
    )


def macs(model: nn.Module, input_size: Sequence[int] = (1, 3, 224, 224)) -> int:
    """Multiply-accumulates of one forward pass (flop_counter FLOPs / 2), equal to ``count(...).macs``.

    Counted on a copy of the model on PyTorch's "meta" device, where tensors have shapes but no
    data: nothing is computed, so even EfficientNet-B7 at 600×600 (38 GMACs) counts in a moment.
    """
    meta = copy.deepcopy(model).to("meta")
    return _counted_forward(meta, torch.zeros(tuple(input_size), device="meta"))[0]


def _row_params(module: nn.Module, called: set[int]) -> int:
    """Parameters of ``module`` itself and of its submodules that never ran (MultiheadAttention's out_proj)."""
    own = sum(p.numel() for p in module.parameters(recurse=False))
    return own + sum(p.numel() for c in module.children() if id(c) not in called for p in c.parameters())


def layer_table(model: nn.Module, input_size: Sequence[int] = (1, 3, 224, 224), *,
                device: torch.device | str | None = None):  # -> pandas.DataFrame
    """One row per leaf layer call: name, type, output shape, params, MACs (flop_counter), output KB.

    A module that does matrix products itself (``nn.MultiheadAttention``, a model's own
    ``forward``) gets a row too, with the MACs of its own operations. A module called twice gets
    a row per call, with that call's MACs; its parameters are on the first. So the MAC column sums
    to ``count(...).macs``.
    """
    import pandas as pd

    stats, _, calls = _measure(model, input_size, device)
    names = {id(m): n for n, m in model.named_modules()}
    calls_of: dict[int, list[_Call]] = {}
    for call in calls:
        calls_of.setdefault(id(call.module), []).append(call)
    called = set(calls_of)
    seen: dict[int, int] = {}  # calls of each module met so far in torchinfo's list
    rows = []
    for info in stats.summary_list:
        key = id(info.module)
        if key not in names:
            continue
        nth = seen[key] = seen.get(key, -1) + 1
        mine = calls_of.get(key, [])
        call_macs = mine[nth].macs if nth < len(mine) else 0
        if not info.is_leaf_layer and call_macs == 0:
            continue
        rows.append({
            "layer": names[key],
            "type": type(info.module).__name__,
            "output shape": tuple(info.output_size),
            "params": _row_params(info.module, called) if nth == 0 else 0,
            "MACs": call_macs,
            "output KB": info.output_bytes / 1e3,
        })
    return pd.DataFrame(rows).set_index("layer")


def saved_activation_bytes(model: nn.Module, x: torch.Tensor) -> int:
    """Bytes of the tensors autograd saves for the backward pass of ``model(x)``, measured.

    Each storage is counted once, however many operations save it, so in-place
    activations and views are not double-counted; parameters are excluded.
    """
    param_ptrs = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in param_ptrs:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(x)
    del out
    return sum(seen.values())
