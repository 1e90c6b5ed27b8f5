"""Transfer learning without a network: the weights-loading path and class selection."""
from __future__ import annotations

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


def test_imagenet_weights_load_from_the_hub_cache_without_network(hub_cache) -> None:
    weights = tv.ResNet18_Weights.IMAGENET1K_V1
    path = transfer.cached_weights_path(weights)
    assert path == hub_cache / "checkpoints" / "resnet18-f37072fd.pth"
    source = torchvision.models.resnet18()  # stands in for the real checkpoint (randomly initialised)
    path.parent.mkdir(parents=True)
    torch.save(source.state_dict(), path)
    model = transfer.load_imagenet_weights(models.resnet18(), weights)
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


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
