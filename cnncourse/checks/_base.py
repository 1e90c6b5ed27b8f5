"""The verdict printer shared by every problem set's checks."""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from .. import costs


# Hints for the two slips every MAC question invites.
FLOPS_NOT_MACS = "that is the FLOP count (a MAC is one multiply plus one add = 2 FLOPs); give MACs."
BIAS_ADDS_NOT_MACS = "the course counts weight MACs only; bias additions are not MACs."


ROUNDED = "give the exact value, not a rounded one."


def _as_number(answer: object) -> object:
    """``answer`` as a plain Python number where it is one in disguise, else unchanged.

    A 0-d NumPy array, NumPy scalar or 0-d torch tensor gives its ``.item()``; a ``Decimal``
    its exact ``Fraction``.
    """
    if isinstance(answer, Decimal) and answer.is_finite():
        return Fraction(answer)
    if getattr(answer, "ndim", None) == 0 and callable(getattr(answer, "item", None)):
        try:
            return answer.item()
        except Exception:  # e.g. a tensor on the meta device has no value
            return answer
    return answer


def _not_a_number_hint(answer: object) -> str:
    """A fix for the usual non-numbers: a number in quotes, a one-element tensor or array."""
    if isinstance(answer, str):
        text = answer.strip().replace(",", "").replace("_", "")
        try:
            Fraction(text)
        except (ValueError, ZeroDivisionError):
            return ""
        return f" Remove the quotes: write {text}, not {answer!r}."
    numel = getattr(answer, "numel", None)  # a torch tensor's method; a NumPy array's size is an attribute
    size = numel() if callable(numel) else getattr(answer, "size", None)
    if getattr(answer, "ndim", 0) and size == 1:
        return " Take the number out with .item()."
    return ""


def _close(a: numbers.Real, b: numbers.Real, rel_tol: float) -> bool:
    """``math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-9)``, exact for ints and fractions too large for a float."""
    try:
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-9)
    except OverflowError:  # 10**400 has no float
        if any(isinstance(v, float) and not math.isfinite(v) for v in (a, b)):
            return False
        x, y = Fraction(a), Fraction(b)
        return abs(x - y) <= max(Fraction(rel_tol) * max(abs(x), abs(y)), Fraction(1e-9))


def _show(x: numbers.Real) -> str:
    """``x`` with thousands separators where its type supports them (a ``Fraction`` as ``p/q``)."""
    try:
        return f"{x:,}"
    except (TypeError, ValueError):
        pass
    try:
        return str(x)
    except ValueError:  # more digits than Python converts to text (sys.set_int_max_str_digits)
        return "a number too long to print"


def _is_rounded(answer: numbers.Real, expected: float, rel_tol: float) -> bool:
    """Whether ``answer`` is a non-integer ``expected`` rounded or cut to 0–6 decimals (and not 0)."""
    if not isinstance(expected, float) or not math.isfinite(expected) or expected.is_integer():
        return False
    for places in range(7):
        scale = 10 ** places
        for short in (round(expected, places), math.trunc(expected * scale) / scale):
            if short != 0 and _close(answer, short, rel_tol):
                return True
    return False


def check(answer: object, expected: float, *, hints: Mapping[float, str] = {},
          explanation: str = "", rel_tol: float = 0.0) -> bool:
    """Compare a numeric ``answer`` with ``expected``; print a verdict and, for known mistakes, a hint.

    Numbers in disguise (0-d tensors and arrays, NumPy scalars, ``Decimal``) count as numbers;
    ints and ``Fraction``s of any size are compared exactly; a non-integer answer given rounded
    gets a hint to give it exactly. Nothing a student types raises.
    """
    if answer is None or answer is Ellipsis:
        print("No answer yet: replace the placeholder with your number and run the cell again.")
        return False
    value = _as_number(answer)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        print(f"Your answer should be a number; got {type(answer).__name__} {answer!r}.{_not_a_number_hint(answer)}")
        return False
    if _close(value, expected, rel_tol):
        print(f"Correct: {expected:,}. {explanation}".rstrip())
        return True
    for wrong, hint in hints.items():
        if _close(value, wrong, rel_tol):
            print(f"Not yet ({_show(value)} is a common slip). Hint: {hint}")
            return False
    if _is_rounded(value, expected, rel_tol):
        print(f"Not yet ({_show(value)} is the right answer rounded). Hint: {ROUNDED}")
        return False
    print(f"Not yet: {_show(value)} is not right. Write the formula out term by term and try again.")
    return False


def conv_bn_params(c_in: int, c_out: int, kernel: int, *, conv_bias: bool = False, bn: bool = True,
                   buffers: bool = False) -> int:
    """A convolution (no bias by default) and its BatchNorm, the unit of GoogLeNet and ResNet.

    ``conv_bias``, ``bn`` and ``buffers`` (BatchNorm's running mean and variance, which are not
    parameters) switch on the usual counting slips, so the checks can recognise them.
    """
    bn_params = costs.batchnorm_params(c_out) * (2 if buffers else 1) if bn else 0
    return costs.conv_params(c_in, c_out, kernel, bias=conv_bias) + bn_params
