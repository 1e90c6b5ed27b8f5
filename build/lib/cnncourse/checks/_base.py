"""The verdict printer shared by every problem set's checks."""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

from .. import costs


# Hints for the two slips every MAC question invites.
FLOPS_NOT_MACS = "that is the FLOP count (a MAC is one multiply plus one add = 2 FLOPs); give MACs."
BIAS_ADDS_NOT_MACS = "the course counts weight MACs only; bias additions are not MACs."


def check(answer: object, expected: float, *, hints: Mapping[float, str] = {},
          explanation: str = "", rel_tol: float = 0.0) -> bool:
    """Compare a numeric ``answer`` with ``expected``; print a verdict and, for known mistakes, a hint."""
    if answer is None or answer is Ellipsis:
        print("No answer yet: replace the placeholder with your number and run the cell again.")
        return False
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        print(f"Your answer should be a number; got {type(answer).__name__} {answer!r}.")
        return False
    if math.isclose(answer, expected, rel_tol=rel_tol, abs_tol=1e-9):
        print(f"Correct: {expected:,}. {explanation}".rstrip())
        return True
    for wrong, hint in hints.items():
        if math.isclose(answer, wrong, rel_tol=rel_tol, abs_tol=1e-9):
            print(f"Not yet ({answer:,} is a common slip). Hint: {hint}")
            return False
    print(f"Not yet: {answer:,} is not right. Write the formula out term by term and try again.")
    return False


def conv_bn_params(c_in: int, c_out: int, kernel: int, *, conv_bias: bool = False, bn: bool = True,
                   buffers: bool = False) -> int:
    """A convolution (no bias by default) and its BatchNorm, the unit of GoogLeNet and ResNet.

    ``conv_bias``, ``bn`` and ``buffers`` (BatchNorm's running mean and variance, which are not
    parameters) switch on the usual counting slips, so the checks can recognise them.
    """
    bn_params = costs.batchnorm_params(c_out) * (2 if buffers else 1) if bn else 0
    return costs.conv_params(c_in, c_out, kernel, bias=conv_bias) + bn_params
