"""Shared fixtures: a miniature CIFAR-10 in both on-disk formats, written by the tests themselves."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnncourse.data import CLASSES


if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make unit` runs one pytest-xdist worker per core; a worker with a thread per core as well
    # would oversubscribe the machine (4 busy threads on 2 cores slow every test down).
    torch.set_num_threads(1)


def image_for(label: int, index: int) -> np.ndarray:
    """A deterministic 32×32 RGB image that encodes its class and index."""
    rng = np.random.default_rng(1000 * label + index)
    return rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own tensor cache, so no test sees another's cached data."""
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """``tmp/cifar10-subset/{train,test}/<class>/NNNN.png``: 4 train and 2 test images per class (lossless PNG)."""
    root = tmp_path / "data"
    for split, n in (("train", 4), ("test", 2)):
        for label, name in enumerate(CLASSES):
            folder = root / "cifar10-subset" / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                Image.fromarray(image_for(label, i + (100 if split == "test" else 0))).save(folder / f"{i:04d}.png")
    return root


@pytest.fixture
def batches_folder(tmp_path: Path) -> Path:
    """A miniature ``cifar-10-batches-py``: 5 training batches and a test batch, classes interleaved."""
    root = tmp_path / "batches"
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for b, name in enumerate(names):
        labels = [(b + j) % 10 for j in range(20)]  # 2 of each class per batch
        data = np.stack([image_for(lab, 10 * b + j).transpose(2, 0, 1).reshape(-1) for j, lab in enumerate(labels)])
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels}, f, protocol=2)
    return root
