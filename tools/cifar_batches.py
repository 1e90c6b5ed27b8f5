#!/usr/bin/env python3
"""Write a torchvision-format CIFAR-10 copy (``cifar-10-batches-py``) from the offline JPEG subset.

A student online gets CIFAR-10 through ``torchvision.datasets.CIFAR10``: pickled batches holding the
original pixels, not the JPEG re-encodings of the course machines. This tool builds that format
offline, so the tests can run every chapter the way an online student does
(``make nbval-torchvision``, ``make colab-check``):

    python tools/cifar_batches.py OUT [--data ../shared/data] [--perturb 1] [--seed 0]

``OUT/cifar-10-batches-py/`` receives ``data_batch_1`` … ``data_batch_5``, ``test_batch`` and
``batches.meta``, holding every image of the subset with each class's images in their file order
(so the first *n* of a class are the same pictures in both formats). ``--perturb k`` adds a random
±k to every pixel (clipped to 0…255): JPEG re-encoding moves pixels by about that much, so stored
outputs that survive it do not depend on which copy of CIFAR-10 a reader has.
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cnncourse.data import BATCHES_FOLDER, CLASSES, IMAGE_FOLDER, _decode_folder, _image_files  # noqa: E402

N_TRAIN_BATCHES = 5


def _count(split_dir: Path) -> int:
    return min(sum(1 for p in (split_dir / c).iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
               for c in CLASSES)


def _interleave(labels: np.ndarray) -> np.ndarray:
    """An order that mixes the classes (like the real batches) but keeps each class's file order."""
    per_class = [np.flatnonzero(labels == k) for k in range(len(CLASSES))]
    return np.stack(per_class, axis=1).reshape(-1)  # image 0 of every class, then image 1, ...


def write_batches(data: Path, out: Path, *, perturb: int = 0, seed: int = 0) -> Path:
    """Convert ``data``'s image-folder subset into ``out/cifar-10-batches-py``; returns that folder."""
    source = data / IMAGE_FOLDER if (data / IMAGE_FOLDER).is_dir() else data
    if not (source / "train").is_dir():
        raise SystemExit(f"no {IMAGE_FOLDER}/train under {data}: pass --data the folder that holds it")
    target = out / BATCHES_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split in ("train", "test"):
        x, y = _decode_folder(_image_files(source / split, _count(source / split)))
        order = _interleave(y.numpy())
        x, y = x.numpy()[order], y.numpy()[order]
        if perturb:
            noise = rng.choice(np.array([-perturb, perturb], dtype=np.int16), size=x.shape)
            x = np.clip(x.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        flat = x.reshape(len(x), -1)  # row-major (3, 32, 32): the batches' own layout
        names = [f"data_batch_{i}" for i in range(1, N_TRAIN_BATCHES + 1)] if split == "train" else ["test_batch"]
        for name, idx in zip(names, np.array_split(np.arange(len(flat)), len(names))):
            entry = {"batch_label": name, "labels": y[idx].tolist(), "data": flat[idx],
                     "filenames": [f"{i:05d}.png" for i in idx]}
            tmp = target / f".{name}.tmp"
            with open(tmp, "wb") as f:
                pickle.dump(entry, f)
            os.replace(tmp, target / name)
    with open(target / "batches.meta", "wb") as f:
        pickle.dump({"label_names": list(CLASSES), "num_cases_per_batch": len(flat) // N_TRAIN_BATCHES,
                     "num_vis": 3072}, f)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write cifar-10-batches-py/ into")
    here = Path(__file__).resolve().parents[1]
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("CNNCOURSE_DATA") or here.parent / "shared" / "data"),
                        help="folder holding cifar10-subset/ (default: $CNNCOURSE_DATA or ../shared/data)")
    parser.add_argument("--perturb", type=int, default=0, help="add a random ±k to every pixel (default 0)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    target = write_batches(args.data, args.out, perturb=args.perturb, seed=args.seed)
    print(f"wrote {target}" + (f" (every pixel moved by ±{args.perturb})" if args.perturb else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
