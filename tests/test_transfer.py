"""Transfer learning without a network: the weights-loading path and class selection."""
from __future__ import annotations

import re
import socket

import pytest
import torch
import torchvision
import torchvision.models as tv

from cnncourse import models, transfer
from cnncourse.data import CIFARSubset


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An empty torch.hub cache in a temporary folder, with every network connection refused."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)  # so that the cache follows TORCH_HOME

    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    return tmp_path / "hub"


def stand_in(weights, obj, monkeypatch, *, raw: bytes | None = None):
    """Put ``obj`` (or ``raw`` bytes) in the hub cache under a name carrying its own SHA-256 prefix, and point
    ``weights`` at that name: a file that passes torch.hub's hash check without being torchvision's."""
    import hashlib
    import io

    if raw is None:
        buffer = io.BytesIO()
        torch.save(obj, buffer)
        raw = buffer.getvalue()
    stem = transfer.cached_weights_path(weights).name.split("-")[0]
    name = f"{stem}-{hashlib.sha256(raw).hexdigest()[:8]}.pth"
    monkeypatch.setattr(weights.value, "url", f"https://download.pytorch.org/models/{name}")
    path = transfer.cached_weights_path(weights)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def test_imagenet_weights_load_from_the_hub_cache_without_network(hub_cache, monkeypatch) -> None:
    weights = tv.ResNet18_Weights.IMAGENET1K_V1
    assert transfer.cached_weights_path(weights) == hub_cache / "checkpoints" / "resnet18-f37072fd.pth"
    source = torchvision.models.resnet18()  # stands in for the real checkpoint (randomly initialised)
    stand_in(weights, source.state_dict(), monkeypatch)
    model = transfer.load_imagenet_weights(models.resnet18(), weights)
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def _evil(marker):
    import os

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    return {"fc.weight": Evil()}


def test_a_cached_file_that_would_run_code_is_refused(hub_cache, monkeypatch, tmp_path) -> None:
    """Named as torchvision's file (hash check fails) or with its own hash (weights_only refuses): never run."""
    import pickle

    weights = tv.ResNet18_Weights.IMAGENET1K_V1
    marker = tmp_path / "pwned"
    real_name = transfer.cached_weights_path(weights)
    real_name.parent.mkdir(parents=True)
    real_name.write_bytes(pickle.dumps(_evil(marker), protocol=2))
    with pytest.raises(transfer.DamagedWeightsError, match=r"is not torchvision's ResNet18_Weights.IMAGENET1K_V1 file: "
                       r"its SHA-256 starts with [0-9a-f]{8}, the name says f37072fd\. It is damaged"):
        transfer.load_imagenet_weights(models.resnet18(), weights)
    path = stand_in(weights, None, monkeypatch, raw=pickle.dumps(_evil(marker), protocol=2))
    with pytest.raises(transfer.DamagedWeightsError) as err:
        transfer.load_imagenet_weights(models.resnet18(), weights)
    assert str(err.value) == (f"cannot read {path} as ResNet18_Weights.IMAGENET1K_V1 (UnpicklingError): it is damaged "
                              "or not a checkpoint of tensors. Delete it and run again to download it.")
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["half", "empty", "html", "random"])
def test_damaged_cached_weights_name_the_file_to_delete(hub_cache, damage) -> None:
    weights = tv.ResNet18_Weights.IMAGENET1K_V1
    path = transfer.cached_weights_path(weights)
    path.parent.mkdir(parents=True)
    path.write_bytes({"half": b"PK\x03\x04" + bytes(5000), "empty": b"", "html": b"<html>404</html>",
                      "random": bytes(range(256)) * 64}[damage])
    with pytest.raises(transfer.DamagedWeightsError) as err:
        transfer.load_imagenet_weights(models.resnet18(), weights)
    assert str(err.value).startswith(f"{path} is not torchvision's ResNet18_Weights.IMAGENET1K_V1 file")
    assert f"Delete it and run again to download it, or copy it again from {weights.url}." in str(err.value)


def test_weights_of_another_network_or_a_whole_module_are_refused(hub_cache, monkeypatch) -> None:
    weights = tv.ResNet18_Weights.IMAGENET1K_V1
    path = stand_in(weights, torchvision.models.resnet34().state_dict(), monkeypatch)
    with pytest.raises(transfer.DamagedWeightsError) as err:
        transfer.load_imagenet_weights(models.resnet18(), weights)
    assert str(err.value) == (f"{path} holds the weights of another network, not of this ResNet (0 tensors missing or "
                              "of another shape, 96 unexpected; e.g. layer1.2.conv1.weight: (64, 64, 3, 3) in the "
                              "file, absent in the model). Load it into the network it belongs to, or delete it to "
                              "download ResNet18_Weights.IMAGENET1K_V1.")
    path = stand_in(weights, torchvision.models.resnet18(), monkeypatch)  # a pickled nn.Module, not a state_dict
    with pytest.raises(transfer.DamagedWeightsError, match=re.escape(f"cannot read {path} as "
                                                                     "ResNet18_Weights.IMAGENET1K_V1")):
        transfer.load_imagenet_weights(models.resnet18(), weights)


def test_missing_weights_offline_give_a_clear_error(hub_cache) -> None:
    weights = tv.ResNet50_Weights.IMAGENET1K_V2
    with pytest.raises(transfer.PretrainedWeightsUnavailable) as info:
        transfer.load_imagenet_weights(models.resnet50(), weights)
    message = str(info.value)
    assert "could not download ResNet50_Weights.IMAGENET1K_V2" in message
    assert str(hub_cache / "checkpoints") in message and "resnet50-11ad3fa6.pth" in message


def test_weights_metadata_and_transforms_work_offline() -> None:
    assert tv.ResNet50_Weights.IMAGENET1K_V1.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 76.130
    assert tv.ResNet50_Weights.IMAGENET1K_V2.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 80.858
    assert tv.ResNet50_Weights.DEFAULT is tv.ResNet50_Weights.IMAGENET1K_V2
    preprocess = tv.ResNet50_Weights.IMAGENET1K_V2.transforms()
    assert preprocess.crop_size == [224] and preprocess.resize_size == [232]


def _toy_subset() -> CIFARSubset:
    y_train = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2])
    y_test = torch.tensor([2, 1, 0])
    x_train = torch.arange(9, dtype=torch.uint8).view(9, 1, 1, 1).expand(9, 3, 2, 2).clone()
    x_test = torch.arange(3, dtype=torch.uint8).view(3, 1, 1, 1).expand(3, 3, 2, 2).clone()
    return CIFARSubset(x_train, y_train, x_test, y_test, ("cat", "dog", "frog"), "toy")


def test_select_relabels_the_chosen_classes_and_keeps_few_labels() -> None:
    data = _toy_subset().select(["frog", "cat"], n_train_per_class=2)
    assert data.classes == ("frog", "cat")
    assert data.x_train[:, 0, 0, 0].tolist() == [0, 2, 3, 5]  # images 0, 3 (cat) and 2, 5 (frog), stored order
    assert data.y_train.tolist() == [1, 0, 1, 0]
    assert data.y_test.tolist() == [0, 1] and data.x_test[:, 0, 0, 0].tolist() == [0, 2]
    with pytest.raises(ValueError, match=r"unknown class names \['horse'\]; choose from cat, dog, frog"):
        _toy_subset().select(["horse"])
    with pytest.raises(ValueError, match="n_train_per_class must be a positive integer"):
        _toy_subset().select(["cat"], n_train_per_class=0)
