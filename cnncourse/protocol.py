"""The course protocol: one data split, one recipe and one budget for every chapter's main run.

Chapters used to train each model on its own slice of the data with its own recipe, so their
accuracies could not be compared. A :class:`Protocol` fixes everything except the model and its
peak learning rate:

- **data**: ``train_per_class`` training images per class, and ``val_per_class`` more carved from
  the *training* images as a validation split (the last ones of each class); hyperparameters are
  chosen on it. The test images (``test_per_class`` per class) are touched once, after training.
- **recipe**: :func:`cnncourse.train.fit`'s SGD with Nesterov momentum, linear warm-up and decay,
  weight decay and label smoothing, with or without augmentation.
- **budget**: equal *training images seen* (``epochs`` passes over the same images), not equal
  wall time. Images seen is the same on every machine, so a run is reproducible and a student's
  number can be compared with the course's; wall time depends on the machine, its load and the
  model's fit to the hardware (MACs are not time on a CPU), so it is measured and reported beside
  the accuracy instead of being the budget.

Two protocols: :data:`CPU`, sized so that every chapter's run takes well under a minute on two CPU
cores (the stored outputs), and :data:`FULL`, CIFAR-10's full 50,000 training images with
augmentation for a GPU runtime. :func:`current` picks one from ``$CNNCOURSE_BUDGET`` (``cpu``,
``full`` or ``auto``, the default: ``full`` on CUDA, ``cpu`` elsewhere).
"""
from __future__ import annotations


import os
from dataclasses import dataclass, replace

import torch
from torch import nn

from .data import CIFARSubset, cifar10_subset, fingerprint
from .train import History, evaluate, fit, steps_per_epoch
from .utils import device as best_device

ENV_BUDGET = "CNNCOURSE_BUDGET"


@dataclass(frozen=True)
class Protocol:
    """Data, recipe and budget shared by every run that claims to be comparable."""

    name: str
    train_per_class: int
    val_per_class: int
    test_per_class: int
    epochs: int
    batch_size: int = 128
    augment: bool = False
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    warmup: float = 0.2  # fraction of the steps spent ramping the learning rate up

    def __post_init__(self) -> None:
        for key in ("train_per_class", "val_per_class", "test_per_class", "epochs", "batch_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Protocol.{key} must be a positive integer; got {value!r}")

    @property
    def images_seen(self) -> int:
        """Training images one run processes: epochs × full batches per epoch × batch size."""
        n = 10 * self.train_per_class
        return self.epochs * steps_per_epoch(n, self.batch_size) * min(self.batch_size, n)

    def scaled(self, **changes: object) -> Protocol:
        """A copy with some fields changed (tests use tiny sizes); the name says it is not the original."""
        return replace(self, name=f"{self.name} (scaled)", **changes)  # type: ignore[arg-type]

    def __str__(self) -> str:
        aug = "crop + flip" if self.augment else "no augmentation"
        return (
            f"protocol {self.name!r}: {10 * self.train_per_class:,} training / {10 * self.val_per_class:,} "
            f"validation / {10 * self.test_per_class:,} test images, {self.epochs} epochs "
            f"({self.images_seen:,} images seen), batch {self.batch_size}, {aug}"
        )


# Two epochs over 9,000 images: the slowest bake-off model (MobileNetV2, ~300 images/s on two cores)
# trains in about a minute, the ResNet-8 baseline in about 15 s.
CPU = Protocol("cpu", train_per_class=900, val_per_class=100, test_per_class=500, epochs=2)
# All of CIFAR-10 (45,000 + 5,000 validation, 10,000 test) with augmentation, for a GPU runtime.
FULL = Protocol("full", train_per_class=4500, val_per_class=500, test_per_class=1000, epochs=30, augment=True)
PROTOCOLS = {p.name: p for p in (CPU, FULL)}


def current(device: torch.device | str | None = None) -> Protocol:
    """The protocol ``$CNNCOURSE_BUDGET`` asks for: ``cpu``, ``full``, or ``auto`` (``full`` on CUDA)."""
    setting = os.environ.get(ENV_BUDGET, "auto").strip().lower() or "auto"
    if setting == "auto":
        dev = torch.device(device) if device is not None else best_device()
        setting = "full" if dev.type == "cuda" else "cpu"
    if setting not in PROTOCOLS:
        raise ValueError(
            f"{ENV_BUDGET}={os.environ.get(ENV_BUDGET)!r} is not a protocol; use one of "
            f"{', '.join(PROTOCOLS)} or auto (full on a CUDA GPU, cpu otherwise)."
        )
    return PROTOCOLS[setting]


@dataclass(frozen=True)
class Split:
    """The protocol's data: ``train`` holds the training images and, as its test split, the
    validation images that ``fit`` reports after each epoch; ``x_test``/``y_test`` are the test set."""

    protocol: Protocol
    train: CIFARSubset
    x_test: torch.Tensor
    y_test: torch.Tensor

    def __repr__(self) -> str:
        return (f"Split(train={len(self.train.x_train):,}, validation={len(self.train.x_test):,}, "
                f"test={len(self.x_test):,})")

    @property
    def fingerprint(self) -> str:
        """A short hash of every image and label of the three splits: equal fingerprints, equal data.

        The bake-off records it, so a chapter can tell whether it trains on exactly the bake-off's
        images (the course's JPEG subset) or on another copy of CIFAR-10 (a torchvision download,
        whose pixels differ slightly), where its run cannot repeat the bake-off's.
        """
        return fingerprint(self.train.x_train, self.train.y_train, self.train.x_test, self.train.y_test,
                           self.x_test, self.y_test)


def load(protocol: Protocol | None = None, **data_kwargs: object) -> Split:
    """Load the protocol's images and carve the validation split from the training images.

    Of the first ``train_per_class + val_per_class`` training images of each class, the last
    ``val_per_class`` become the validation split. ``data_kwargs`` go to :func:`cifar10_subset`.
    """
    p = protocol if protocol is not None else current()
    d = cifar10_subset(p.train_per_class + p.val_per_class, p.test_per_class, **data_kwargs)  # type: ignore[arg-type]
    train_idx, val_idx = [], []
    for c in range(len(d.classes)):
        idx = (d.y_train == c).nonzero().flatten()
        train_idx.append(idx[:p.train_per_class])
        val_idx.append(idx[p.train_per_class:])
    ti, vi = torch.cat(train_idx), torch.cat(val_idx)
    train = CIFARSubset(d.x_train[ti], d.y_train[ti], d.x_train[vi], d.y_train[vi], d.classes, d.source)
    return Split(p, train, d.x_test, d.y_test)


@dataclass(frozen=True)
class Result:
    """One protocol run: the per-epoch history (its ``test_*`` columns are the validation split),
    the final validation and test accuracy, and the training time."""

    protocol: str
    seed: int
    lr: float
    history: History
    val_acc: float
    test_acc: float
    test_loss: float

    @property
    def seconds(self) -> float:
        return self.history.total_seconds

    @property
    def images_per_s(self) -> float:
        """Training throughput over the whole run (images seen / training seconds)."""
        seen = sum(s * r for s, r in zip(self.history.seconds, self.history.images_per_s))
        return seen / self.seconds

    def __str__(self) -> str:
        return (f"validation {self.val_acc:.1%}   test {self.test_acc:.1%}   "
                f"{self.seconds:.1f} s training, {self.images_per_s:,.0f} images/s")


def run(
    model: nn.Module,
    split: Split,
    *,
    lr: float,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
    verbose: bool = True,
) -> Result:
    """Train ``model`` under ``split.protocol``, then evaluate it once on the test set.

    Build the model after ``cnncourse.seed_everything(seed)`` so that its initial weights, like
    the batches and augmentation (drawn from ``seed``), are a function of the seed alone.
    """
    p = split.protocol
    history = fit(model, split.train, epochs=p.epochs, batch_size=p.batch_size, lr=lr,
                  weight_decay=p.weight_decay, label_smoothing=p.label_smoothing, warmup=p.warmup,
                  augment=p.augment, device=device, seed=seed, progress=progress, verbose=verbose,
                  eval_name="val")
    test_loss, test_acc = evaluate(model, split.x_test, split.y_test)
    return Result(p.name, seed, lr, history, history.final_test_acc, test_acc, test_loss)
