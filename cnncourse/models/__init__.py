"""Every architecture of the course, one module per family, all in one registry."""
from ._registry import check_input, get_model, list_models, register
from .lenet import LeNet5, lenet5

__all__ = ["LeNet5", "check_input", "get_model", "lenet5", "list_models", "register"]
