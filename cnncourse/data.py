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
import time
import warnings
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


class DamagedDataError(ValueError):
    """A file of the CIFAR-10 copy cannot be read: its message names the file and the fix."""


def fingerprint(*tensors: torch.Tensor) -> str:
    """A short hash of the tensors' shapes, types and values: equal fingerprints, equal data."""
    h = hashlib.sha256()
    for t in tensors:
        h.update(str((tuple(t.shape), t.dtype)).encode())
        h.update(t.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def check_images(x: torch.Tensor, y: torch.Tensor, what: str) -> None:
    """``x`` must be ``uint8`` images (N, C, H, W) and ``y`` N integer labels: say what is wrong if not."""
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"{what}: images and labels must be torch tensors; got {type(x).__name__} and {type(y).__name__}.")
    if x.dtype != torch.uint8:
        raise TypeError(
            f"{what}: images must be uint8 pixel values 0–255, as cifar10_subset returns them; got {x.dtype}. "
            "The trainer normalises them itself, so pass the raw pixels (if you scaled them to [0, 1], "
            "undo it: (x * 255).round().to(torch.uint8))."
        )
    if x.dim() == 2 and x.shape[1] == 3 * 32 * 32:
        raise ValueError(f"{what}: images are flattened, shape {tuple(x.shape)}; reshape them to (N, 3, 32, 32) "
                         "with x.view(-1, 3, 32, 32).")
    if x.dim() != 4:
        raise ValueError(f"{what}: images must be shaped (N, C, H, W); got shape {tuple(x.shape)}.")
    if x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        raise ValueError(f"{what}: images look channels-last, shape {tuple(x.shape)} = (N, H, W, C); "
                         "the trainer needs (N, C, H, W): use x.permute(0, 3, 1, 2).")
    if y.dim() != 1 or len(y) != len(x):
        raise ValueError(f"{what}: expected one label per image, {len(x)} labels in a 1-D tensor; "
                         f"got labels of shape {tuple(y.shape)}.")
    if y.dtype.is_floating_point or y.dtype == torch.bool:
        raise TypeError(f"{what}: labels must be integer class indices; got {y.dtype}. Use y.long().")


def check_labels(y: torch.Tensor, num_classes: int, what: str) -> None:
    """Labels must be class indices 0 … ``num_classes`` - 1."""
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(f"{what}: labels must lie in [0, {num_classes}) for {num_classes} classes; "
                         f"found labels from {int(y.min())} to {int(y.max())}.")


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

    def __post_init__(self) -> None:
        check_images(self.x_train, self.y_train, "CIFARSubset: the training split")
        check_images(self.x_test, self.y_test, "CIFARSubset: the test split")
        for split, labels in (("training", self.y_train), ("test", self.y_test)):
            check_labels(labels, len(self.classes), f"CIFARSubset: the {split} labels ({len(self.classes)} classes)")

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
        repeated = sorted({c for c in classes if list(classes).count(c) > 1})
        if repeated:
            raise ValueError(f"classes {repeated} are listed twice: the same images would get two labels. "
                             "Name each class once.")
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
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(
            f"normalize standardises with CIFAR-10's three channel means, so it needs images shaped "
            f"(B, 3, H, W); got {tuple(x.shape)}. Grayscale images (B, 1, H, W): repeat them to three "
            "channels with x.expand(-1, 3, -1, -1) and build the model for 3 channels (e.g. "
            "lenet5(in_channels=3))."
        )
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
        if found is None:  # set, but not pointing at a copy of CIFAR-10: say so rather than download
            raise DataNotFoundError(
                f"{ENV_DATA} (or root=) is {root}, which holds neither {IMAGE_FOLDER}/{{train,test}}/ nor "
                f"{BATCHES_FOLDER}/; it holds {_listing(root)}. Point it at the folder that holds one of "
                f"them, or unset it to use (and download into) {default_data_dir()}."
            )
        return _load(found, counts, cache)
    fallback = default_data_dir()
    found = _find_source(fallback)
    if found is not None:
        try:
            return _load(found, counts, cache)
        except DamagedDataError:
            if not download or found != fallback / BATCHES_FOLDER:
                raise
            # torchvision checks its files' MD5 sums and downloads the archive again when one differs
            print(f"A file of {found} is damaged; downloading CIFAR-10 again.")
            _download(fallback)
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


def _listing(folder: Path, limit: int = 8) -> str:
    """What a folder holds, in a few words: "nothing" or its first entries."""
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir() if not p.name.startswith("."))
    if not entries:
        return "nothing"
    more = f" and {len(entries) - limit} more" if len(entries) > limit else ""
    return ", ".join(entries[:limit]) + more


class _BatchUnpickler(pickle.Unpickler):
    """Reads torchvision's CIFAR-10 batches and nothing else: a pickle can run code, so only the
    classes those files use (NumPy arrays, built-in containers) may be loaded."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("numpy.core.numeric", "_frombuffer"),
               ("numpy._core.numeric", "_frombuffer"), ("builtins", "bytes"), ("builtins", "bytearray"),
               ("_codecs", "encode")}

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: not part of a CIFAR-10 batch file")
        return super().find_class(module, name)


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
    # The file name starts with what the entry is for (the source and the counts) and ends with a key of
    # the files' sizes and times: a newer entry for the same source and counts supersedes the older one.
    slot = hashlib.sha256(repr((str(source), sorted(counts.items()))).encode()).hexdigest()[:8]
    key = hashlib.sha256(repr((_CACHE_VERSION, sorted(counts.items()), fingerprint)).encode()).hexdigest()[:20]
    cache_file = _cache_dir() / f"cifar10-{slot}-{key}.pt"
    if cache:
        tensors = _read_cache(cache_file, counts)
        if tensors is not None:
            return CIFARSubset(**tensors, classes=CLASSES, source=str(source))
    if is_folder:
        x_train, y_train = _decode_folder(files["train"])
        x_test, y_test = _decode_folder(files["test"])
    else:
        x_train, y_train = _read_batches(source, train=True, n_per_class=counts["train"])
        x_test, y_test = _read_batches(source, train=False, n_per_class=counts["test"])
    tensors = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    if cache:
        _write_cache(tensors, cache_file, slot)
    return CIFARSubset(**tensors, classes=CLASSES, source=str(source))


def _read_cache(path: Path, counts: dict[str, int]) -> dict[str, torch.Tensor] | None:
    """The cached tensors, if the file is there, readable and of the expected shapes; else None."""
    if not path.is_file():
        return None
    try:
        tensors = torch.load(path, map_location="cpu", weights_only=True)
    except PermissionError:  # another user's file: leave it alone and decode the images instead
        warnings.warn(f"cannot read the cached images {path} (permission denied); decoding the images instead.",
                      stacklevel=3)
        return None
    except Exception:  # a damaged cache file is rebuilt, never trusted
        path.unlink(missing_ok=True)
        return None
    n = len(CLASSES)
    expected = {"x_train": ((counts["train"] * n, 3, 32, 32), torch.uint8), "y_train": ((counts["train"] * n,), torch.int64),
                "x_test": ((counts["test"] * n, 3, 32, 32), torch.uint8), "y_test": ((counts["test"] * n,), torch.int64)}
    ok = isinstance(tensors, dict) and set(tensors) == set(expected) and all(
        isinstance(tensors[k], torch.Tensor) and tuple(tensors[k].shape) == shape and tensors[k].dtype == dtype
        for k, (shape, dtype) in expected.items())
    if not ok:  # right name, wrong content: rebuild it
        path.unlink(missing_ok=True)
        return None
    return tensors


def _write_cache(tensors: dict[str, torch.Tensor], path: Path, slot: str) -> None:
    """Cache the decoded tensors; if the folder is unusable, warn and go on without a cache."""
    try:
        atomic_save(tensors, path)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(path, 0o666 & ~umask)  # as readable as the folder allows, so a shared cache works
    except OSError as err:
        warnings.warn(f"cannot cache the decoded images in {path.parent} ({type(err).__name__}: {err}); "
                      f"going on without a cache. Set {ENV_CACHE} to a writable folder to keep them.", stacklevel=3)
        return
    _prune(path.parent, keep=path, slot=slot)


def _prune(folder: Path, *, keep: Path, slot: str) -> None:
    """Remove cache entries that ``keep`` supersedes, and temporary files left by killed writes."""
    stale = [p for p in folder.glob(f"cifar10-{slot}-*.pt") if p != keep]
    stale += [p for p in folder.glob(".cifar10-*.tmp") if time.time() - p.stat().st_mtime > 3600]
    for p in stale:
        try:
            p.unlink()
        except OSError:  # another user's file, or already gone
            pass


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
        paths = sorted(p for p in folder.iterdir()  # hidden files (macOS "._x.jpg") are not images
                       if p.suffix.lower() in {".jpg", ".jpeg", ".png"} and not p.name.startswith("."))
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
        try:
            with open(path, "rb") as f:
                entry = _BatchUnpickler(f, encoding="latin1").load()
            images = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            targets = np.asarray(entry["labels"], dtype=np.int64)
            if len(images) != len(targets):
                raise ValueError(f"{len(images)} images but {len(targets)} labels")
        except Exception as err:  # truncated, empty, an HTML error page, a pickle of something else
            raise DamagedDataError(
                f"cannot read {path} ({type(err).__name__}: {err}): the file is damaged or not a CIFAR-10 batch. "
                f"Delete {folder} and let the course download CIFAR-10 again, or copy the file again."
            ) from None
        data.append(images)
        labels.append(targets)
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
