"""CIFAR-10 subsets as tensors, from an offline copy or through torchvision.

CIFAR-10 (Krizhevsky 2009, https://www.cs.toronto.edu/~kriz/cifar.html):
60,000 32×32 RGB images in 10 classes. The course trains on balanced subsets
held entirely in memory as ``uint8`` tensors (25,000 images are 77 MB), so the
training loop never touches a ``DataLoader``.

Where the images come from, first match wins:

1. ``$CNNCOURSE_DATA`` (or the ``root`` argument; a relative path is read from the working
   directory, else from the repository root): a folder holding either
   ``cifar10-subset/{train,test}/<class>/*.jpg`` (an image-folder tree; the
   folder itself may also be the ``cifar10-subset`` one) or torchvision's
   ``cifar-10-batches-py``.
2. ``cifar-10-batches-py`` in the default data folder ``~/.cache/cnncourse``,
   downloaded there through ``torchvision.datasets.CIFAR10`` if absent.

Decoding thousands of JPEGs takes seconds, so decoded tensors are cached in
``$CNNCOURSE_CACHE`` (default ``~/.cache/cnncourse/tensors``) under a key made
from every source file's name, size and modification time: change a file and
the cache is rebuilt.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ._io import atomic_save

CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
# Per-channel statistics of the full CIFAR-10 training set, in [0, 1] units.
MEAN: tuple[float, float, float] = (0.4914, 0.4822, 0.4465)
STD: tuple[float, float, float] = (0.2470, 0.2435, 0.2616)

ENV_DATA = "CNNCOURSE_DATA"
ENV_CACHE = "CNNCOURSE_CACHE"
IMAGE_FOLDER = "cifar10-subset"
BATCHES_FOLDER = "cifar-10-batches-py"
_CACHE_VERSION = 1


class DataNotFoundError(FileNotFoundError):
    """No CIFAR-10 copy was found and none could be downloaded."""


@dataclass(frozen=True)
class CIFARSubset:
    """A balanced CIFAR-10 subset held as tensors.

    Images are ``uint8`` shaped (N, 3, 32, 32); labels are ``int64`` (N,).
    Use :func:`normalize` to turn images into the float inputs a model expects.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple[str, ...]
    source: str

    def __repr__(self) -> str:  # no path: the same data prints the same on every machine
        kind = "image folder" if Path(self.source).name != BATCHES_FOLDER else "torchvision batches"
        return (
            f"CIFARSubset(train={tuple(self.x_train.shape)}, test={tuple(self.x_test.shape)}, "
            f"classes={len(self.classes)}, from {kind})"
        )


    def select(self, classes: Sequence[str], n_train_per_class: int | None = None) -> "CIFARSubset":
        """Only the images of ``classes`` (names), relabelled 0, 1, … in the order given.

        ``n_train_per_class`` keeps the first that many training images of each class (e.g. a
        few labels for transfer learning); the test split keeps all of its images.
        """
        unknown = [c for c in classes if c not in self.classes]
        if unknown or not classes:
            raise ValueError(f"unknown class names {unknown}; choose from {', '.join(self.classes)}")
        if n_train_per_class is not None and n_train_per_class < 1:
            raise ValueError(f"n_train_per_class must be a positive integer; got {n_train_per_class!r}")

        def pick(x: torch.Tensor, y: torch.Tensor, limit: int | None) -> tuple[torch.Tensor, torch.Tensor]:
            keep = [torch.nonzero(y == self.classes.index(c)).flatten()[:limit] for c in classes]
            labels = torch.cat([torch.full((len(k),), i, dtype=y.dtype) for i, k in enumerate(keep)])
            order = torch.cat(keep).sort()  # keep the stored order of the images
            return x[order.values], labels[order.indices]

        x_train, y_train = pick(self.x_train, self.y_train, n_train_per_class)
        x_test, y_test = pick(self.x_test, self.y_test, None)
        return CIFARSubset(x_train, y_train, x_test, y_test, tuple(classes), self.source)


def normalize(x: torch.Tensor) -> torch.Tensor:
    """``uint8`` images (B, 3, H, W) → float32, scaled to [0, 1], then standardised per channel."""
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return (x.float() / 255 - mean) / std


def default_data_dir() -> Path:
    """The folder torchvision downloads CIFAR-10 into when nothing else is found."""
    return Path.home() / ".cache" / "cnncourse"


def cifar10_subset(
    n_train_per_class: int = 2000,
    n_test_per_class: int = 500,
    *,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    cache: bool = True,
) -> CIFARSubset:
    """Load the first ``n_train_per_class`` / ``n_test_per_class`` images of every class.

    The selection is deterministic (the first files of each class in sorted or
    stored order), and both splits are balanced. ``root`` overrides
    ``$CNNCOURSE_DATA``; ``download=False`` forbids the torchvision download.
    """
    for n, name in ((n_train_per_class, "n_train_per_class"), (n_test_per_class, "n_test_per_class")):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive integer; got {n!r}")
    counts = {"train": n_train_per_class, "test": n_test_per_class}
    searched: list[Path] = []
    if root is None and os.environ.get(ENV_DATA):
        root = os.environ[ENV_DATA]
    if root is not None:
        root = _resolve(Path(root).expanduser())
        if not root.is_dir():
            raise DataNotFoundError(
                f"the data folder {root} does not exist (from {ENV_DATA} or root=). "
                f"Point it at the folder that holds {IMAGE_FOLDER}/ or {BATCHES_FOLDER}/. {_how_to_set()}"
            )
        found = _find_source(root)
        if found is not None:
            return _load(found, counts, cache)
        searched.append(root)
    fallback = default_data_dir()
    found = _find_source(fallback)
    if found is not None:
        return _load(found, counts, cache)
    searched.append(fallback)
    if download:
        _download(fallback)
        return _load(fallback / BATCHES_FOLDER, counts, cache)
    raise DataNotFoundError(
        f"no CIFAR-10 copy found in {', '.join(map(str, searched))} and download=False. "
        f"Set {ENV_DATA} to a folder holding {IMAGE_FOLDER}/{{train,test}}/<class>/*.jpg "
        f"or {BATCHES_FOLDER}/, or allow the download. {_how_to_set()}"
    )


def repository_root() -> Path | None:
    """The course repository this package was installed from (``pip install -e``), if it is one."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir() else None


def _resolve(path: Path) -> Path:
    """A relative data folder, read from the working directory or else from the repository root.

    A notebook's kernel runs in ``notebooks/``, so ``CNNCOURSE_DATA=../shared/data`` exported in the
    repository root would point one level too high; the repository root is tried as well.
    """
    if path.is_absolute() or path.is_dir():
        return path.absolute()
    repo = repository_root()
    if repo is not None and (repo / path).is_dir():
        return (repo / path).resolve()
    return path.absolute()


def _how_to_set() -> str:
    """How to point the course at a copy of the data, from a notebook or a shell."""
    shared = repository_root()
    shared = shared.parent / "shared" / "data" if shared is not None else None
    folder = str(shared) if shared is not None and shared.is_dir() else "/absolute/path/to/data"
    return (f"In a notebook, run `%env {ENV_DATA}={folder}` (or `os.environ[\"{ENV_DATA}\"] = \"{folder}\"`) "
            f"before loading the data; in a shell, `export {ENV_DATA}={folder}`.")


def _find_source(root: Path) -> Path | None:
    """The image-folder tree or the torchvision batches folder under ``root``, if any."""
    for candidate in (root / IMAGE_FOLDER, root):
        if (candidate / "train").is_dir() and (candidate / "test").is_dir():
            return candidate
    for candidate in (root / BATCHES_FOLDER, root):
        if (candidate / "test_batch").is_file():
            return candidate
    return None


def _download(folder: Path) -> None:
    import torchvision  # imported here: only the download needs it

    try:
        for train in (True, False):
            torchvision.datasets.CIFAR10(str(folder), train=train, download=True)
    except Exception as err:  # URLError, OSError, ... depending on how the network fails
        cause = err
        while cause.__cause__ or cause.__context__:  # the innermost reason, e.g. a DNS failure
            cause = cause.__cause__ or cause.__context__
        reason = f"{type(cause).__name__}: {cause}"
        # `from None`: the reader gets this message, not ~150 lines of urllib's chained frames.
        raise DataNotFoundError(
            f"CIFAR-10 is not on this machine and downloading it into {folder} failed ({reason}). "
            f"Offline? Set {ENV_DATA} to a folder holding {IMAGE_FOLDER}/{{train,test}}/<class>/*.jpg "
            f"or {BATCHES_FOLDER}/. {_how_to_set()}"
        ) from None


def _load(source: Path, counts: dict[str, int], cache: bool) -> CIFARSubset:
    is_folder = (source / "train").is_dir()
    if is_folder:
        files = {split: _image_files(source / split, n) for split, n in counts.items()}
        fingerprint = [
            (str(p), p.stat().st_size, p.stat().st_mtime_ns)
            for split in files for paths in files[split] for p in paths
        ]
    else:
        batch_files = [source / f"data_batch_{i}" for i in range(1, 6)] + [source / "test_batch"]
        fingerprint = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in batch_files if p.exists()]
    key = hashlib.sha256(repr((_CACHE_VERSION, sorted(counts.items()), fingerprint)).encode()).hexdigest()[:20]
    cache_file = _cache_dir() / f"cifar10-{key}.pt"
    if cache and cache_file.is_file():
        try:
            tensors = torch.load(cache_file, weights_only=True)
            return CIFARSubset(**tensors, classes=CLASSES, source=str(source))
        except Exception:  # a damaged cache file is rebuilt, never trusted
            cache_file.unlink(missing_ok=True)
    if is_folder:
        x_train, y_train = _decode_folder(files["train"])
        x_test, y_test = _decode_folder(files["test"])
    else:
        x_train, y_train = _read_batches(source, train=True, n_per_class=counts["train"])
        x_test, y_test = _read_batches(source, train=False, n_per_class=counts["test"])
    tensors = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    if cache:
        atomic_save(tensors, cache_file)
    return CIFARSubset(**tensors, classes=CLASSES, source=str(source))


def _cache_dir() -> Path:
    return Path(os.environ.get(ENV_CACHE) or default_data_dir() / "tensors")


def _image_files(split_dir: Path, n_per_class: int) -> list[list[Path]]:
    """The first ``n_per_class`` image files of each class folder, in sorted order."""
    per_class = []
    for name in CLASSES:
        folder = split_dir / name
        if not folder.is_dir():
            raise FileNotFoundError(
                f"class folder {folder} is missing: {split_dir} must hold one folder per "
                f"CIFAR-10 class ({', '.join(CLASSES)})."
            )
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
        if len(paths) < n_per_class:
            raise ValueError(
                f"asked for {n_per_class} images per class but {folder} holds only {len(paths)}; "
                f"ask for at most {len(paths)}."
            )
        per_class.append(paths[:n_per_class])
    return per_class


def _decode_folder(per_class: list[list[Path]]) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = [], []
    for label, paths in enumerate(per_class):
        for path in paths:
            try:
                with Image.open(path) as img:
                    array = np.asarray(img.convert("RGB"))
            except (UnidentifiedImageError, OSError, SyntaxError) as err:
                raise ValueError(
                    f"cannot decode image {path} ({type(err).__name__}: {err}). "
                    "The file is damaged: delete it or copy the data set again."
                ) from err
            if array.shape != (32, 32, 3):
                raise ValueError(
                    f"image {path} is {array.shape[1]}×{array.shape[0]}; CIFAR-10 images are 32×32."
                )
            images.append(array)
            labels.append(label)
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()  # (N, 3, 32, 32)
    return x, torch.tensor(labels, dtype=torch.int64)


def _read_batches(folder: Path, *, train: bool, n_per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
    """First ``n_per_class`` images per class from torchvision's pickled batches, in stored order."""
    names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    data, labels = [], []
    for name in names:
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: {folder} must hold {', '.join(names)}.")
        with open(path, "rb") as f:
            entry = pickle.load(f, encoding="latin1")
        data.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(entry["labels"], dtype=np.int64))
    x_all, y_all = np.concatenate(data), np.concatenate(labels)
    keep = []
    for label, name in enumerate(CLASSES):
        idx = np.flatnonzero(y_all == label)
        if len(idx) < n_per_class:
            split = "training" if train else "test"
            raise ValueError(
                f"asked for {n_per_class} {split} images per class but {folder} holds only "
                f"{len(idx)} of class {name!r}; ask for at most {len(idx)}."
            )
        keep.append(idx[:n_per_class])
    order = np.concatenate(keep)
    return torch.from_numpy(x_all[order]), torch.from_numpy(y_all[order])
