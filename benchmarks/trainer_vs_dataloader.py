#!/usr/bin/env python3
"""The course trainer against the loop most tutorials teach, same model, data, recipe and seed.

(a) ``cnncourse.train.fit``: the images stay in memory as one ``uint8`` tensor;
    each batch is gathered, normalised, pad-cropped and flipped with a few
    batched tensor operations; the model runs in ``channels_last``.
(b) the conventional loop: a ``Dataset`` that returns one PIL image at a time
    (as ``torchvision.datasets.CIFAR10`` does), torchvision transforms per sample
    (RandomCrop with 4-pixel reflect padding, RandomHorizontalFlip, ToTensor,
    Normalize), a ``DataLoader`` with worker processes, the model in the default
    memory format.

Both use the same initial weights, SGD with Nesterov momentum, weight decay,
label smoothing, per-step warm-up/decay schedule (``train.warmup_linear_decay``),
batch size and number of steps, and both are scored by ``train.evaluate`` on the
same test images. Training time excludes evaluation in both.

Usage: python benchmarks/trainer_vs_dataloader.py [--epochs N] [--workers N] [--quick]
"""
from __future__ import annotations

import argparse
import functools
import time

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

import cnncourse
from cnncourse import data, train

from _resnet8 import DESCRIPTION as MODEL, resnet8  # benchmarks/ is on sys.path when a script here is run


class PILImages(Dataset):
    """CIFAR-style dataset: HWC ``uint8`` arrays in memory, one PIL image per ``__getitem__``."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: transforms.Compose) -> None:
        self.images = images.permute(0, 2, 3, 1).numpy()  # (N, H, W, C), as torchvision's CIFAR10 stores them
        self.labels = labels.tolist()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(Image.fromarray(self.images[i])), self.labels[i]


def tutorial_transforms() -> transforms.Compose:
    """The per-sample CIFAR augmentation of most tutorials: the same crop and flip as ``fit``, on PIL images."""
    return transforms.Compose([
        transforms.RandomCrop(32, padding=4, padding_mode="reflect"),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(data.MEAN, data.STD),
    ])


def conventional_fit(model: nn.Module, d: data.CIFARSubset, *, epochs: int, batch_size: int, lr: float,
                     workers: int, seed: int, device: torch.device) -> tuple[float, float]:
    """Train like a typical tutorial; returns (images/s over all epochs, seconds)."""
    tf = tutorial_transforms()
    loader = DataLoader(PILImages(d.x_train, d.y_train, tf), batch_size=batch_size, shuffle=True, drop_last=True,
                        num_workers=workers, persistent_workers=workers > 0, pin_memory=device.type == "cuda",
                        generator=torch.Generator().manual_seed(seed))
    steps_per_epoch = len(loader)
    total = epochs * steps_per_epoch
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, functools.partial(
        train.warmup_linear_decay, warmup_steps=max(1, round(0.2 * total)), total_steps=total))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    seconds = 0.0
    for _ in range(epochs):
        model.train()
        t0 = time.perf_counter()  # the first epoch includes the workers' start-up, as a student's cell does
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = criterion(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds += time.perf_counter() - t0
    return total * batch_size / seconds, seconds


def data_only(d: data.CIFARSubset, *, batch_size: int, workers: int, batches: int = 60) -> tuple[float, float]:
    """Images/s of the two input pipelines alone, no model: (fit's batched gather + augment, the DataLoader)."""
    tf = tutorial_transforms()
    generator = torch.Generator().manual_seed(0)
    order = torch.randperm(len(d.x_train), generator=generator)
    t0 = time.perf_counter()
    for step in range(batches):
        idx = order[step * batch_size:(step + 1) * batch_size]
        train.random_crop_flip(data.normalize(d.x_train[idx]), generator).contiguous(memory_format=torch.channels_last)
    ours = batches * batch_size / (time.perf_counter() - t0)
    loader = DataLoader(PILImages(d.x_train, d.y_train, tf), batch_size=batch_size, shuffle=True, drop_last=True,
                        num_workers=workers)
    t0 = time.perf_counter()
    for i, _ in enumerate(loader):
        if i + 1 == batches:
            break
    theirs = batches * batch_size / (time.perf_counter() - t0)
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the conventional loop")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 500 images per class (a smoke run)")
    parser.add_argument("--device", default="cpu", help="cpu (the figures in RESULTS.md), cuda, or auto")
    args = parser.parse_args()
    device = cnncourse.device() if args.device == "auto" else torch.device(args.device)
    n_train = 500 if args.quick else 2000
    epochs = 1 if args.quick else args.epochs
    d = data.cifar10_subset(n_train, 500)
    print(f"model: {MODEL}; data: {d}; {epochs} epochs, batch {args.batch_size}, peak lr {args.lr}, "
          f"SGD + Nesterov, label smoothing 0.1, augmentation pad-crop + flip; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}")

    cnncourse.seed_everything(0)
    init = resnet8().state_dict()

    ours = resnet8()
    ours.load_state_dict(init)
    history = train.fit(ours, d, epochs=epochs, batch_size=args.batch_size, lr=args.lr, weight_decay=5e-4,
                        momentum=0.9, label_smoothing=0.1, warmup=0.2, augment=True, device=device, seed=0,
                        progress=False, verbose=False)
    ours_ips = epochs * (len(d.x_train) // args.batch_size) * args.batch_size / history.total_seconds
    ours_acc = train.evaluate(ours, d.x_test, d.y_test)[1]
    print(f"(a) cnncourse.train.fit      {ours_ips:8,.0f} img/s  {history.total_seconds:6.1f} s  test acc {ours_acc:.1%}")

    theirs = resnet8()
    theirs.load_state_dict(init)
    theirs.to(device)
    torch.manual_seed(0)
    conv_ips, conv_s = conventional_fit(theirs, d, epochs=epochs, batch_size=args.batch_size, lr=args.lr,
                                        workers=args.workers, seed=0, device=device)
    conv_acc = train.evaluate(theirs, d.x_test, d.y_test, channels_last=False)[1]
    print(f"(b) DataLoader, {args.workers} workers     {conv_ips:8,.0f} img/s  {conv_s:6.1f} s  test acc {conv_acc:.1%}")
    print(f"ratio (a)/(b): {ours_ips / conv_ips:.2f}×   accuracy (a) − (b): {100 * (ours_acc - conv_acc):+.1f} points")

    # Where the difference comes from: the input pipelines alone (no model), on the same 2 cores.
    ours_data, theirs_data = data_only(d, batch_size=args.batch_size, workers=args.workers)
    print(f"input pipeline alone: fit's batched gather + crop/flip {ours_data:,.0f} img/s; "
          f"DataLoader with {args.workers} workers (PIL + per-sample transforms) {theirs_data:,.0f} img/s")


if __name__ == "__main__":
    main()
