"""The bake-off: every family's CIFAR model under the course protocol, several seeds each.

    CNNCOURSE_DATA=../shared/data .venv/bin/python benchmarks/bakeoff.py            # ~20 min on 2 cores
    CNNCOURSE_DATA=../shared/data .venv/bin/python benchmarks/bakeoff.py --tune     # learning rates, ~5 min

Writes, into cnncourse/results/ (the package reads them; benchmarks/results/ links to them):
- bakeoff_runs.csv: one row per (model, seed): validation and test accuracy, time, throughput;
- bakeoff.csv: one row per model: params, MACs, mean and std over the seeds, machine and date.
``--tune`` instead trains the tuned entries (seed 0) at several peak learning rates and writes
bakeoff_lr.csv with their *validation* accuracies; the test set plays no part in the choice.
Nothing else should run on the machine meanwhile: the throughput columns are measured.
"""
from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import subprocess
import time
from pathlib import Path

import pandas as pd
import torch

from cnncourse import bakeoff, costs, protocol

RESULTS = Path(bakeoff.__file__).parent / "results"
# The learning rates tried by --tune: the baseline stands for every BatchNorm network.
TUNE_GRID = {
    "ResNet-8": (0.1, 0.2, 0.4, 0.8),
    "LeNet-5": (0.025, 0.05, 0.1, 0.2),
    "AlexNet": (0.0125, 0.025, 0.05, 0.1, 0.2),
    "ConvNeXt": (0.025, 0.05, 0.1, 0.2),
}


def machine() -> str:
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        cpu = platform.processor() or platform.machine()
    return f"{cpu}, {torch.get_num_threads()} threads, torch {torch.__version__}"


def train_one(name: str, split: protocol.Split, seed: int, lr: float) -> protocol.Result:
    model = bakeoff.build(name, seed)
    return protocol.run(model, split, lr=lr, seed=seed, device="cpu", progress=False, verbose=False)


def tune(split: protocol.Split, names: list[str], out: Path, lrs: list[float] | None = None) -> None:
    rows = []
    for name in names:
        for lr in lrs or TUNE_GRID[name]:
            r = train_one(name, split, 0, lr)
            rows.append({"model": name, "lr": lr, "val acc (%)": round(100 * r.val_acc, 2)})
            print(f"{name:12s} lr {lr:<7} validation {r.val_acc:6.1%}", flush=True)
    table = pd.DataFrame(rows)
    path = out / "bakeoff_lr.csv"
    if path.exists():  # keep the rows of an earlier --tune that this one did not redo
        earlier = pd.read_csv(path).drop(columns="chosen")
        redone = earlier.set_index(["model", "lr"]).index.isin(table.set_index(["model", "lr"]).index)
        table = pd.concat([earlier[~redone], table], ignore_index=True)
    table = table.sort_values(["model", "lr"], key=lambda c: c.map(list(TUNE_GRID).index) if c.name == "model" else c)
    table = table.reset_index(drop=True)
    best = table.loc[table.groupby("model", sort=False)["val acc (%)"].idxmax()]
    table["chosen"] = table.index.isin(best.index)
    table.to_csv(path, index=False)
    print(table.to_string(index=False))


def bake(split: protocol.Split, names: list[str], seeds: list[int], out: Path) -> None:
    runs = []
    for name in names:
        entry = bakeoff.ENTRIES[name]
        for seed in seeds:
            r = train_one(name, split, seed, entry.lr)
            runs.append({"model": name, "seed": seed, "lr": entry.lr, "val acc (%)": round(100 * r.val_acc, 2),
                         "test acc (%)": round(100 * r.test_acc, 2), "train s": round(r.seconds, 2),
                         "train images/s": round(r.images_per_s, 1)})
            print(f"{name:18s} seed {seed}  {r}", flush=True)
    runs_table = pd.DataFrame(runs)
    runs_table.to_csv(out / "bakeoff_runs.csv", index=False)
    when, where = datetime.date.today().isoformat(), machine()
    rows = []
    for name in names:
        entry, mine = bakeoff.ENTRIES[name], runs_table[runs_table["model"] == name]
        c = costs.count(bakeoff.build(name), (1, 3, 32, 32))
        acc = mine["test acc (%)"].tolist()
        rows.append({
            "model": name, "chapter": entry.chapter, "params": c.params, "MACs": c.macs, "lr": entry.lr,
            "seeds": len(acc), "test acc mean (%)": round(statistics.mean(acc), 2),
            "test acc std (%)": round(statistics.stdev(acc), 2) if len(acc) > 1 else 0.0,
            "val acc mean (%)": round(mine["val acc (%)"].mean(), 2),
            "train images/s": round(mine["train images/s"].mean(), 1), "train s": round(mine["train s"].mean(), 2),
            "protocol": split.protocol.name, "images seen": split.protocol.images_seen, "data": split.fingerprint,
            "machine": where, "date": when,
        })
    table = pd.DataFrame(rows)
    table.to_csv(out / "bakeoff.csv", index=False)
    print(table.drop(columns=["machine", "date"]).to_string(index=False))
    print(f"machine: {where}; date: {when}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tune", action="store_true", help="choose learning rates on the validation split")
    parser.add_argument("--models", nargs="*", help="entries to train (default: all; with --tune, the tuned ones)")
    parser.add_argument("--lrs", nargs="*", type=float, help="with --tune: these learning rates instead of the grid")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 … N-1 (default 3)")
    parser.add_argument("--smoke", action="store_true", help="a tiny protocol (seconds), for the tests")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the CSV files")
    args = parser.parse_args()
    p = protocol.CPU
    if args.smoke:
        p = p.scaled(train_per_class=3, val_per_class=1, test_per_class=2, epochs=1, batch_size=8)
    split = protocol.load(p)
    print(p, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if args.tune:
        tune(split, args.models or list(TUNE_GRID), args.out, args.lrs)
    else:
        bake(split, args.models or list(bakeoff.ENTRIES), list(range(args.seeds)), args.out)
    print(f"wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
