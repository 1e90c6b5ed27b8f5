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


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=re.escape("epochs, batch_size and lr must be positive; got 0, 16, 0.1")):
        train.fit(small_net(), tiny_data(), epochs=0, **FAST)


def test_device_prefers_cuda_then_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cnncourse.device().type in {"cpu", "cuda", "mps"}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert cnncourse.device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert cnncourse.device() == torch.device("cpu")
