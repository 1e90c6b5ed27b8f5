"""Answer checks for the exercise notebooks in ``exercises/``.

Each ``exNN_<name>(answer)`` prints whether the answer is right and, when it
is a typical mistake, a hint that names the mistake; it returns ``True`` only
for a right answer. Expected values are computed with :mod:`cnncourse.costs`,
never typed in, and the tests check them against real layers. One module per
problem set (``ex01`` … ); every check is importable from here, e.g.
``from cnncourse import checks; checks.ex03_fc6_params(answer)``.
"""
from ._base import check
from .ex01 import *  # noqa: F403
from .ex01 import __all__ as _ex01
from .ex02 import *  # noqa: F403
from .ex02 import __all__ as _ex02
from .ex03 import *  # noqa: F403
from .ex03 import __all__ as _ex03
from .ex04 import *  # noqa: F403
from .ex04 import __all__ as _ex04
from .ex05 import *  # noqa: F403
from .ex05 import __all__ as _ex05
from .ex06 import *  # noqa: F403
from .ex06 import __all__ as _ex06
from .ex07 import *  # noqa: F403
from .ex07 import __all__ as _ex07
from .ex08 import *  # noqa: F403
from .ex08 import __all__ as _ex08
from .ex09 import *  # noqa: F403
from .ex09 import __all__ as _ex09
from .ex10 import *  # noqa: F403
from .ex10 import __all__ as _ex10
from .ex11 import *  # noqa: F403
from .ex11 import __all__ as _ex11
from .ex12 import *  # noqa: F403
from .ex12 import __all__ as _ex12
from .ex13 import *  # noqa: F403
from .ex13 import __all__ as _ex13

__all__ = ["check", *_ex01, *_ex02, *_ex03, *_ex04, *_ex05, *_ex06, *_ex07, *_ex08, *_ex09, *_ex10, *_ex11,
           *_ex12, *_ex13]
