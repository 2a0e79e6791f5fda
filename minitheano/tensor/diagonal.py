"""Matrices defined by their diagonals: eye, tri, tril, triu, fill_diagonal (chapter 1).

None of these needs an op of its own.  `eye(n, m, k)` is the comparison
`row + k == column` between an `arange` column and an `arange` row, and
`fill_diagonal` writes into the positions (i, i) with advanced indexing; the
indexing ops already know their shapes and gradients, so these functions do
too.
"""

from __future__ import annotations

from typing import Any

from minitheano.config import config
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorVariable


def _grid(n: Any, m: Any) -> tuple[TensorVariable, TensorVariable]:
    """A column of row numbers 0..n-1 and a row of column numbers 0..m-1."""
    return _T.arange(n).dimshuffle(0, "x"), _T.arange(m).dimshuffle("x", 0)


def eye(n: Any, m: Any = None, k: int = 0, dtype: str | None = None) -> TensorVariable:
    """An n x m matrix (m = n by default) with ones on the k-th diagonal."""
    rows, cols = _grid(n, n if m is None else m)
    return _T.cast(_T.eq(rows + k, cols), dtype or config.floatX)


def identity_like(x: Any) -> TensorVariable:
    """eye with the shape and dtype of the matrix `x`."""
    x = as_tensor_variable(x)
    return eye(x.shape[0], x.shape[1], dtype=x.dtype)


def tri(n: Any, m: Any = None, k: int = 0, dtype: str | None = None) -> TensorVariable:
    """An n x m matrix with ones at and below the k-th diagonal (numpy.tri)."""
    rows, cols = _grid(n, n if m is None else m)
    return _T.cast(_T.ge(rows + k, cols), dtype or config.floatX)


def tril(m: Any, k: int = 0) -> TensorVariable:
    """`m` with the entries above the k-th diagonal set to zero."""
    m = as_tensor_variable(m)
    return _T.switch(tri(m.shape[0], m.shape[1], k, dtype="bool"), m, _T.zeros_like(m))


def triu(m: Any, k: int = 0) -> TensorVariable:
    """`m` with the entries below the k-th diagonal set to zero."""
    m = as_tensor_variable(m)
    return _T.switch(tri(m.shape[0], m.shape[1], k - 1, dtype="bool"), _T.zeros_like(m), m)


def fill_diagonal(a: Any, val: Any) -> TensorVariable:
    """A copy of `a` with the scalar `val` on its main diagonal (numpy.fill_diagonal,
    which writes in place; this returns a new array).  `a` has 2 or more
    dimensions; for more than 2, the diagonal is a[i, i, ..., i]."""
    a, val = as_tensor_variable(a), as_tensor_variable(val)
    if a.ndim < 2:
        raise TypeError(f"fill_diagonal: expected 2 or more dimensions, got {a.type}")
    if val.ndim != 0:
        raise TypeError(f"fill_diagonal: the value must be a scalar, got {val.type}")
    length = a.shape[0]
    for d in range(1, a.ndim):
        length = _T.minimum(length, a.shape[d])
    k = _T.arange(length)
    return _T.set_subtensor(a[(k,) * a.ndim], _T.cast(val, a.dtype))


def fill_diagonal_offset(a: Any, val: Any, offset: Any) -> TensorVariable:
    """A copy of the matrix `a` with the scalar `val` on its `offset`-th diagonal
    (above the main one if offset > 0, below if < 0)."""
    a, val, offset = (as_tensor_variable(v) for v in (a, val, offset))
    if a.ndim != 2 or val.ndim != 0 or offset.ndim != 0:
        raise TypeError(f"fill_diagonal_offset: expected a matrix, a scalar and an integer "
                        f"scalar, got {a.type}, {val.type}, {offset.type}")
    first_row, first_col = _T.maximum(-offset, 0), _T.maximum(offset, 0)
    length = _T.maximum(_T.minimum(a.shape[0] - first_row, a.shape[1] - first_col), 0)
    k = _T.arange(length)
    return _T.set_subtensor(a[k + first_row, k + first_col], _T.cast(val, a.dtype))


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
