#!/usr/bin/env python3
"""Which ``fit`` recipe gets chapter 5's ResNet-8 furthest in its CPU budget (5 epochs on 20,000 images)?

Every row trains the same initial weights on the same data for the same number
of epochs; only the recipe changes. The first row is ``fit``'s defaults before
the tuning of issue 9 (batch 256, peak lr 0.05, augmentation on); the row marked
"defaults" is what ``fit`` does now when a caller passes only ``epochs``; chapter 5 uses the
defaults with augmentation off.
Accuracy is on the 5,000-image test subset.

Usage: python benchmarks/recipe.py [--epochs N]
"""
from __future__ import annotations

import argparse
import inspect

import cnncourse
from cnncourse import data, train

from _resnet8 import resnet8  # benchmarks/ is on sys.path when a script here is run

RECIPES = {
    "before: batch 256, lr 0.05, augment": dict(batch_size=256, lr=0.05, augment=True),
    "batch 256, lr 0.4, no augment": dict(batch_size=256, lr=0.4, augment=False),
    "batch 128, lr 0.4, augment": dict(batch_size=128, lr=0.4, augment=True),
    "batch 128, lr 0.2, no augment": dict(batch_size=128, lr=0.2, augment=False),
    "batch 128, lr 0.4, no augment (chapter 5)": dict(batch_size=128, lr=0.4, augment=False),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    defaults = {k: p.default for k, p in inspect.signature(train.fit).parameters.items()
                if k in ("batch_size", "lr", "augment")}
    d = data.cifar10_subset(2000, 500)
    print(f"ResNet-8, {args.epochs} epochs on {len(d.x_train):,} images; test on {len(d.x_test):,}")
    print("| recipe | test acc (%) | train acc (%) | training time (s) |\n|---|---:|---:|---:|")
    for name, recipe in RECIPES.items():
        cnncourse.seed_everything(0)
        h = train.fit(resnet8(), d, epochs=args.epochs, device="cpu", seed=0, progress=False, verbose=False, **recipe)
        mark = " (defaults)" if recipe == defaults else ""
        print(f"| {name}{mark} | {100 * h.final_test_acc:.1f} | {100 * h.train_acc[-1]:.1f} | {h.total_seconds:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
