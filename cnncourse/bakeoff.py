"""The bake-off: one CIFAR-sized model per family, trained under the course protocol.

Every chapter's main training run trains its family's entry below under :mod:`cnncourse.protocol`,
and ``benchmarks/bakeoff.py`` trains every entry for several seeds and writes the results that
:func:`results` reads (``cnncourse/results/bakeoff.csv``, also reachable as
``benchmarks/results/bakeoff.csv``). Chapters show their row beside the baseline's with
:func:`compare`.

The sizes are chosen so that every model trains in about a minute or less on two CPU cores;
they are small versions of each family's idea, not the papers' networks. The peak learning rate
of each entry was chosen on the protocol's *validation* split (``benchmarks/bakeoff.py --tune``,
figures in ``cnncourse/results/bakeoff_lr.csv``): one value for the BatchNorm networks (tuned on
the baseline) and one each for the networks without BatchNorm (LeNet-5, AlexNet) and with
LayerNorm (ConvNeXt).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from torch import nn

from . import models
from .utils import seed_everything

BASELINE = "ResNet-8"


@dataclass(frozen=True)
class Entry:
    """One bake-off model: its family's chapter, how to build it, and its peak learning rate."""

    name: str
    chapter: int
    build: Callable[[], nn.Module]
    lr: float
    description: str


def _resnet(depths: tuple[int, ...], widths: tuple[int, ...], block: type[nn.Module] = models.BasicBlock,
            **kwargs: object) -> Callable[[], nn.Module]:
    """A builder of a CIFAR ResNet (3×3 stem, no max-pool) with these blocks per stage and widths."""
    def build() -> nn.Module:
        return models.ResNet(block, depths, widths=widths, num_classes=10, small_input=True, **kwargs)  # type: ignore[arg-type]
    return build


BN_LR = 0.2  # chosen on the validation split with the baseline (bakeoff_lr.csv)

ENTRIES: dict[str, Entry] = {e.name: e for e in [
    Entry("LeNet-5", 1, lambda: models.lenet5(in_channels=3, modern=True), 0.1,
          "modern LeNet-5 (ReLU, max-pool), 3 input channels"),
    Entry("AlexNet", 2, lambda: models.alexnet(num_classes=10, small_input=True, width=0.25, dropout=0.0), 0.1,
          "CIFAR AlexNet, width 0.25, no dropout"),
    Entry("VGG-11-BN", 3, lambda: models.vgg11_bn(num_classes=10, small_input=True, width=0.25), BN_LR,
          "VGG-11 with BatchNorm, width 0.25"),
    Entry("GoogLeNet", 4, lambda: models.googlenet(num_classes=10, small_input=True, width=0.25, stem_pool=True),
          BN_LR, "GoogLeNet, width 0.25, inception stages at 16, 8, 4 px"),
    Entry("ResNet-8", 5, _resnet((1, 1, 1), (16, 32, 64)), BN_LR,
          "the paper's CIFAR ResNet with n = 1 (6n + 2 = 8 layers), 16-32-64 filters"),
    Entry("ResNet-20", 5, lambda: models.resnet20(), BN_LR, "the paper's CIFAR ResNet-20 (n = 3)"),
    Entry("WRN-8 (k = 1.75)", 6, _resnet((1, 1, 1), (28, 56, 112)), BN_LR,
          "ResNet-8 widened 1.75×: about ResNet-20's MACs, shallow and wide"),
    Entry("ResNeXt-11 (8×4d)", 6, _resnet((1, 1, 1), (8, 16, 32), block=models.Bottleneck, groups=8,
                                          width_per_group=32), BN_LR,
          "one bottleneck block per stage, 8 groups of 4 channels: about ResNet-8's MACs"),
    Entry("DenseNet-BC", 7, lambda: models.DenseNet(16, (0, 2, 4, 6), 64, num_classes=10, small_input=True), BN_LR,
          "DenseNet-BC, growth 16, dense blocks of 2, 4, 6 layers"),
    Entry("SE-ResNet-8", 8, _resnet((1, 1, 1), (16, 32, 64), se_ratio=4), BN_LR, "ResNet-8 with SE units, r = 4"),
    Entry("MobileNetV2", 9, lambda: models.mobilenet_v2(num_classes=10, small_input=True, width_mult=0.35), BN_LR,
          "CIFAR MobileNetV2, width multiplier 0.35"),
    Entry("EfficientNet", 10, lambda: models.EfficientNet(0.25, 0.25, small_input=True, num_classes=10, dropout=0.0,
                                                          drop_path_rate=0.0), BN_LR,
          "EfficientNet-B0 scaled to width 0.25, depth 0.25"),
    Entry("ConvNeXt", 11, lambda: models.ConvNeXt((24, 48, 96, 192), (1, 1, 3, 1), small_input=True, num_classes=10,
                                                  drop_path_rate=0.0, layer_scale=1.0), 0.05,
          "ConvNeXt with 24-48-96-192 channels, 1-1-3-1 blocks, layer scale 1"),
]}


def build(name: str, seed: int = 0) -> nn.Module:
    """The entry's model with the initial weights of ``seed`` (seeds every generator first)."""
    try:
        entry = ENTRIES[name]
    except KeyError:
        raise ValueError(f"no bake-off entry {name!r}; choose one of: {', '.join(ENTRIES)}") from None
    seed_everything(seed)
    return entry.build()


def _read(name: str):  # -> pandas.DataFrame
    import pandas as pd

    with resources.files("cnncourse").joinpath(f"results/{name}").open() as f:
        return pd.read_csv(f)


def results():  # -> pandas.DataFrame
    """The bake-off table: one row per model (mean and std over the seeds), indexed by name."""
    return _read("bakeoff.csv").set_index("model")


def runs():  # -> pandas.DataFrame
    """Every bake-off run: one row per (model, seed), with its validation and test accuracy."""
    return _read("bakeoff_runs.csv")


def difference(name: str, other: str = BASELINE) -> tuple[float, float]:
    """Mean test accuracy of ``name`` minus that of ``other`` (points) and the standard error of that
    difference, sqrt(s1²/n1 + s2²/n2), from the bake-off's seeds. |difference| > 2 standard errors is
    the course's yardstick for a gap that the seeds' spread alone is unlikely to produce."""
    table = results()
    a, b = table.loc[name], table.loc[other]
    diff = a["test acc mean (%)"] - b["test acc mean (%)"]
    se = (a["test acc std (%)"] ** 2 / a["seeds"] + b["test acc std (%)"] ** 2 / b["seeds"]) ** 0.5
    return float(diff), float(se)


def same_data(split) -> bool:  # split: a protocol.Split
    """Whether ``split`` holds exactly the images the bake-off was trained on, under the same protocol.

    Only then can a chapter's run repeat a bake-off run; with another copy of CIFAR-10 (a torchvision
    download, whose pixels differ slightly from the course's JPEG subset) it is a new run.
    """
    table = results()
    same_protocol = (table["protocol"] == split.protocol.name).all()
    return bool(same_protocol and (table["data"] == split.fingerprint).all())


def seed_run(name: str, seed: int = 0) -> float:
    """Test accuracy (%) of the bake-off's run of ``name`` with ``seed``: what a chapter's run reproduces."""
    table = runs()
    match = table[(table["model"] == name) & (table["seed"] == seed)]
    if match.empty:
        raise KeyError(f"the bake-off has no run of {name!r} with seed {seed}")
    return float(match["test acc (%)"].iloc[0])


def compare(*names: str, baseline: str = BASELINE):  # -> pandas.DataFrame
    """The baseline's row and those of ``names``, in the columns a chapter shows."""
    import pandas as pd

    table = results()
    rows = [baseline] + [n for n in names if n != baseline]
    missing = [n for n in rows if n not in table.index]
    if missing:
        raise KeyError(f"{missing} not in the bake-off results; run benchmarks/bakeoff.py")
    shown = table.loc[rows]
    return pd.DataFrame({
        "params": shown["params"], "MMACs": (shown["MACs"] / 1e6).round(2),
        "test acc mean (%)": shown["test acc mean (%)"], "std (%)": shown["test acc std (%)"],
        "seeds": shown["seeds"], "images/s": shown["train images/s"].round(0).astype(int),
        "train s": shown["train s"].round(1),
    })
