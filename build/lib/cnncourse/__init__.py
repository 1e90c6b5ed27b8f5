"""cnncourse — the helper package of the CNN Architectures course.

Modules: ``layers`` (shared blocks), ``models`` (one module per family and a
registry), ``data`` (CIFAR-10 subsets as tensors), ``train`` (the fast training
loop), ``costs`` (formulas and counters), ``reference`` (equivalence with
torchvision), ``plots`` and ``checks`` (exercise answers).
"""
from . import checks, costs, data, layers, models, plots, reference, train
from .models import get_model, list_models
from .utils import device, seed_everything

__version__ = "0.1.0"
__all__ = [
    "checks", "costs", "data", "device", "get_model", "layers", "list_models", "models",
    "plots", "reference", "seed_everything", "train",
]
