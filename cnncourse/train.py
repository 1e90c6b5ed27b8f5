"""A fast, device-aware training loop for CIFAR-sized images.

Ideas from airbench (Keller Jordan, https://github.com/KellerJordan/cifar10-airbench):
the whole data set lives on the device as ``uint8`` tensors, every batch is
normalised and augmented (random crop with 4-pixel reflect padding, horizontal
flip) with one batched gather on the device, and the model runs in
``channels_last`` memory format. There is no ``DataLoader`` and no per-image
Python work in the hot loop.

Hyperparameters, all in :func:`fit`'s signature: SGD with Nesterov momentum,
a linear warm-up then linear decay of the learning rate (per step), weight
decay and label smoothing. On CUDA the forward pass runs under autocast
(float16 with a gradient scaler, or bfloat16 where supported).

The defaults (batch 128, peak learning rate 0.4) came from ``benchmarks/recipe.py``, which compared
recipes on chapter 5's earlier ResNet-8 (figures in ``benchmarks/RESULTS.md`` §5). The chapters no
longer rely on them: their main runs follow :mod:`cnncourse.protocol`, whose learning rates were chosen
on a validation split (``cnncourse/results/bakeoff_lr.csv``).

Reproducibility: on the CPU a run is a pure function of the initial weights,
the data and ``seed``: each epoch draws its shuffling, augmentation and dropout
randomness from ``seed`` and the epoch number alone, which is also what makes
``resume`` from a checkpoint land on exactly the weights of an uninterrupted run.
"""
from __future__ import annotations

import functools
import hashlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ._io import atomic_save
from .data import CIFARSubset, check_images, check_labels, fingerprint, normalize
from .utils import device as best_device


@dataclass
class History:
    """Per-epoch record of a :func:`fit` run (accuracies are fractions in [0, 1])."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # training time of the epoch, evaluation excluded
    images_per_s: list[float] = field(default_factory=list)

    @property
    def final_test_acc(self) -> float:
        """Test accuracy after the last epoch."""
        if not self.test_acc:
            raise ValueError("the history is empty: no epoch has finished yet")
        return self.test_acc[-1]

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds)

    def to_dict(self) -> dict[str, list[float]]:
        return asdict(self)

    def to_frame(self):  # -> pandas.DataFrame (pandas is imported lazily)
        import pandas as pd

        return pd.DataFrame(self.to_dict()).set_index("epoch")


def random_crop_flip(x: torch.Tensor, generator: torch.Generator, padding: int = 4) -> torch.Tensor:
    """Randomly translate (reflect-padded crop) and horizontally flip every image of a batch.

    (B, C, H, W) → (B, C, H, W). One gather does both: the column index runs
    backwards for flipped images. The random draws come from ``generator`` (CPU).
    The result is laid out channels-last in memory.
    """
    b, _, h, w = x.shape
    padded = F.pad(x, (padding,) * 4, mode="reflect")
    dy = torch.randint(0, 2 * padding + 1, (b, 1), generator=generator).to(x.device)
    dx = torch.randint(0, 2 * padding + 1, (b, 1), generator=generator).to(x.device)
    flip = (torch.rand(b, 1, generator=generator) < 0.5).to(x.device)
    rows = dy + torch.arange(h, device=x.device)  # (B, H)
    cols = torch.arange(w, device=x.device)
    cols = dx + torch.where(flip, cols.flip(0), cols)  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None]
    out = padded[batch, :, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2)


def steps_per_epoch(n: int, batch_size: int) -> int:
    """SGD steps in one epoch over ``n`` images: full batches only (the last partial one is dropped),
    or one step on all of them when ``n`` is smaller than a batch."""
    return n // batch_size if n >= batch_size else 1


def warmup_linear_decay(step: int, *, warmup_steps: int, total_steps: int) -> float:
    """Learning-rate factor: linear ramp 0 → 1 over ``warmup_steps``, then linear 1 → 0 at ``total_steps``."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


class TrainingDiverged(RuntimeError):
    """The training loss became NaN or infinite; the run was stopped before anything was saved."""


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed: damaged, not written by :func:`fit`, or of another run."""


def _check_hyperparameters(**values: object) -> None:
    """Refuse settings that would train garbage, with the setting's name and how to fix it."""
    for name in ("epochs", "batch_size"):
        v = values[name]
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be a whole number; got {v!r} ({type(v).__name__}), "
                            f"e.g. {name}={int(v) if isinstance(v, float) and math.isfinite(v) and v >= 1 else 10}.")
        if v < 1:
            raise ValueError(f"{name} must be at least 1; got {v}.")
    ranges = {  # name: (low, high, low included, high included)
        "lr": (0.0, math.inf, False, False), "momentum": (0.0, 1.0, True, False),
        "weight_decay": (0.0, math.inf, True, False), "label_smoothing": (0.0, 1.0, True, False),
        "warmup": (0.0, 1.0, True, True),
    }
    for name, (low, high, low_in, high_in) in ranges.items():
        v = values[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{name} must be a number; got {v!r} ({type(v).__name__}).")
        inside = (v >= low if low_in else v > low) and (v <= high if high_in else v < high)
        if not math.isfinite(v) or not inside:
            interval = f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"
            raise ValueError(f"{name} must be a finite number in {interval}; got {name}={v!r}.")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int = 1000,
    channels_last: bool = True,
    amp: bool | None = None,  # as in fit: None means autocast on CUDA only; fit passes its own decision
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` (in eval mode) on ``uint8`` images ``x``."""
    check_images(x, y, "evaluate")
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    loss_sum, correct = torch.zeros((), device=dev), torch.zeros((), device=dev)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    for i in range(0, len(x), batch_size):
        xb = normalize(x[i:i + batch_size].to(dev)).contiguous(memory_format=fmt)
        yb = y[i:i + batch_size].to(dev)
        with _autocast(dev, _use_amp(dev, amp)):
            out = model(xb)
        if i == 0:
            check_labels(y, out.shape[1], f"evaluate (the model has {out.shape[1]} outputs)")
        loss_sum += F.cross_entropy(out.float(), yb, reduction="sum")
        correct += (out.argmax(1) == yb).sum()
    model.train(was_training)
    return loss_sum.item() / len(x), correct.item() / len(x)


def fit(
    model: nn.Module,
    data: CIFARSubset,
    *,
    epochs: int = 10,
    batch_size: int = 128,
    lr: float = 0.4,
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    label_smoothing: float = 0.1,
    warmup: float = 0.2,  # fraction of all steps spent ramping the learning rate up from 0
    augment: bool = True,
    device: torch.device | str | None = None,
    channels_last: bool = True,
    amp: bool | None = None,  # None: autocast on CUDA only; True on the CPU uses bfloat16
    seed: int = 0,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool = True,
    verbose: bool = True,
    on_epoch_end: Callable[[History], None] | None = None,
    eval_name: str = "test",  # what ``data``'s test split is, in the printed lines ("val" for a validation split)
) -> History:
    """Train ``model`` on ``data`` and return its per-epoch :class:`History`.

    With ``checkpoint`` set, the full training state is written there atomically
    after every epoch; ``resume=True`` continues from it (same arguments
    required). An existing checkpoint is never overwritten by a fresh run.
    ``on_epoch_end(history)`` runs after each epoch and its checkpoint.
    """
    _check_hyperparameters(epochs=epochs, batch_size=batch_size, lr=lr, momentum=momentum,
                           weight_decay=weight_decay, label_smoothing=label_smoothing, warmup=warmup)
    check_images(data.x_train, data.y_train, "fit: the training images")
    check_images(data.x_test, data.y_test, "fit: the test images")
    for split, labels in (("training", data.y_train), ("test", data.y_test)):
        check_labels(labels, len(data.classes), f"fit: the {split} labels ({len(data.classes)} classes)")
    path = Path(checkpoint) if checkpoint is not None else None
    if resume and path is None:
        raise ValueError("resume=True needs the checkpoint= path of the run to continue.")
    if path is not None:
        _check_checkpoint_path(path, resume)
    dev = torch.device(device) if device is not None else best_device()
    use_amp = _use_amp(dev, amp)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model.to(dev, memory_format=fmt)  # type: ignore[call-overload]

    x_train, y_train = data.x_train.to(dev), data.y_train.to(dev)
    n = len(x_train)
    steps = steps_per_epoch(n, batch_size)
    total_steps = epochs * steps
    warmup_steps = max(1, round(warmup * total_steps))

    optimizer = torch.optim.SGD(
        model.parameters(), lr=lr, momentum=momentum, nesterov=momentum > 0, weight_decay=weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, functools.partial(warmup_linear_decay, warmup_steps=warmup_steps, total_steps=total_steps),
    )
    scaler = torch.amp.GradScaler(dev.type, enabled=use_amp and _amp_dtype(dev) is torch.float16)
    criterion = nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    config = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "momentum": momentum,
              "weight_decay": weight_decay, "label_smoothing": label_smoothing, "warmup": warmup,
              "augment": augment, "seed": seed, "n_train": n, "amp": use_amp, "channels_last": channels_last}
    history, start = History(), 0
    if path is not None:  # what the checkpoint must match to be resumed: the data and the architecture
        config["data"] = fingerprint(data.x_train, data.y_train, data.x_test, data.y_test)
        config["model"] = _architecture(model)
    if path is not None and path.exists():
        start, history = _load_checkpoint(path, config, model, optimizer, scheduler, scaler, dev)

    bar = tqdm(total=total_steps, initial=start * steps, disable=not progress,
               unit="step", desc="training", mininterval=0.5)
    for epoch in range(start, epochs):
        generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        torch.manual_seed(seed * 1_000_003 + epoch)  # dropout and other in-model randomness
        model.train()
        order = torch.randperm(n, generator=generator).to(dev)
        loss_sum = torch.zeros((), device=dev)
        correct = torch.zeros((), device=dev)
        _sync(dev)
        t0 = time.perf_counter()
        for step in range(steps):
            idx = order[step * batch_size:(step + 1) * batch_size]
            xb, yb = normalize(x_train[idx]), y_train[idx]
            if augment:
                xb = random_crop_flip(xb, generator)
            xb = xb.contiguous(memory_format=fmt)
            with _autocast(dev, use_amp):
                out = model(xb)
                loss = criterion(out, yb)
            if not torch.isfinite(loss):  # stop at once: every later step would only spread the NaN
                _diverged(loss.item(), epoch, step, steps, lr, path)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            loss_sum += loss.detach() * len(yb)
            correct += (out.detach().argmax(1) == yb).sum()
            bar.update()
        _sync(dev)
        seconds = time.perf_counter() - t0
        seen = steps * min(batch_size, n)
        test_loss, test_acc = evaluate(model, data.x_test, data.y_test, channels_last=channels_last, amp=use_amp)
        history.epoch.append(epoch + 1)
        history.train_loss.append(loss_sum.item() / seen)
        history.train_acc.append(correct.item() / seen)
        history.test_loss.append(test_loss)
        history.test_acc.append(test_acc)
        history.lr.append(optimizer.param_groups[0]["lr"])
        history.seconds.append(seconds)
        history.images_per_s.append(seen / seconds)
        bar.set_postfix({"loss": f"{history.train_loss[-1]:.3f}", f"{eval_name}_acc": f"{test_acc:.1%}"})
        if verbose:
            bar.write(
                f"epoch {epoch + 1:>2}/{epochs}  train loss {history.train_loss[-1]:.3f}  "
                f"train acc {history.train_acc[-1]:6.1%}  {eval_name} acc {test_acc:6.1%}  "
                f"{seconds:5.1f} s  {history.images_per_s[-1]:,.0f} img/s"
            )
        if path is not None:
            atomic_save({"epoch": epoch + 1, "config": config, "history": history.to_dict(),
                         "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                         "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict()}, path)
        if on_epoch_end is not None:
            on_epoch_end(history)
    bar.close()
    return history


def _diverged(value: float, epoch: int, step: int, steps: int, lr: float, path: Path | None) -> None:
    kept = (f" The checkpoint {path} still holds the last finished epoch." if path is not None and path.exists()
            else " Nothing of this run was saved.")
    raise TrainingDiverged(
        f"the training loss became {value} at epoch {epoch + 1}, step {step + 1} of {steps}: training diverged, "
        f"and fit() stopped. Most often the learning rate (lr={lr:g}) is too high for the network, above all "
        f"for one without BatchNorm (LeNet-5, AlexNet, a plain VGG): try lr={lr / 10:g}. Also check that "
        f"the model's output is finite on a batch of inputs.{kept}"
    )


def _architecture(model: nn.Module) -> str:
    """The model's class and the name and shape of every parameter and buffer, in a few words."""
    shapes = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    digest = hashlib.sha256(repr(shapes).encode()).hexdigest()[:12]
    return f"{type(model).__name__}, {len(shapes)} tensors, {sum(p.numel() for p in model.parameters()):,} parameters ({digest})"


def _check_checkpoint_path(path: Path, resume: bool) -> None:
    """Problems with the checkpoint path, found before any training rather than after the first epoch."""
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint={str(path)!r} is a folder; give a file in it, e.g. {str(path / 'run.pt')!r}.")
    blocked = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise NotADirectoryError(f"cannot write checkpoint {path}: {blocked} is a file, not a folder. "
                                 "Choose a checkpoint path in a folder.")
    if resume and not path.exists():
        raise FileNotFoundError(f"resume=True but there is no checkpoint at {path} to resume. "
                                "Check the path, or drop resume=True to start a new run there.")
    if not resume and path.exists():
        raise FileExistsError(
            f"checkpoint {path} already exists and fit() never overwrites trained work. "
            "Pass resume=True to continue that run, or choose another checkpoint path."
        )
    folder = next(p for p in (path.parent, *path.parents) if p.exists())
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot write checkpoint {path}: the folder {folder} is not writable. "
                              "Choose a checkpoint path in a folder you can write to.")


def _load_checkpoint(path, config, model, optimizer, scheduler, scaler, dev) -> tuple[int, History]:
    damaged = (f"checkpoint {path} is damaged or not a fit() checkpoint: delete it or choose another "
               "checkpoint path")
    try:
        state = torch.load(path, map_location=dev, weights_only=True)
    except Exception as err:  # truncated zip, empty file, text, random bytes, a pickle of other objects
        raise CheckpointError(f"{damaged} (reading it failed: {type(err).__name__}).") from None
    required = {"epoch", "config", "history", "model", "optimizer", "scheduler", "scaler"}
    if not isinstance(state, dict) or not required <= set(state) or not isinstance(state["config"], dict):
        raise CheckpointError(f"{damaged} (it lacks fit()'s entries).")
    saved = state["config"]
    if saved.get("model", config["model"]) != config["model"]:
        raise CheckpointError(f"cannot resume from {path}: it was written for another model "
                              f"({saved['model']}), not this one ({config['model']}). Pass the model it "
                              "was trained with, or choose another checkpoint path.")
    if saved.get("data", config["data"]) != config["data"]:
        raise CheckpointError(f"cannot resume from {path}: it was trained on other data (not the images and "
                              "labels given now). Pass the same data, or choose another checkpoint path.")
    changed = {k: (saved.get(k), v) for k, v in config.items() if k not in ("model", "data") and saved.get(k) != v}
    if changed:
        detail = ", ".join(f"{k}: {old!r} in the checkpoint vs {new!r} now" for k, (old, new) in changed.items())
        raise CheckpointError(f"cannot resume from {path}: the run's settings differ ({detail}).")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    scaler.load_state_dict(state["scaler"])
    return state["epoch"], History(**state["history"])


def _use_amp(dev: torch.device, amp: bool | None) -> bool:
    return dev.type == "cuda" if amp is None else amp


def _amp_dtype(dev: torch.device) -> torch.dtype:
    """bfloat16 where the hardware has it natively, else float16 (with a gradient scaler in fit).

    On CUDA that means compute capability 8.0 or newer (A100, RTX 30xx, H100). Older GPUs such as
    Colab's free T4 (7.5) have no bfloat16 convolutions in cuDNN; ``torch.cuda.is_bf16_supported()``
    still answers True there through emulation (pytorch#148322), so the capability is asked instead.
    """
    if dev.type != "cuda":
        return torch.bfloat16
    if torch.version.hip:  # every ROCm GPU PyTorch supports computes in bfloat16
        return torch.bfloat16
    index = dev.index if dev.index is not None else torch.cuda.current_device()
    return torch.bfloat16 if torch.cuda.get_device_capability(index) >= (8, 0) else torch.float16


def _autocast(dev: torch.device, enabled: bool) -> torch.autocast:
    return torch.autocast(dev.type, dtype=_amp_dtype(dev), enabled=enabled)


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
