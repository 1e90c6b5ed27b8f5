#!/usr/bin/env python3
"""Model FLOP utilisation (MFU) of the course's CIFAR ResNet on this machine.

Two numbers, both measured here:

* the machine's dense fp32 matmul throughput: a square ``n × n`` matmul does
  ``2 n³`` floating-point operations; the best of several timed repeats is the
  practical peak (the "limit" the training is compared with);
* the training throughput of chapter 5's ResNet-8 under ``cnncourse.train.fit``:
  counted forward MACs per image × 2 FLOPs per MAC × 3 (the backward pass costs
  about twice the forward: gradients for the inputs and for the weights) ×
  measured images per second.

MFU = training FLOP/s ÷ matmul FLOP/s. A sweep over batch size, memory format
and thread count shows what limits it, and a profile splits one training step
by operator kind (convolutions vs the memory-bound BatchNorm/ReLU/add work).

Usage: python benchmarks/mfu.py [--quick]   (needs the CIFAR-10 subset: see README)
"""
from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

import cnncourse
from cnncourse import costs, data, train

from _resnet8 import resnet8  # benchmarks/ is on sys.path when a script here is run


def best_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Shortest of ``repeats`` timed calls of ``fn``, after one untimed warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def matmul_flops(n: int = 4096, repeats: int = 10) -> float:
    """Best FLOP/s of an fp32 ``n × n`` matmul over ``repeats`` timed runs (after one warm-up)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    return 2 * n**3 / best_seconds(lambda: torch.mm(a, b, out=out), repeats)


def conv1x1_flops(n: int = 4096, repeats: int = 10) -> float:
    """The same ``n × n × n`` product as :func:`matmul_flops`, computed by oneDNN as a 1×1 convolution
    (an ``n``-channel 64×64 map; 64² = 4096 pixels), the library that runs the model's convolutions."""
    side = int(round(n ** 0.5))
    x = torch.randn(1, n, side, side).contiguous(memory_format=torch.channels_last)
    w = torch.randn(n, n, 1, 1).contiguous(memory_format=torch.channels_last)
    return 2 * n * n * side * side / best_seconds(lambda: F.conv2d(x, w), repeats)


def training_step(model: nn.Module, batch_size: int, fmt: torch.memory_format) -> Callable[[], None]:
    """One bare SGD step (forward, backward, update) of ``model`` on a fixed random batch, as a closure."""
    torch.manual_seed(0)
    model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    x = torch.randn(batch_size, 3, 32, 32).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (batch_size,))

    def step() -> None:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def step_images_per_s(batch_size: int, *, channels_last: bool = True, steps: int = 20,
                      model: nn.Module | None = None) -> float:
    """Images/s of bare SGD steps on one fixed random batch (default model: ResNet-8), after 3 warm-up steps."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    step = training_step(model if model is not None else resnet8(), batch_size, fmt)
    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return batch_size * steps / (time.perf_counter() - t0)


def wide_net() -> nn.Module:
    """A wide 4-convolution CIFAR net (64-128-256-512 channels, BN, ReLU, max-pool), for comparison:
    its layers have the arithmetic intensity that ResNet-8's thin early layers lack."""
    def block(c_in: int, c_out: int, pool: bool) -> list[nn.Module]:
        layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        return layers + ([nn.MaxPool2d(2)] if pool else [])
    return nn.Sequential(*block(3, 64, False), *block(64, 128, True), *block(128, 256, True), *block(256, 512, True),
                         nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(512, 10))


def conv_table(model: nn.Module, batch_size: int, peak: float, repeats: int = 5) -> list[dict[str, object]]:
    """Forward and backward speed of each convolution of ``model`` alone, at its own input shape."""
    shapes: dict[nn.Conv2d, tuple[int, ...]] = {}

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        shapes[module] = tuple(inputs[0].shape)

    hooks = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, 32, 32))
    for h in hooks:
        h.remove()
    rows = []
    for i, (conv, shape) in enumerate(shapes.items()):
        x = torch.randn(batch_size, *shape[1:]).contiguous(memory_format=torch.channels_last)
        x.requires_grad_(i > 0)  # the stem's input (the image) needs no gradient
        layer = conv.train().to(memory_format=torch.channels_last)
        out = layer(x)
        grad = torch.randn_like(out)
        out.backward(grad)
        t_fwd = t_bwd = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = layer(x)
            t1 = time.perf_counter()
            out.backward(grad)
            t_fwd, t_bwd = min(t_fwd, t1 - t0), min(t_bwd, time.perf_counter() - t1)
        macs = batch_size * costs.conv_macs(conv.in_channels, conv.out_channels, conv.kernel_size,
                                           tuple(out.shape[2:]), groups=conv.groups)
        bwd_flops = (4 if x.requires_grad else 2) * macs  # weight gradient (+ input gradient)
        rows.append({"layer": f"{conv.in_channels}→{conv.out_channels} {conv.kernel_size[0]}×{conv.kernel_size[1]}"
                              f"/{conv.stride[0]} at {shape[2]}²",
                     "fwd % of peak": 2 * macs / t_fwd / peak, "bwd % of peak": bwd_flops / t_bwd / peak,
                     "share of MACs": macs})
    total = sum(r["share of MACs"] for r in rows)
    for r in rows:
        r["share of MACs"] = r["share of MACs"] / total
    return rows


def op_profile(batch_size: int, steps: int = 5) -> dict[str, float]:
    """Share of one training step's CPU time by operator kind (convolution, batch norm, other)."""
    from torch.profiler import ProfilerActivity, profile

    step = training_step(resnet8(), batch_size, torch.channels_last)
    step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    kinds = {"convolution (fwd + bwd)": ("conv", "mkldnn_convolution"),
             "batch norm (fwd + bwd)": ("batch_norm",),
             "ReLU, add, threshold_backward": ("relu", "threshold_backward", "add_", "aten::add"),
             "optimizer (SGD)": ("_foreach", "sgd")}
    shares = dict.fromkeys(kinds, 0.0)
    total = 0.0
    for ev in prof.key_averages():
        # Leaf-level time: self CPU time avoids counting a parent op and its children twice.
        t = ev.self_cpu_time_total
        total += t
        for kind, keys in kinds.items():
            if any(k in ev.key for k in keys):
                shares[kind] += t
                break
    shares = {k: v / total for k, v in shares.items()}
    shares["everything else"] = 1.0 - sum(shares.values())
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run, not for RESULTS.md)")
    args = parser.parse_args()
    threads = torch.get_num_threads()
    print(f"machine: {platform.processor() or platform.machine()}, {threads} threads, torch {torch.__version__}")

    peak = matmul_flops(4096, repeats=3 if args.quick else 10)
    print(f"dense fp32 matmul (4096²): {peak / 1e9:.1f} GFLOP/s")
    torch.set_num_threads(1)
    print(f"  (the same on 1 thread: {matmul_flops(4096, repeats=3) / 1e9:.1f} GFLOP/s)")
    torch.set_num_threads(threads)
    onednn = conv1x1_flops(4096, repeats=3 if args.quick else 10)
    print(f"the same product as a oneDNN 1×1 convolution: {onednn / 1e9:.1f} GFLOP/s")

    macs = costs.macs(resnet8(), (1, 3, 32, 32))
    flops_per_image = 2 * 3 * macs
    print(f"ResNet-8: {macs / 1e6:.2f} M forward MACs per image → {flops_per_image / 1e6:.1f} MFLOP per training image")

    print("\nbare training steps (one fixed batch), images/s and MFU:")
    print(f"{'batch':>6} {'format':>15} {'threads':>8} {'img/s':>8} {'GFLOP/s':>8} {'MFU':>6}")
    configs = [(bs, cl, threads) for bs in (64, 128, 256, 512) for cl in (True, False)]
    configs += [(256, True, 1)]
    if args.quick:
        configs = [(128, True, threads), (128, False, threads)]
    for bs, cl, th in configs:
        torch.set_num_threads(th)
        ips = step_images_per_s(bs, channels_last=cl, steps=5 if args.quick else 20)
        torch.set_num_threads(threads)
        fl = ips * flops_per_image
        print(f"{bs:>6} {'channels_last' if cl else 'contiguous':>15} {th:>8} {ips:>8,.0f} {fl / 1e9:>8.1f} {fl / peak:>6.1%}")

    print("\neach convolution of ResNet-8 alone (batch 256, channels_last), best of 5:")
    print(f"{'layer':<22} {'MACs':>6} {'fwd':>6} {'bwd':>6}")
    for r in conv_table(resnet8(), 256, peak, repeats=2 if args.quick else 5):
        print(f"{r['layer']:<22} {r['share of MACs']:>6.1%} {r['fwd % of peak']:>6.1%} {r['bwd % of peak']:>6.1%}")

    wide_macs = costs.macs(wide_net(), (1, 3, 32, 32))
    ips = step_images_per_s(256, model=wide_net(), steps=3 if args.quick else 8)
    print(f"\nfor comparison, a wide 4-conv net ({wide_macs / 1e6:.0f} M MACs, 64-512 channels), batch 256: "
          f"{ips:,.0f} img/s → MFU {6 * wide_macs * ips / peak:.1%}")

    print("\none step at batch 256, channels_last, CPU time by operator kind:")
    for kind, share in op_profile(256, steps=2 if args.quick else 5).items():
        print(f"  {kind:<32} {share:6.1%}")

    # The real trainer on real data: what a student's training cell achieves.
    d = data.cifar10_subset(1000 if args.quick else 2000, 100)
    cnncourse.seed_everything(0)
    model = resnet8()
    history = train.fit(model, d, epochs=2, device="cpu", progress=False, verbose=False)
    ips = history.images_per_s[-1]  # the second epoch: warm caches and allocator
    fl = ips * flops_per_image
    # The machine's speed drifts (a shared virtual machine): measure the peak again and judge by the higher one.
    peak_end = matmul_flops(4096, repeats=3 if args.quick else 10)
    best = max(peak, peak_end)
    print(f"\ndense fp32 matmul (4096²) again, at the end: {peak_end / 1e9:.1f} GFLOP/s "
          f"(start {peak / 1e9:.1f}); MFU below uses the higher, {best / 1e9:.1f}")
    print(f"cnncourse.train.fit (defaults, augmentation on, {len(d.x_train):,} images, epoch 2): "
          f"{ips:,.0f} img/s = {fl / 1e9:.1f} GFLOP/s → MFU {fl / best:.1%} "
          f"({fl / max(best, onednn):.1%} of the oneDNN 1×1-convolution figure)")


if __name__ == "__main__":
    main()
