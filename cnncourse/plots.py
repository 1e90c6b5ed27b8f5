"""Figures the chapters share: training curves, image grids, learned filters.

Every function returns the matplotlib ``Figure``; in a notebook finish the
cell with ``plt.show()`` so only the picture is displayed.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from .train import History


def plot_history(history: History | Mapping[str, History], *, title: str | None = None,
                 eval_label: str = "test", num_classes: int = 10) -> Figure:
    """Loss and accuracy per epoch; pass ``{"label": history, ...}`` to compare runs on one figure.

    ``eval_label`` names the dashed curves: the split ``fit`` evaluated after each epoch
    (``"validation"`` for a :mod:`cnncourse.protocol` run). The dotted line is chance accuracy,
    100 / ``num_classes`` percent.
    """
    runs = {"": history} if isinstance(history, History) else dict(history)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, (label, h) in enumerate(runs.items()):
        color = f"C{i}"
        prefix = f"{label} " if label else ""
        ax_loss.plot(h.epoch, h.train_loss, color=color, label=f"{prefix}train")
        ax_loss.plot(h.epoch, h.test_loss, color=color, ls="--", label=f"{prefix}{eval_label}")
        ax_acc.plot(h.epoch, [100 * a for a in h.train_acc], color=color, label=f"{prefix}train")
        ax_acc.plot(h.epoch, [100 * a for a in h.test_acc], color=color, ls="--", label=f"{prefix}{eval_label}")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    ax_acc.axhline(100 / num_classes, color="grey", lw=0.8, ls=":", label=f"chance ({num_classes} classes)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(images: torch.Tensor, labels: torch.Tensor | None = None,
                classes: Sequence[str] | None = None, *, ncols: int = 10) -> Figure:
    """A grid of ``uint8`` images (N, 3, H, W), titled with their class names when given."""
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.35 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i].permute(1, 2, 0).cpu().numpy())
            if labels is not None:
                label = int(labels[i])
                ax.set_title(classes[label] if classes else str(label), fontsize=8)
    fig.tight_layout()
    return fig


def plot_filters(weight: torch.Tensor, *, ncols: int = 8) -> Figure:
    """First-layer filters (C_out, 3, k, k), each rescaled to [0, 1] and shown as a colour patch."""
    w = weight.detach().cpu().float()
    lo = w.flatten(1).min(1).values.view(-1, 1, 1, 1)
    hi = w.flatten(1).max(1).values.view(-1, 1, 1, 1)
    w = (w - lo) / (hi - lo + 1e-8)
    n = len(w)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols, nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(w[i].permute(1, 2, 0).numpy() if w.shape[1] == 3 else w[i, 0].numpy(),
                      cmap=None if w.shape[1] == 3 else "gray", interpolation="nearest")
    fig.tight_layout()
    return fig
