"""`theano.tensor.xlogx`: x log x and x log y, taken as 0 where x is 0 (chapter 1).

Entropies and KL divergences are sums of x log x, where 0 log 0 means 0 (its
limit).  Computed as written, 0 * log(0) is 0 * -inf = NaN.  Both functions
take the log of 1 instead where x is 0, so the value there is 0, and so is
the gradient's term from the log: the gradient at x = 0 is finite (numpy's
value 0 + log 1 = 0 for xlogx, where Theano's op gave -inf, the true slope).
"""

from __future__ import annotations

from typing import Any

from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorVariable


def xlogx(x: Any) -> TensorVariable:
    """x * log(x), and 0 where x == 0."""
    x = as_tensor_variable(x)
    return x * _T.log(_T.switch(_T.eq(x, 0), 1, x))


def xlogy0(x: Any, y: Any) -> TensorVariable:
    """x * log(y), and 0 where x == 0 (whatever y is there)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    return x * _T.log(_T.switch(_T.eq(x, 0), 1, y))


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
