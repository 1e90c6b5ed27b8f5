"""The course protocol and the bake-off: splits, the budget switch, and the committed results."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from cnncourse import bakeoff, costs, data, protocol

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "cnncourse" / "results"
TINY = dict(train_per_class=3, val_per_class=1, test_per_class=2, epochs=1, batch_size=8)


def test_validation_is_carved_from_training_images_and_disjoint(image_folder: Path) -> None:
    split = protocol.load(protocol.CPU.scaled(**TINY), root=image_folder)
    t, v = split.train.x_train, split.train.x_test
    assert (len(t), len(v), len(split.x_test)) == (30, 10, 20)
    assert split.train.y_train.bincount().tolist() == [3] * 10 and split.train.y_test.bincount().tolist() == [1] * 10
    flat = lambda x: {bytes(img.flatten().tolist()) for img in x}  # noqa: E731
    train_set, val_set, test_set = flat(t), flat(v), flat(split.x_test)
    assert not train_set & val_set and not val_set & test_set and not train_set & test_set
    # the validation images are training-split images (the 4th of each class), never test images
    every_train = data.cifar10_subset(4, 2, root=image_folder).x_train
    assert val_set <= flat(every_train) and train_set <= flat(every_train)


def test_budget_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(protocol.ENV_BUDGET, raising=False)
    assert protocol.current("cpu") is protocol.CPU
    assert protocol.current("cuda") is protocol.FULL  # auto: the full protocol on a GPU
    monkeypatch.setenv(protocol.ENV_BUDGET, "full")
    assert protocol.current("cpu") is protocol.FULL
    monkeypatch.setenv(protocol.ENV_BUDGET, "CPU")
    assert protocol.current("cuda") is protocol.CPU
    monkeypatch.setenv(protocol.ENV_BUDGET, "fast")
    with pytest.raises(ValueError, match="CNNCOURSE_BUDGET='fast' is not a protocol; use one of cpu, full"):
        protocol.current()


def test_protocol_sizes_and_budget() -> None:
    assert protocol.CPU.images_seen == 2 * (9000 // 128) * 128 == 17_920
    assert protocol.FULL.train_per_class + protocol.FULL.val_per_class == 5000  # all of CIFAR-10's training set
    assert protocol.FULL.test_per_class == 1000 and protocol.FULL.augment
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        protocol.CPU.scaled(epochs=0)


@pytest.mark.parametrize("base", [protocol.CPU, protocol.FULL], ids=["cpu", "full"])
def test_every_protocol_branch_runs_end_to_end(base: protocol.Protocol, image_folder: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """What a Colab GPU student runs (the full protocol, with augmentation) runs here in miniature."""
    monkeypatch.setenv(protocol.ENV_BUDGET, base.name)
    chosen = protocol.current()
    assert chosen is base
    split = protocol.load(chosen.scaled(**TINY), root=image_folder)
    result = protocol.run(bakeoff.build("ResNet-8", seed=0), split, lr=0.1, seed=0, device="cpu",
                          progress=False, verbose=False)
    assert 0.0 <= result.test_acc <= 1.0 and result.seconds > 0 and result.images_per_s > 0
    assert result.protocol == f"{base.name} (scaled)" and len(result.history.epoch) == 1
    again = protocol.run(bakeoff.build("ResNet-8", seed=0), split, lr=0.1, seed=0, device="cpu",
                         progress=False, verbose=False)
    assert again.test_loss == result.test_loss  # a run is a function of the seed


def test_full_protocol_needs_the_full_data_and_says_so(image_folder: Path) -> None:
    with pytest.raises(ValueError, match="asked for 5000 images per class"):
        protocol.load(protocol.FULL, root=image_folder)


def test_every_entry_builds_and_fits_cifar() -> None:
    assert {e.chapter for e in bakeoff.ENTRIES.values()} == set(range(1, 12))
    for name in bakeoff.ENTRIES:
        model = bakeoff.build(name).eval()
        with torch.no_grad():
            assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10), name
    a, b = bakeoff.build("ResNet-8", seed=1), bakeoff.build("ResNet-8", seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    with pytest.raises(ValueError, match="no bake-off entry 'ResNet-9'"):
        bakeoff.build("ResNet-9")


# --- the committed results ------------------------------------------------------------------------

def test_committed_bakeoff_matches_the_registry() -> None:
    table = bakeoff.results()
    assert list(table.index) == list(bakeoff.ENTRIES), "rerun benchmarks/bakeoff.py: entries changed"
    assert len(table) >= 12 and (table["seeds"] >= 3).all() and (table["protocol"] == "cpu").all()
    assert (table["images seen"] == protocol.CPU.images_seen).all()
    for name, row in table.iterrows():
        c = costs.count(bakeoff.build(name), (1, 3, 32, 32))
        assert (row["params"], row["MACs"]) == (c.params, c.macs), f"{name}: the model changed since the bake-off"
        assert row["lr"] == bakeoff.ENTRIES[name].lr and row["chapter"] == bakeoff.ENTRIES[name].chapter
    assert (table["test acc mean (%)"] > 20).all()  # every model learned: chance is 10%


def test_fingerprint_tells_the_bakeoff_data_from_any_other_copy(image_folder: Path, batches_folder: Path) -> None:
    """Equal images give equal fingerprints; a single pixel moved by one gives another."""
    tiny = protocol.CPU.scaled(**TINY)
    a, b = protocol.load(tiny, root=image_folder), protocol.load(tiny, root=image_folder, cache=False)
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 16
    moved = protocol.Split(a.protocol, a.train, a.x_test.clone(), a.y_test)
    moved.x_test[0, 0, 0, 0] ^= 1
    assert moved.fingerprint != a.fingerprint
    assert protocol.load(tiny, root=batches_folder).fingerprint != a.fingerprint


def test_same_data_is_true_only_for_the_bakeoffs_own_images(image_folder: Path) -> None:
    table = bakeoff.results()
    assert table["data"].nunique() == 1, "every bake-off row was trained on the same data"
    tiny = protocol.load(protocol.CPU.scaled(**TINY), root=image_folder)
    assert not bakeoff.same_data(tiny)
    if os.environ.get("CNNCOURSE_DATA"):  # the offline JPEG subset the bake-off was run on (CI, make test)
        split = protocol.load(protocol.CPU)
        assert "image folder" in repr(split.train)
        assert split.fingerprint == table["data"].iloc[0] and bakeoff.same_data(split)


def test_summary_is_the_runs_aggregated() -> None:
    table, runs = bakeoff.results(), pd.read_csv(RESULTS / "bakeoff_runs.csv")
    for name, row in table.iterrows():
        acc = runs.loc[runs["model"] == name, "test acc (%)"]
        assert list(runs.loc[runs["model"] == name, "seed"]) == list(range(row["seeds"]))
        assert row["test acc mean (%)"] == pytest.approx(acc.mean(), abs=0.006)
        assert row["test acc std (%)"] == pytest.approx(acc.std(ddof=1), abs=0.006)


def test_learning_rates_were_chosen_on_validation() -> None:
    tuned = pd.read_csv(RESULTS / "bakeoff_lr.csv")
    assert "test" not in " ".join(tuned.columns)  # the choice never saw the test set
    chosen = tuned[tuned["chosen"]].set_index("model")["lr"]
    assert bakeoff.BN_LR == chosen[bakeoff.BASELINE]
    for name, entry in bakeoff.ENTRIES.items():
        assert entry.lr == chosen.get(name, chosen[bakeoff.BASELINE]), name
    best = tuned.loc[tuned.groupby("model")["val acc (%)"].idxmax()].set_index("model")["lr"]
    assert best.sort_index().equals(chosen.sort_index())


def test_benchmarks_results_link_to_the_package_copy() -> None:
    link = ROOT / "benchmarks" / "results" / "bakeoff.csv"
    assert link.resolve() == (RESULTS / "bakeoff.csv").resolve()


def test_bakeoff_script_smoke(tmp_path: Path, image_folder: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "CNNCOURSE_DATA": str(image_folder)}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bakeoff.py"), "--smoke", "--seeds", "2",
                           "--models", "LeNet-5", "ResNet-8", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "bakeoff.csv").set_index("model")
    assert list(table.index) == ["LeNet-5", "ResNet-8"] and (table["seeds"] == 2).all()
    assert len(pd.read_csv(out / "bakeoff_runs.csv")) == 4


# --- the chapters ---------------------------------------------------------------------------------

def _code(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("chapter", range(1, 12))
def test_every_chapter_trains_its_entry_under_the_protocol_and_shows_its_row(chapter: int) -> None:
    path = next((ROOT / "notebooks").glob(f"{chapter:02d}_*.ipynb"))
    code = _code(path)
    assert "protocol.load()" in code and "protocol.run(" in code, f"{path.name}: no protocol run"
    assert "bakeoff.compare(" in code and "bakeoff.ENTRIES[NAME].lr" in code, path.name
    names = [name for name, e in bakeoff.ENTRIES.items() if e.chapter == chapter]
    assert any(f'NAME = "{name}"' in code for name in names), f"{path.name} trains none of {names}"
    assert "train.fit(" not in code.split("protocol.run(")[1], f"{path.name}: an unprotocolled run after the main one"


def test_no_result_placeholder_is_left_in_any_notebook() -> None:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert "<!-- RESULT" not in path.read_text(), path.name


def test_chapter_13_shows_the_measured_bakeoff() -> None:
    nb = json.loads(next((ROOT / "notebooks").glob("13_*.ipynb")).read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "bench = bakeoff.results()" in "".join(c["source"]))
    shown = "".join("".join(o["data"]["text/plain"]) if "data" in o else "" for o in cell["outputs"])
    assert all(name in shown for name in bakeoff.ENTRIES), "the stored table misses a bake-off row"


def test_the_results_ship_with_the_package() -> None:
    """Colab installs the package from git without the benchmarks folder: the CSVs must be package data."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'cnncourse = ["results/*.csv"]' in pyproject
    for name in ("bakeoff.csv", "bakeoff_runs.csv", "bakeoff_lr.csv"):
        assert (RESULTS / name).is_file() and not (RESULTS / name).is_symlink()
