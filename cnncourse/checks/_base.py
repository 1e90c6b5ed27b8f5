"""The verdict printer shared by every problem set's checks."""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping


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
