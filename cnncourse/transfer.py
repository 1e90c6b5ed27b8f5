"""Transfer learning: torchvision's pretrained ImageNet weights in the course's models.

The course's models keep torchvision's attribute names, so a torchvision checkpoint loads
into them directly. torchvision's weights API (``ResNet50_Weights.IMAGENET1K_V2``,
``.DEFAULT``, ``weights=None``) describes each checkpoint — ``weights.meta`` and
``weights.transforms()`` work offline — and ``weights.get_state_dict()`` fetches the file
through torch.hub's cache (``$TORCH_HOME/hub/checkpoints``), downloading it only when it is
not there yet. Yosinski et al. 2014, "How transferable are features in deep neural networks?",
https://arxiv.org/abs/1411.1792.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn
from torch.hub import HASH_REGEX

__all__ = ["DamagedWeightsError", "PretrainedWeightsUnavailable", "cached_weights_path", "load_imagenet_weights"]


class PretrainedWeightsUnavailable(RuntimeError):
    """The checkpoint is neither in torch.hub's cache nor downloadable (no network)."""


class DamagedWeightsError(ValueError):
    """The cached checkpoint file is damaged, replaced, or holds another network's weights."""


def cached_weights_path(weights) -> Path:  # weights: a torchvision WeightsEnum member
    """Where torch.hub keeps (or would keep) the checkpoint file of ``weights``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(weights.url).path).name


def _check_hash(path: Path, weights) -> None:
    """torch.hub checks the SHA-256 prefix in the file name only when it downloads; check the cached file too."""
    match = HASH_REGEX.search(path.name)
    if match is None:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if not digest.hexdigest().startswith(match.group(1)):
        raise DamagedWeightsError(
            f"{path} is not torchvision's {weights} file: its SHA-256 starts with {digest.hexdigest()[:len(match.group(1))]}, "
            f"the name says {match.group(1)}. It is damaged (an interrupted download?) or was replaced. Delete it and "
            f"run again to download it, or copy it again from {weights.url}."
        )


def load_imagenet_weights(model: nn.Module, weights, *, progress: bool = False) -> nn.Module:
    """Load torchvision's checkpoint ``weights`` into the course's ``model`` (``strict=True``); returns it.

    The file is read as tensors only (``weights_only=True``: a checkpoint cannot run code), and a cached
    file must carry the SHA-256 prefix its name promises. Raises :class:`PretrainedWeightsUnavailable`,
    naming the file to place in the cache, when the checkpoint is not cached and cannot be downloaded,
    and :class:`DamagedWeightsError`, naming the file to delete, when the cached file is not the checkpoint.
    """
    path = cached_weights_path(weights)
    if path.is_file():
        _check_hash(path, weights)
    try:
        state = weights.get_state_dict(progress=progress, check_hash=True, weights_only=True)
    except OSError as error:  # URLError, socket and SSL errors are all OSErrors
        raise PretrainedWeightsUnavailable(
            f"could not download {weights} ({error}). Without a network connection, copy the file "
            f"{path.name} from {weights.url} into {path.parent} (torch.hub's cache; set TORCH_HOME to move it)."
        ) from None
    except Exception as error:  # an unreadable file, or one that holds more than tensors
        raise DamagedWeightsError(
            f"cannot read {path} as {weights} ({type(error).__name__}): it is damaged or not a checkpoint of "
            "tensors. Delete it and run again to download it."
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise DamagedWeightsError(f"{path} holds a {type(state).__name__}, not a state_dict of tensors: it is not "
                                  f"{weights}. Delete it and run again to download it.")
    own = model.state_dict()
    wrong = [k for k in own if k not in state or tuple(state[k].shape) != tuple(own[k].shape)]
    extra = [k for k in state if k not in own]
    if wrong or extra:
        key = (wrong or extra)[0]
        found = tuple(state[key].shape) if key in state else "missing"
        wanted = tuple(own[key].shape) if key in own else "absent"
        raise DamagedWeightsError(
            f"{path} holds the weights of another network, not of this {type(model).__name__} ({len(wrong)} "
            f"tensors missing or of another shape, {len(extra)} unexpected; e.g. {key}: {found} in the file, "
            f"{wanted} in the model). Load it into the network it belongs to, or delete it to download {weights}."
        )
    model.load_state_dict(state, strict=True)
    return model
