"""cnncourse — the helper package of the CNN Architectures course.

Modules: ``layers`` (shared blocks), ``models`` (one module per family and a
registry), ``data`` (CIFAR-10 subsets as tensors), ``train`` (the fast training
loop), ``costs`` (formulas and counters), ``reference`` (equivalence with
torchvision), ``plots`` and ``checks`` (exercise answers), ``protocol`` and ``bakeoff`` (the course's
training protocol and its results), ``transfer`` (torchvision's pretrained weights).

``plots`` (matplotlib), ``checks`` (13 problem-set modules) and the other modules named in ``_LAZY``
are imported on first use, so ``from cnncourse import models`` stays quick.
"""
import importlib
from types import ModuleType

from . import costs, data, layers, models, reference, train
from .models import get_model, list_models
from .utils import device, seed_everything

_LAZY = ("bakeoff", "checks", "plots", "protocol", "transfer")


def __getattr__(name: str) -> ModuleType:
    """Import the modules of ``_LAZY`` when they are first used (PEP 562)."""
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__version__ = "0.1.0"
__all__ = [
    "bakeoff", "checks", "costs", "data", "device", "get_model", "layers", "list_models", "models",
    "plots", "protocol", "reference", "seed_everything", "train", "transfer",
]
