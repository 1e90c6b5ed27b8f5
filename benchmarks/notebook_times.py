#!/usr/bin/env python3
"""Execute every chapter notebook and report its wall time and final test accuracies.

Each notebook runs top to bottom in a fresh kernel, exactly as ``make book`` and
nbval run it, but the stored notebook is left untouched (the outputs are kept in
memory only). A run's final accuracy is read from the "validation …% test …%" line that
``print(result)`` shows after a protocol run, or from the last "epoch N/N ... test acc" line that
``cnncourse.train.fit`` prints; chapters without a training run show "—".

Budgets (COURSE_DESIGN.md §6): each notebook ≤ 180 s, all chapters ≤ 22 min.

Usage: python benchmarks/notebook_times.py [NOTEBOOK ...]   (default: notebooks/*.ipynb)
"""
from __future__ import annotations

import platform
import re
import sys
import time
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_BUDGET_S = 180
TOTAL_BUDGET_S = 22 * 60
CELL_TIMEOUT_S = 600
FINAL_EPOCH = re.compile(r"epoch\s+(\d+)/(\d+)\s.*?test acc\s+([\d.]+)%")
PROTOCOL_RESULT = re.compile(r"validation\s+[\d.]+%\s+test\s+([\d.]+)%")


def run(path: Path) -> tuple[nbformat.NotebookNode, float]:
    """Execute ``path`` in a fresh kernel (working directory: its folder); returns (notebook, seconds)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def final_accuracies(nb: nbformat.NotebookNode) -> list[float]:
    """Test accuracy (%) after the last epoch of every training run printed in ``nb``."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for m in FINAL_EPOCH.finditer(out.get("text", "")):
                if m.group(1) == m.group(2):
                    found.append(float(m.group(3)))
            found += [float(m.group(1)) for m in PROTOCOL_RESULT.finditer(out.get("text", ""))]
    return found


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(f"# {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"{time.strftime('%Y-%m-%d')}\n")
    print("| notebook | wall time (s) | final test accuracy (%) | ≤ 180 s |")
    print("|---|---:|---|:-:|")
    total, over = 0.0, []
    for path in paths:
        nb, seconds = run(path)
        total += seconds
        accs = ", ".join(f"{a:.1f}" for a in final_accuracies(nb)) or "—"
        ok = seconds <= NOTEBOOK_BUDGET_S
        if not ok:
            over.append(path.name)
        print(f"| {path.name} | {seconds:.1f} | {accs} | {'yes' if ok else 'NO'} |", flush=True)
    print(f"| **all {len(paths)} chapters** | **{total:.1f}** ({total / 60:.1f} min; budget 22 min) | | "
          f"{'yes' if total <= TOTAL_BUDGET_S else 'NO'} |")
    if over or total > TOTAL_BUDGET_S:
        print(f"over budget: {', '.join(over) or 'the total'}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
