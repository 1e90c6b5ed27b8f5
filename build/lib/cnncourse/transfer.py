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

from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

__all__ = ["PretrainedWeightsUnavailable", "cached_weights_path", "load_imagenet_weights"]


class PretrainedWeightsUnavailable(RuntimeError):
    """The checkpoint is neither in torch.hub's cache nor downloadable (no network)."""


def cached_weights_path(weights) -> Path:  # weights: a torchvision WeightsEnum member
    """Where torch.hub keeps (or would keep) the checkpoint file of ``weights``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(weights.url).path).name


def load_imagenet_weights(model: nn.Module, weights, *, progress: bool = False) -> nn.Module:
    """Load torchvision's checkpoint ``weights`` into the course's ``model`` (``strict=True``); returns it.

    Raises :class:`PretrainedWeightsUnavailable`, naming the file to place in the cache,
    when the checkpoint is not cached and cannot be downloaded.
    """
    path = cached_weights_path(weights)
    try:
        state = weights.get_state_dict(progress=progress, check_hash=True)
    except OSError as error:  # URLError, socket and SSL errors are all OSErrors
        raise PretrainedWeightsUnavailable(
            f"could not download {weights} ({error}). Without a network connection, copy the file "
            f"{path.name} from {weights.url} into {path.parent} (torch.hub's cache; set TORCH_HOME to move it)."
        ) from error
    model.load_state_dict(state, strict=True)
    return model
