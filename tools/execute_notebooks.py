#!/usr/bin/env python3
"""Execute notebooks in place (refreshing their stored outputs) and report each one's wall time.

Usage: python tools/execute_notebooks.py [NOTEBOOK_OR_FOLDER ...]   (default: notebooks)

Each notebook runs in a fresh kernel of this Python, with its own folder as the
working directory, exactly as nbval will re-run it. A notebook that raises stops
the script with a non-zero exit and is left unchanged on disk.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CELL_TIMEOUT_S = 600


def execute(path: Path) -> float:
    """Run ``path`` top to bottom and write it back with fresh outputs; returns seconds taken."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    targets = [Path(a) for a in argv] or [Path("notebooks")]
    paths = sorted(p for t in targets for p in (t.glob("*.ipynb") if t.is_dir() else [t]))
    if not paths:
        print("no notebooks found in", " ".join(map(str, targets)))
        return 1
    total = 0.0
    for path in paths:
        print(f"executing {path} ...", flush=True)
        seconds = execute(path)
        total += seconds
        print(f"  {seconds:6.1f} s  {path}", flush=True)
    print(f"{len(paths)} notebooks executed in {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
