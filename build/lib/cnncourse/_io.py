"""Atomic file writes: a crash or a Ctrl-C never leaves a half-written file behind."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch


def atomic_save(obj: object, path: str | os.PathLike[str]) -> Path:
    """``torch.save`` into a temporary file beside ``path``, flush it to disk, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
