"""Data sources, the decoded-tensor cache, and every bad-input error a student can meet."""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from cnncourse import data
from cnncourse.data import CLASSES, DataNotFoundError, cifar10_subset
from conftest import image_for


def test_image_folder_is_balanced_deterministic_and_exact(image_folder: Path) -> None:
    d = cifar10_subset(3, 2, root=image_folder)
    assert d.x_train.shape == (30, 3, 32, 32) and d.x_train.dtype == torch.uint8
    assert d.x_test.shape == (20, 3, 32, 32)
    assert d.y_train.tolist() == [c for c in range(10) for _ in range(3)]
    assert d.classes == CLASSES
    # the first files of each class in sorted order, pixel for pixel (PNG is lossless)
    assert torch.equal(d.x_train[4], torch.from_numpy(image_for(1, 1)).permute(2, 0, 1))
    assert torch.equal(d.x_test[0], torch.from_numpy(image_for(0, 100)).permute(2, 0, 1))
    assert "image folder" in repr(d) and str(image_folder) not in repr(d)


def test_environment_variable_is_used(image_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNNCOURSE_DATA", str(image_folder))
    assert cifar10_subset(1, 1).source == str(image_folder / "cifar10-subset")
    monkeypatch.setenv("CNNCOURSE_DATA", str(image_folder / "cifar10-subset"))  # the subset folder itself
    assert len(cifar10_subset(1, 1).x_train) == 10


def test_torchvision_batches_format(batches_folder: Path) -> None:
    d = cifar10_subset(5, 2, root=batches_folder)
    assert d.x_train.shape == (50, 3, 32, 32) and d.x_test.shape == (20, 3, 32, 32)
    assert d.y_train.tolist() == [c for c in range(10) for _ in range(5)]
    # class 3's first training image is batch 1's sample with label 3, i.e. index 3 in batch 1 (b=0)
    assert torch.equal(d.x_train[15], torch.from_numpy(image_for(3, 3)).permute(2, 0, 1))
    assert "torchvision batches" in repr(d)


def test_normalize_uses_cifar_statistics() -> None:
    x = torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)
    out = data.normalize(x)
    expected = [(1 - m) / s for m, s in zip(data.MEAN, data.STD)]
    torch.testing.assert_close(out[0, :, 0, 0], torch.tensor(expected))


def test_missing_data_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    msg = (f"the data folder {missing} does not exist (from CNNCOURSE_DATA or root=). "
           "Point it at the folder that holds cifar10-subset/ or cifar-10-batches-py/. In a notebook, run "
           "`%env CNNCOURSE_DATA=")
    with pytest.raises(DataNotFoundError, match=re.escape(msg)):
        cifar10_subset(1, 1, root=missing)


def test_nothing_found_offline_says_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "default_data_dir", lambda: tmp_path / "default")
    monkeypatch.delenv("CNNCOURSE_DATA", raising=False)
    msg = (f"no CIFAR-10 copy found in {tmp_path / 'default'} and download=False. "
           "Set CNNCOURSE_DATA to a folder holding cifar10-subset/{train,test}/<class>/*.jpg "
           "or cifar-10-batches-py/, or allow the download. In a notebook, run `%env CNNCOURSE_DATA=")
    with pytest.raises(DataNotFoundError, match=re.escape(msg)):
        cifar10_subset(1, 1, download=False)


def test_failed_download_is_one_short_error_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib's three chained exceptions become one message: the innermost reason and what to set."""
    import socket
    import urllib.error

    import torchvision

    def offline(*args: object, **kwargs: object) -> None:
        try:
            try:
                raise socket.gaierror(-3, "Temporary failure in name resolution")
            except OSError as err:
                raise urllib.error.URLError(err) from err
        except urllib.error.URLError:
            raise RuntimeError("Error downloading cifar-10-python.tar.gz")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", offline)
    monkeypatch.setattr(data, "default_data_dir", lambda: tmp_path / "default")
    monkeypatch.setattr(data, "repository_root", lambda: tmp_path / "repo")
    (tmp_path / "shared" / "data").mkdir(parents=True)
    monkeypatch.delenv("CNNCOURSE_DATA", raising=False)
    shared = tmp_path / "shared" / "data"
    msg = (f"CIFAR-10 is not on this machine and downloading it into {tmp_path / 'default'} failed "
           "(gaierror: [Errno -3] Temporary failure in name resolution). Offline? Set CNNCOURSE_DATA "
           "to a folder holding cifar10-subset/{train,test}/<class>/*.jpg or cifar-10-batches-py/. "
           f"In a notebook, run `%env CNNCOURSE_DATA={shared}` (or `os.environ[\"CNNCOURSE_DATA\"] = "
           f"\"{shared}\"`) before loading the data; in a shell, `export CNNCOURSE_DATA={shared}`.")
    with pytest.raises(DataNotFoundError) as err:
        cifar10_subset(1, 1)
    assert str(err.value) == msg
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no chained tracebacks shown


def test_relative_data_folder_is_also_read_from_the_repository_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batches_folder: Path) -> None:
    """`export CNNCOURSE_DATA=../shared/data` in the repository root still works in a kernel in notebooks/."""
    repo = tmp_path / "course" / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (tmp_path / "course" / "shared").mkdir()
    (tmp_path / "course" / "shared" / "data").symlink_to(batches_folder)
    monkeypatch.setattr(data, "repository_root", lambda: repo)
    monkeypatch.chdir(repo / "notebooks")
    monkeypatch.setenv("CNNCOURSE_DATA", "../shared/data")
    assert cifar10_subset(2, 2, cache=False).x_train.shape == (20, 3, 32, 32)
    monkeypatch.setenv("CNNCOURSE_DATA", "../elsewhere")
    with pytest.raises(DataNotFoundError, match=re.escape(f"the data folder {repo / 'notebooks' / '..' / 'elsewhere'} ")):
        cifar10_subset(2, 2)


def test_default_folder_download_path_is_read(batches_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What torchvision downloads (cifar-10-batches-py in the default folder) is found without a download."""
    monkeypatch.setattr(data, "default_data_dir", lambda: batches_folder)
    monkeypatch.delenv("CNNCOURSE_DATA", raising=False)
    assert cifar10_subset(2, 2, download=False).x_train.shape == (20, 3, 32, 32)


def test_missing_class_folder(image_folder: Path) -> None:
    cat = image_folder / "cifar10-subset" / "train" / "cat"
    for f in cat.iterdir():
        f.unlink()
    cat.rmdir()
    msg = (f"class folder {cat} is missing: {cat.parent} must hold one folder per CIFAR-10 class "
           "(airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck).")
    with pytest.raises(FileNotFoundError, match=re.escape(msg)):
        cifar10_subset(1, 1, root=image_folder)


def test_corrupt_image_is_named(image_folder: Path) -> None:
    bad = image_folder / "cifar10-subset" / "train" / "dog" / "0001.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match=re.escape(f"cannot decode image {bad} (UnidentifiedImageError: ")) as err:
        cifar10_subset(2, 1, root=image_folder)
    assert str(err.value).endswith("The file is damaged: delete it or copy the data set again.")


def test_wrong_image_size(image_folder: Path) -> None:
    from PIL import Image

    odd = image_folder / "cifar10-subset" / "test" / "ship" / "0000.png"
    Image.new("RGB", (28, 30)).save(odd)
    with pytest.raises(ValueError, match=re.escape(f"image {odd} is 28×30; CIFAR-10 images are 32×32.")):
        cifar10_subset(1, 1, root=image_folder)


def test_too_many_images_per_class(image_folder: Path, batches_folder: Path) -> None:
    folder = image_folder / "cifar10-subset" / "train" / "airplane"
    msg = f"asked for 5 images per class but {folder} holds only 4; ask for at most 4."
    with pytest.raises(ValueError, match=re.escape(msg)):
        cifar10_subset(5, 1, root=image_folder)
    msg = (f"asked for 3 test images per class but {batches_folder / 'cifar-10-batches-py'} holds only 2 "
           "of class 'airplane'; ask for at most 2.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        cifar10_subset(1, 3, root=batches_folder)


@pytest.mark.parametrize("n", [0, -1, 2.5])
def test_bad_counts(n: object, image_folder: Path) -> None:
    with pytest.raises(ValueError, match=re.escape(f"n_train_per_class must be a positive integer; got {n!r}")):
        cifar10_subset(n, 1, root=image_folder)  # type: ignore[arg-type]


def test_cache_is_used_and_invalidated(image_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = cifar10_subset(2, 1, root=image_folder)
    cache_files = list(Path(os.environ["CNNCOURSE_CACHE"]).glob("*.pt"))
    assert len(cache_files) == 1

    real_decode = data._decode_folder
    calls = []
    monkeypatch.setattr(data, "_decode_folder", lambda files: calls.append(1) or real_decode(files))
    again = cifar10_subset(2, 1, root=image_folder)
    assert calls == [] and torch.equal(again.x_train, first.x_train)  # served from the cache

    changed = image_folder / "cifar10-subset" / "train" / "bird" / "0000.png"
    from PIL import Image
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(changed)
    os.utime(changed, ns=(1, 1))  # a different mtime, even on coarse-clock file systems
    fresh = cifar10_subset(2, 1, root=image_folder)
    assert calls == [1, 1]  # decoded again, both splits
    assert fresh.x_train[4].sum() == 0 and not torch.equal(fresh.x_train, first.x_train)


def test_damaged_cache_is_rebuilt(image_folder: Path) -> None:
    first = cifar10_subset(1, 1, root=image_folder)
    (cache_file,) = Path(os.environ["CNNCOURSE_CACHE"]).glob("*.pt")
    cache_file.write_bytes(b"truncated")
    assert torch.equal(cifar10_subset(1, 1, root=image_folder).x_train, first.x_train)
    assert torch.load(cache_file, weights_only=True)["x_train"].shape == (10, 3, 32, 32)


def test_offline_course_copy_if_present() -> None:
    """The real offline subset (CI sets CNNCOURSE_DATA): 2,000 + 500 per class, labels in CIFAR order."""
    if not os.environ.get("CNNCOURSE_DATA"):
        pytest.skip("CNNCOURSE_DATA is not set (CI and `make test` set it to ../shared/data)")
    d = cifar10_subset(2000, 500)
    assert d.x_train.shape == (20000, 3, 32, 32) and d.x_test.shape == (5000, 3, 32, 32)
    assert torch.bincount(d.y_test).tolist() == [500] * 10
    with pytest.raises(ValueError, match="ask for at most 2000"):
        cifar10_subset(2001, 1)


# --- reliability: bad folders, damaged and malicious files, unusable caches (issue 19) ---------------

def test_wrong_layout_in_the_data_folder_is_named_not_downloaded_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "_download", lambda folder: pytest.fail("must not download"))
    typo = tmp_path / "data"
    (typo / "cifar10_subset" / "train").mkdir(parents=True)
    (typo / "notes.txt").write_text("x")
    monkeypatch.setenv("CNNCOURSE_DATA", str(typo))
    with pytest.raises(DataNotFoundError) as err:
        cifar10_subset(1, 1)
    assert str(err.value) == (
        f"CNNCOURSE_DATA (or root=) is {typo}, which holds neither cifar10-subset/{{train,test}}/ nor "
        f"cifar-10-batches-py/; it holds cifar10_subset/, notes.txt. Point it at the folder that holds one of "
        f"them, or unset it to use (and download into) {data.default_data_dir()}.")
    half = tmp_path / "half"
    (half / "cifar10-subset" / "train").mkdir(parents=True)  # train/ without test/
    with pytest.raises(DataNotFoundError, match=re.escape(f"is {half}, which holds neither")):
        cifar10_subset(1, 1, root=half)


def _malicious_pickle(marker: Path) -> bytes:
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    return pickle.dumps({"data": Evil(), "labels": []})


def test_a_batch_file_that_would_run_code_is_refused(batches_folder: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bad = batches_folder / "cifar-10-batches-py" / "data_batch_3"
    bad.write_bytes(_malicious_pickle(marker))
    with pytest.raises(data.DamagedDataError) as err:
        cifar10_subset(2, 2, root=batches_folder, cache=False)
    assert str(err.value) == (
        f"cannot read {bad} (UnpicklingError: refused to load posix.system: not part of a CIFAR-10 batch file): "
        "the file is damaged or not a CIFAR-10 batch. "
        f"Delete {bad.parent} and let the course download CIFAR-10 again, or copy the file again.")
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["truncated", "empty", "html"])
def test_a_damaged_batch_file_is_named(batches_folder: Path, damage: str) -> None:
    bad = batches_folder / "cifar-10-batches-py" / "data_batch_3"
    raw = bad.read_bytes()
    bad.write_bytes({"truncated": raw[:100], "empty": b"", "html": b"<html><body>503 Service Unavailable</body></html>"}[damage])
    with pytest.raises(data.DamagedDataError) as err:
        cifar10_subset(2, 2, root=batches_folder, cache=False)
    assert str(err.value).startswith(f"cannot read {bad} (")
    assert str(err.value).endswith(f"Delete {bad.parent} and let the course download CIFAR-10 again, or copy the file again.")


def test_a_damaged_download_is_downloaded_again(batches_folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """In the download folder, a damaged batch makes the course ask torchvision again (it checks MD5 sums)."""
    folder = batches_folder / "cifar-10-batches-py"
    good = (folder / "test_batch").read_bytes()
    (folder / "test_batch").write_bytes(b"")
    calls = []

    def redownload(target: Path) -> None:
        calls.append(target)
        (folder / "test_batch").write_bytes(good)

    monkeypatch.setattr(data, "default_data_dir", lambda: batches_folder)
    monkeypatch.setattr(data, "_download", redownload)
    monkeypatch.delenv("CNNCOURSE_DATA", raising=False)
    assert cifar10_subset(2, 2, cache=False).x_test.shape == (20, 3, 32, 32)
    assert calls == [batches_folder]
    assert f"A file of {folder} is damaged; downloading CIFAR-10 again." in capsys.readouterr().out
    (folder / "test_batch").write_bytes(b"")
    with pytest.raises(data.DamagedDataError):  # download=False: named, not fetched
        cifar10_subset(2, 2, cache=False, download=False)


def test_hidden_files_are_skipped_and_duplicate_classes_refused(image_folder: Path) -> None:
    (image_folder / "cifar10-subset" / "train" / "airplane" / "._0000.png").write_bytes(b"\0\5\x16\7AppleDouble")
    d = cifar10_subset(4, 2, root=image_folder, cache=False)
    assert d.x_train.shape == (40, 3, 32, 32)
    with pytest.raises(ValueError) as err:
        d.select(["cat", "dog", "cat"])
    assert str(err.value) == "classes ['cat'] are listed twice: the same images would get two labels. Name each class once."


def _cache_files() -> list[Path]:
    return sorted(Path(os.environ["CNNCOURSE_CACHE"]).glob("cifar10-*.pt"))


def test_cache_with_wrong_shapes_is_rebuilt(image_folder: Path) -> None:
    first = cifar10_subset(2, 1, root=image_folder)
    (entry,) = _cache_files()
    torch.save({"x_train": torch.zeros(1, 3, 32, 32, dtype=torch.uint8), "y_train": torch.zeros(1, dtype=torch.int64),
                "x_test": torch.zeros(1, 3, 32, 32, dtype=torch.uint8), "y_test": torch.zeros(1, dtype=torch.int64)}, entry)
    again = cifar10_subset(2, 1, root=image_folder)
    assert torch.equal(again.x_train, first.x_train) and _cache_files() == [entry]


def test_cache_files_are_shared_and_superseded_entries_pruned(image_folder: Path) -> None:
    cifar10_subset(2, 1, root=image_folder)
    (old,) = _cache_files()
    umask = os.umask(0)
    os.umask(umask)
    assert old.stat().st_mode & 0o777 == 0o666 & ~umask  # readable by others as the umask allows, not 0600
    orphan = old.parent / ".cifar10-x.pt.abc.tmp"  # what a killed write leaves
    orphan.write_bytes(b"partial")
    os.utime(orphan, (0, 0))
    image = image_folder / "cifar10-subset" / "train" / "cat" / "0000.png"
    os.utime(image, (1, 1))  # a changed source file: the old entry is superseded
    cifar10_subset(2, 1, root=image_folder)
    (new,) = _cache_files()
    assert new != old and not orphan.exists()


def test_unusable_cache_folder_warns_and_goes_on(image_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("CNNCOURSE_CACHE", str(blocker / "cache"))  # a path below a regular file
    with pytest.warns(UserWarning, match=re.escape(f"cannot cache the decoded images in {blocker / 'cache'}")):
        d = cifar10_subset(2, 1, root=image_folder)
    assert d.x_train.shape == (20, 3, 32, 32)


def test_unreadable_cache_file_is_left_alone(image_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cifar10_subset(2, 1, root=image_folder)
    (entry,) = _cache_files()
    real_load = torch.load

    def denied(path, *args, **kwargs):  # another user's 0600 file (root ignores chmod, so simulate it)
        if Path(path) == entry:
            raise PermissionError(13, "Permission denied", str(path))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(torch, "load", denied)
    with pytest.warns(UserWarning, match="permission denied"):
        d = cifar10_subset(2, 1, root=image_folder, cache=True)
    assert entry.exists() and d.x_train.shape == (20, 3, 32, 32)
