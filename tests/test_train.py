"""The training loop: learning, determinism, checkpoints and resume, augmentation, AMP paths."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

import cnncourse
from cnncourse import plots, train
from cnncourse.data import CIFARSubset, CLASSES


def tiny_data(n_train: int = 64, n_test: int = 32, seed: int = 0) -> CIFARSubset:
    """Random images whose class is written into their mean brightness: learnable in a few steps."""
    g = torch.Generator().manual_seed(seed)

    def make(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.arange(n) % 10
        x = torch.randint(0, 60, (n, 3, 32, 32), generator=g) + (y * 20).view(-1, 1, 1, 1)
        return x.to(torch.uint8), y

    x_train, y_train = make(n_train)
    x_test, y_test = make(n_test)
    return CIFARSubset(x_train, y_train, x_test, y_test, CLASSES, "synthetic")


def small_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10),
    )


FAST = dict(batch_size=16, lr=0.1, progress=False, verbose=False, device="cpu")


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_loss_falls_and_accuracy_rises() -> None:
    history = train.fit(small_net(), tiny_data(), epochs=12, augment=False, **FAST)
    assert history.train_loss[-1] < 0.8 * history.train_loss[0]
    assert history.final_test_acc > 0.3  # chance is 0.1
    assert history.epoch == list(range(1, 13))
    assert all(s > 0 for s in history.seconds) and all(r > 0 for r in history.images_per_s)
    assert history.lr[-1] < history.lr[len(history.lr) // 2]  # the schedule decays


def test_same_seed_same_weights_other_seed_different() -> None:
    a, b, c = small_net(), small_net(), small_net()
    ha = train.fit(a, tiny_data(), epochs=2, seed=3, **FAST)
    hb = train.fit(b, tiny_data(), epochs=2, seed=3, **FAST)
    train.fit(c, tiny_data(), epochs=2, seed=4, **FAST)
    assert same_weights(a, b) and ha.train_loss == hb.train_loss
    assert not same_weights(a, c)


def test_resume_after_interruption_gives_identical_weights(tmp_path: Path) -> None:
    uninterrupted = small_net()
    full = train.fit(uninterrupted, tiny_data(), epochs=4, **FAST)

    ckpt = tmp_path / "run" / "lenet.pt"

    def stop_after_two(history: train.History) -> None:
        if history.epoch[-1] == 2:
            raise KeyboardInterrupt  # what a student's "stop" button does

    interrupted = small_net()
    with pytest.raises(KeyboardInterrupt):
        train.fit(interrupted, tiny_data(), epochs=4, checkpoint=ckpt, on_epoch_end=stop_after_two, **FAST)
    assert torch.load(ckpt, weights_only=True)["epoch"] == 2

    resumed_model = small_net(seed=123)  # different initial weights: all state must come from the checkpoint
    resumed = train.fit(resumed_model, tiny_data(), epochs=4, checkpoint=ckpt, resume=True, **FAST)
    assert same_weights(resumed_model, uninterrupted)
    assert resumed.epoch == full.epoch and resumed.train_loss == full.train_loss
    assert resumed.test_acc == full.test_acc
    assert [p.name for p in ckpt.parent.iterdir()] == ["lenet.pt"]  # no temporary files left


def test_existing_checkpoint_is_never_overwritten(tmp_path: Path) -> None:
    ckpt = tmp_path / "model.pt"
    train.fit(small_net(), tiny_data(), epochs=1, checkpoint=ckpt, **FAST)
    before = ckpt.read_bytes()
    msg = (f"checkpoint {ckpt} already exists and fit() never overwrites trained work. "
           "Pass resume=True to continue that run, or choose another checkpoint path.")
    with pytest.raises(FileExistsError, match=re.escape(msg)):
        train.fit(small_net(), tiny_data(), epochs=1, checkpoint=ckpt, **FAST)
    assert ckpt.read_bytes() == before


def test_resume_with_other_settings_is_refused(tmp_path: Path) -> None:
    ckpt = tmp_path / "model.pt"
    train.fit(small_net(), tiny_data(), epochs=1, checkpoint=ckpt, **FAST)
    msg = f"cannot resume from {ckpt}: the run's settings differ (epochs: 1 in the checkpoint vs 3 now)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        train.fit(small_net(), tiny_data(), epochs=3, checkpoint=ckpt, resume=True, **FAST)


def test_finished_checkpoint_resumes_to_same_history(tmp_path: Path) -> None:
    ckpt = tmp_path / "model.pt"
    first = train.fit(small_net(), tiny_data(), epochs=2, checkpoint=ckpt, **FAST)
    again = train.fit(small_net(), tiny_data(), epochs=2, checkpoint=ckpt, resume=True, **FAST)
    assert again.to_dict() == first.to_dict()


def test_failed_checkpoint_write_keeps_the_previous_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ckpt = tmp_path / "model.pt"
    calls = {"n": 0}

    def stop_after_one(history: train.History) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            def broken_save(obj: object, f: object) -> None:
                f.write(b"partial")  # type: ignore[attr-defined]
                raise OSError("disk full")
            monkeypatch.setattr(torch, "save", broken_save)

    with pytest.raises(OSError, match="disk full"):
        train.fit(small_net(), tiny_data(), epochs=3, checkpoint=ckpt, on_epoch_end=stop_after_one, **FAST)
    monkeypatch.undo()
    assert torch.load(ckpt, weights_only=True)["epoch"] == 1  # epoch 1's checkpoint is intact
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_random_crop_flip_is_a_shifted_possibly_flipped_crop() -> None:
    x = torch.randn(16, 3, 8, 8)
    out = train.random_crop_flip(x, torch.Generator().manual_seed(0), padding=2)
    assert out.shape == x.shape and out.is_contiguous(memory_format=torch.channels_last)
    padded = nn.functional.pad(x, (2, 2, 2, 2), mode="reflect")
    flips = 0
    for i in range(len(x)):
        matches = [(dy, dx, f) for dy in range(5) for dx in range(5) for f in (False, True)
                   if torch.equal(out[i], (lambda c: c.flip(-1) if f else c)(padded[i, :, dy:dy + 8, dx:dx + 8]))]
        assert matches, f"image {i} is not a crop of its padded original"
        flips += matches[0][2]
    assert 0 < flips < len(x)


def test_bfloat16_autocast_and_contiguous_paths_run_on_cpu() -> None:
    """The autocast branch Colab's GPU takes, exercised on the CPU with bfloat16; also channels_last=False."""
    h = train.fit(small_net(), tiny_data(), epochs=2, amp=True, channels_last=False, **FAST)
    assert all(torch.isfinite(torch.tensor(h.train_loss)))
    assert train._amp_dtype(torch.device("cpu")) is torch.bfloat16  # so no gradient scaler is needed


@pytest.mark.parametrize("gpu, capability, expected", [
    ("Tesla T4 (free Colab)", (7, 5), torch.float16),
    ("A100", (8, 0), torch.bfloat16),
    ("H100", (9, 0), torch.bfloat16),
])
def test_cuda_autocast_dtype_follows_compute_capability(monkeypatch, gpu, capability, expected) -> None:
    """bfloat16 only from sm_80 on; a T4 gets float16 even though is_bf16_supported() says True (emulation)."""
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    asked = []
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda d=None: asked.append(d) or capability)
    assert train._amp_dtype(torch.device("cuda")) is expected, gpu
    assert train._amp_dtype(torch.device("cuda", 1)) is expected, gpu
    assert asked == [0, 1]  # the capability of the device that trains, not of device 0 only


def test_evaluate_counts_correct_predictions() -> None:
    data = tiny_data()
    model = small_net().eval()
    loss, acc = train.evaluate(model, data.x_test, data.y_test, batch_size=7)
    with torch.no_grad():
        logits = model(cnncourse.data.normalize(data.x_test))
    assert acc == (logits.argmax(1) == data.y_test).float().mean().item()
    assert loss == pytest.approx(nn.functional.cross_entropy(logits, data.y_test).item(), rel=1e-5)


def test_warmup_then_linear_decay() -> None:
    f = [train.warmup_linear_decay(s, warmup_steps=2, total_steps=6) for s in range(6)]
    assert f == [0.5, 1.0, 1.0, 0.75, 0.5, 0.25]


def test_history_helpers_and_plot() -> None:
    h = train.History()
    with pytest.raises(ValueError, match="the history is empty"):
        _ = h.final_test_acc
    h = train.fit(small_net(), tiny_data(), epochs=2, **FAST)
    assert list(h.to_frame().index) == [1, 2]
    fig = plots.plot_history({"a": h, "b": h})
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) == 5  # 2 runs × (train, test) + chance line


@pytest.mark.parametrize("bad, error, message", [
    ({"epochs": 0}, ValueError, "epochs must be at least 1; got 0."),
    ({"epochs": 2.0}, TypeError, "epochs must be a whole number; got 2.0 (float), e.g. epochs=2."),
    ({"batch_size": 16.5}, TypeError, "batch_size must be a whole number; got 16.5 (float), e.g. batch_size=16."),
    ({"lr": float("nan")}, ValueError, "lr must be a finite number in (0, inf); got lr=nan."),
    ({"lr": float("inf")}, ValueError, "lr must be a finite number in (0, inf); got lr=inf."),
    ({"lr": -0.1}, ValueError, "lr must be a finite number in (0, inf); got lr=-0.1."),
    ({"warmup": 1.5}, ValueError, "warmup must be a finite number in [0, 1]; got warmup=1.5."),
    ({"momentum": 1.0}, ValueError, "momentum must be a finite number in [0, 1); got momentum=1.0."),
    ({"label_smoothing": "0.1"}, TypeError, "label_smoothing must be a number; got '0.1' (str)."),
])
def test_bad_hyperparameters_are_refused_before_training(bad, error, message) -> None:
    with pytest.raises(error) as err:
        train.fit(small_net(), tiny_data(), **{**FAST, "epochs": 1, **bad})
    assert str(err.value) == message


def test_divergence_stops_at_once_and_says_why() -> None:
    """lr=1e6 without BatchNorm: the loss explodes; fit stops at the first non-finite loss."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 64), nn.ReLU(), nn.Linear(64, 10))
    with pytest.raises(train.TrainingDiverged) as err:
        train.fit(net, tiny_data(), epochs=30, **{**FAST, "lr": 1e6})
    assert re.fullmatch(r"the training loss became (nan|inf) at epoch \d+, step \d of 4: training diverged, and "
                        r"fit\(\) stopped\. Most often the learning rate \(lr=1e\+06\) is too high for the network, "
                        r"above all for one without BatchNorm \(LeNet-5, AlexNet, a plain VGG\): try lr=100000\. "
                        r"Also check that the model's output is finite on a batch of inputs\. Nothing of this run "
                        r"was saved\.", str(err.value)), str(err.value)


def test_divergence_keeps_the_last_finite_checkpoint(tmp_path: Path) -> None:
    """The loss turns NaN in epoch 2: the checkpoint on disk is epoch 1's, with finite weights."""
    class Breaks(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net, self.broken = small_net(), False

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.net(x)
            return out * float("nan") if self.broken else out

    model, ckpt = Breaks(), tmp_path / "run.pt"

    def break_after_epoch_1(h: train.History) -> None:
        model.broken = True

    with pytest.raises(train.TrainingDiverged) as err:
        train.fit(model, tiny_data(), epochs=3, checkpoint=ckpt, on_epoch_end=break_after_epoch_1, **FAST)
    assert str(err.value).startswith("the training loss became nan at epoch 2, step 1 of 4")
    assert str(err.value).endswith(f"The checkpoint {ckpt} still holds the last finished epoch.")
    saved = torch.load(ckpt, weights_only=True)
    assert saved["epoch"] == 1 and all(torch.isfinite(v.float()).all() for v in saved["model"].values())


def test_a_model_whose_output_is_nan_is_stopped_in_the_first_step() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(1, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x.mean((1, 2, 3))[:, None]) * float("nan")

    with pytest.raises(train.TrainingDiverged, match=re.escape("the training loss became nan at epoch 1, step 1 of 4")):
        train.fit(Broken(), tiny_data(), epochs=1, **FAST)


def bad_images(case: str):  # -> (x_train, y_train): what a student might put in a CIFARSubset
    d = tiny_data()
    x, y = d.x_train, d.y_train
    x, y = {
        "float [0, 1]": (x.float() / 255, y),
        "channels last": (x.permute(0, 2, 3, 1).contiguous(), y),
        "flattened": (x.flatten(1), y),
        "fewer labels": (x, y[:-1]),
        "float labels": (x, y.float()),
        "label 10": (x, torch.where(y == 9, 10, y)),
        "label -1": (x, torch.where(y == 0, -1, y)),
    }[case]
    return x, y


@pytest.mark.parametrize("case, error, message", [
    ("float [0, 1]", TypeError, "the training split: images must be uint8 pixel values 0–255, as cifar10_subset "
     "returns them; got torch.float32. The trainer normalises them itself, so pass the raw pixels (if you "
     "scaled them to [0, 1], undo it: (x * 255).round().to(torch.uint8))."),
    ("channels last", ValueError, "the training split: images look channels-last, shape (64, 32, 32, 3) = "
     "(N, H, W, C); the trainer needs (N, C, H, W): use x.permute(0, 3, 1, 2)."),
    ("flattened", ValueError, "the training split: images are flattened, shape (64, 3072); reshape them "
     "to (N, 3, 32, 32) with x.view(-1, 3, 32, 32)."),
    ("fewer labels", ValueError, "the training split: expected one label per image, 64 labels in a 1-D "
     "tensor; got labels of shape (63,)."),
    ("float labels", TypeError, "the training split: labels must be integer class indices; got "
     "torch.float32. Use y.long()."),
    ("label 10", ValueError, "the training labels (10 classes): labels must lie in [0, 10) for 10 classes; "
     "found labels from 0 to 10."),
    ("label -1", ValueError, "the training labels (10 classes): labels must lie in [0, 10) for 10 classes; "
     "found labels from -1 to 9."),
])
def test_wrong_images_and_labels_get_one_clear_error(case, error, message) -> None:
    """Refused when the subset is built, and by fit for any object with the same attributes."""
    from types import SimpleNamespace

    x, y = bad_images(case)
    d = tiny_data()
    with pytest.raises(error) as err:
        CIFARSubset(x, y, d.x_test, d.y_test, CLASSES, "synthetic")
    assert str(err.value) == "CIFARSubset: " + message
    duck = SimpleNamespace(x_train=x, y_train=y, x_test=d.x_test, y_test=d.y_test, classes=CLASSES)
    with pytest.raises(error) as err:
        train.fit(small_net(), duck, epochs=1, **FAST)
    assert str(err.value) == "fit: " + message.replace("the training split: ", "the training images: ")


def test_evaluate_checks_labels_against_the_model_outputs() -> None:
    d = tiny_data()
    with pytest.raises(TypeError, match=re.escape("evaluate: images must be uint8")):
        train.evaluate(small_net(), d.x_test.float(), d.y_test)
    with pytest.raises(ValueError, match=re.escape("evaluate (the model has 10 outputs): labels must lie in [0, 10) "
                                                   "for 10 classes; found labels from 3 to 12.")):
        train.evaluate(small_net(), d.x_test, d.y_test + 3)


def test_grayscale_images_get_told_what_to_do() -> None:
    d = tiny_data()
    gray = CIFARSubset(d.x_train[:, :1], d.y_train, d.x_test[:, :1], d.y_test, CLASSES, "synthetic")
    with pytest.raises(ValueError, match=re.escape("Grayscale images (B, 1, H, W): repeat them to three channels with "
                                                   "x.expand(-1, 3, -1, -1) and build the model for 3 channels (e.g. "
                                                   "lenet5(in_channels=3)).")):
        train.fit(cnncourse.models.lenet5(), gray, epochs=1, **FAST)
    rgb = CIFARSubset(gray.x_train.expand(-1, 3, -1, -1), d.y_train, gray.x_test.expand(-1, 3, -1, -1), d.y_test,
                      CLASSES, "synthetic")
    assert train.fit(cnncourse.models.lenet5(in_channels=3), rgb, epochs=1, **FAST).epoch == [1]


def test_checkpoint_path_problems_are_found_before_training(tmp_path: Path) -> None:
    calls = []
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    cases = [
        (tmp_path / "folder", IsADirectoryError,
         f"checkpoint={str(tmp_path / 'folder')!r} is a folder; give a file in it, e.g. {str(tmp_path / 'folder' / 'run.pt')!r}."),
        (tmp_path / "file" / "run.pt", NotADirectoryError,
         f"cannot write checkpoint {tmp_path / 'file' / 'run.pt'}: {tmp_path / 'file'} is a file, not a folder. "
         "Choose a checkpoint path in a folder."),
    ]
    for path, error, message in cases:
        with pytest.raises(error) as err:
            train.fit(small_net(), tiny_data(), epochs=1, checkpoint=path, on_epoch_end=calls.append, **FAST)
        assert str(err.value) == message
    assert calls == []  # no epoch was trained


def test_resume_without_a_checkpoint_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape("resume=True needs the checkpoint= path of the run to continue.")):
        train.fit(small_net(), tiny_data(), epochs=1, resume=True, **FAST)
    missing = tmp_path / "nothing.pt"
    with pytest.raises(FileNotFoundError) as err:
        train.fit(small_net(), tiny_data(), epochs=1, checkpoint=missing, resume=True, **FAST)
    assert str(err.value) == (f"resume=True but there is no checkpoint at {missing} to resume. Check the path, "
                              "or drop resume=True to start a new run there.")


def test_resume_refuses_other_data_another_model_and_other_amp(tmp_path: Path) -> None:
    ckpt = tmp_path / "run.pt"
    train.fit(small_net(), tiny_data(), epochs=2, checkpoint=ckpt, **FAST)
    with pytest.raises(train.CheckpointError, match=re.escape(
            f"cannot resume from {ckpt}: it was trained on other data (not the images and labels given now).")):
        train.fit(small_net(), tiny_data(seed=1), epochs=2, checkpoint=ckpt, resume=True, **FAST)
    wider = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    with pytest.raises(train.CheckpointError, match=re.escape(f"cannot resume from {ckpt}: it was written for another model")):
        train.fit(wider, tiny_data(), epochs=2, checkpoint=ckpt, resume=True, **FAST)
    with pytest.raises(train.CheckpointError, match=re.escape("(amp: False in the checkpoint vs True now)")):
        train.fit(small_net(), tiny_data(), epochs=2, checkpoint=ckpt, resume=True, amp=True, **FAST)


@pytest.mark.parametrize("damage", ["half", "empty", "text", "random", "plain state_dict"])
def test_damaged_checkpoint_is_named_with_the_fix(tmp_path: Path, damage: str) -> None:
    ckpt = tmp_path / "run.pt"
    train.fit(small_net(), tiny_data(), epochs=1, checkpoint=ckpt, **FAST)
    raw = ckpt.read_bytes()
    if damage == "plain state_dict":
        torch.save(small_net().state_dict(), ckpt)
    else:
        ckpt.write_bytes({"half": raw[: len(raw) // 2], "empty": b"", "text": b"not a checkpoint\n",
                          "random": bytes(range(256)) * 40}[damage])
    with pytest.raises(train.CheckpointError) as err:
        train.fit(small_net(), tiny_data(), epochs=2, checkpoint=ckpt, resume=True, **FAST)
    assert str(err.value).startswith(f"checkpoint {ckpt} is damaged or not a fit() checkpoint: delete it or "
                                     "choose another checkpoint path (")
    assert "weights_only" not in str(err.value)  # never the advice to unpickle an untrusted file


def test_device_prefers_cuda_then_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cnncourse.device().type in {"cpu", "cuda", "mps"}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert cnncourse.device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert cnncourse.device() == torch.device("cpu")


@pytest.mark.parametrize("amp", [False, True])
def test_evaluation_uses_fits_autocast_decision(monkeypatch: pytest.MonkeyPatch, amp: bool) -> None:
    """fit(amp=...) trains and evaluates alike: no second decision inside evaluate."""
    seen = []
    real = train._autocast
    monkeypatch.setattr(train, "_autocast", lambda dev, enabled: seen.append(enabled) or real(dev, enabled))
    monkeypatch.setattr(train, "evaluate", lambda *a, **k: seen.append(("eval", k.get("amp"))) or (0.0, 0.5))
    train.fit(small_net(), tiny_data(), epochs=1, amp=amp, channels_last=False, **FAST)
    assert set(seen[:-1]) == {amp} and seen[-1] == ("eval", amp)


def test_plot_history_draws_chance_for_the_number_of_classes() -> None:
    h = train.fit(small_net(), tiny_data(), epochs=1, **FAST)
    line = [ln for ln in plots.plot_history(h, num_classes=5).axes[1].lines if ln.get_label().startswith("chance")]
    assert line[0].get_label() == "chance (5 classes)" and line[0].get_ydata()[0] == 20


def test_importing_the_models_does_not_load_matplotlib_or_the_checks() -> None:
    import subprocess
    import sys

    code = ("import sys; from cnncourse import models; "
            "assert 'matplotlib' not in sys.modules and 'cnncourse.checks' not in sys.modules, sorted(sys.modules); "
            "import cnncourse; assert cnncourse.plots.plot_history and 'matplotlib' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
