"""More of numpy's functions under Theano 1.0's names (chapter 1).

Most are a line of graph over ops the book already has (`ptp` is a max minus a
min, `isclose` a few comparisons), so their gradients and shapes come from
those ops.  `Split`, which has several outputs, is an op of its own.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.scalar.basic import INT_DTYPES, UINT_DTYPES
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.reduction import normalize_axis
from minitheano.tensor.sort import ArgSortOp, PermuteAlongAxis
from minitheano.tensor.type import TensorType, TensorVariable

as_tensor = as_tensor_variable  # Theano's short name


def square(x: Any) -> TensorVariable:
    """x * x (Theano's `sqr`)."""
    return _T.sqr(x)


def power(x: Any, y: Any) -> TensorVariable:
    """x ** y, elementwise (numpy.power)."""
    return _T.pow(x, y)


def ptp(a: Any, axis: Any = None) -> TensorVariable:
    """Peak to peak: max - min along `axis` (numpy.ptp)."""
    return _T.max(a, axis=axis) - _T.min(a, axis=axis)


def largest(*args: Any) -> TensorVariable:
    """The elementwise maximum of all the arguments."""
    return reduce(_T.maximum, args)


def smallest(*args: Any) -> TensorVariable:
    """The elementwise minimum of all the arguments."""
    return reduce(_T.minimum, args)


def isclose(a: Any, b: Any, rtol: float = 1.0e-5, atol: float = 1.0e-8,
            equal_nan: bool = False) -> TensorVariable:
    """numpy.isclose: |a - b| <= atol + rtol |b| where both are finite; infinities
    are close when equal; NaNs are close to each other if `equal_nan`."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)

    def finite(v):
        return _T.invert(_T.or_(_T.isinf(v), _T.isnan(v)))
    both_finite = _T.and_(finite(a), finite(b))
    # Compare only finite values (inf - inf would be NaN, with a warning).
    a_part, b_part = _T.switch(both_finite, a, 0), _T.switch(both_finite, b, 0)
    near = _T.le(abs(a_part - b_part), atol + rtol * abs(b_part))
    close = _T.or_(_T.and_(near, both_finite), _T.and_(_T.isinf(a), _T.eq(a, b)))
    if equal_nan:
        close = _T.or_(close, _T.and_(_T.isnan(a), _T.isnan(b)))
    return close


def allclose(a: Any, b: Any, rtol: float = 1.0e-5, atol: float = 1.0e-8,
             equal_nan: bool = False) -> TensorVariable:
    """numpy.allclose: whether every element of `a` is close to `b` (a bool scalar)."""
    return _T.all(isclose(a, b, rtol, atol, equal_nan))


def trunc(x: Any) -> TensorVariable:
    """Round towards zero."""
    x = as_tensor_variable(x)
    return _T.switch(_T.lt(x, 0), _T.ceil(x), _T.floor(x))


def round_half_away_from_zero(x: Any) -> TensorVariable:
    """Round to the nearest integer, ties away from zero (C's `round`)."""
    x = as_tensor_variable(x)
    return _T.sgn(x) * _T.floor(abs(x) + 0.5)


def iround(x: Any, mode: str = "half_away_from_zero") -> TensorVariable:
    """Round to an int64 tensor, ties away from zero unless `mode='half_to_even'`."""
    if mode == "half_to_even":
        return _T.cast(_T.round_half_to_even(x), "int64")
    if mode != "half_away_from_zero":
        raise ValueError(f"iround: mode must be 'half_away_from_zero' or 'half_to_even', "
                         f"got {mode!r}")
    return _T.cast(round_half_away_from_zero(x), "int64")


def deg2rad(x: Any) -> TensorVariable:
    return as_tensor_variable(x) * (np.pi / 180.0)


def rad2deg(x: Any) -> TensorVariable:
    return as_tensor_variable(x) * (180.0 / np.pi)


def arcsinh(x: Any) -> TensorVariable:
    """log(x + sqrt(x^2 + 1)), written for x >= 0 and mirrored (odd) for accuracy."""
    x = as_tensor_variable(x)
    return _T.sgn(x) * _T.log1p(abs(x) + _T.sqr(x) / (1 + _T.sqrt(_T.sqr(x) + 1)))


def arccosh(x: Any) -> TensorVariable:
    """log(x + sqrt(x^2 - 1)), for x >= 1 (NaN below, as numpy)."""
    x = as_tensor_variable(x)
    return _T.log(x + _T.sqrt(_T.sqr(x) - 1))


def arctanh(x: Any) -> TensorVariable:
    """log((1 + x) / (1 - x)) / 2, for |x| < 1."""
    x = as_tensor_variable(x)
    return 0.5 * (_T.log1p(x) - _T.log1p(-x))


def ceil_intdiv(a: Any, b: Any) -> TensorVariable:
    """ceil(a / b) for integers: -((-a) // b)."""
    return -((-as_tensor_variable(a)) // b)


def divmod(x: Any, y: Any) -> tuple[TensorVariable, TensorVariable]:  # noqa: A001
    """(x // y, x % y), as Python's divmod."""
    return _T.floor_div(x, y), _T.mod(x, y)


def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False,
        ddof: int | None = None, fweights: Any = None, aweights: Any = None) -> TensorVariable:
    """numpy.cov without weights: the covariance matrix of the variables in the
    rows of `m` (in its columns if `rowvar=False`), `y` adding more variables."""
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov: fweights and aweights are not supported")
    m = as_tensor_variable(m)
    if not rowvar:
        m = m.T
    if y is not None:
        y = as_tensor_variable(y)
        m = _T.concatenate([m, y if rowvar else y.T], axis=0)
    ddof = (0 if bias else 1) if ddof is None else ddof
    centred = m - m.mean(axis=1, keepdims=True)
    return _T.dot(centred, centred.T) / (m.shape[1] - ddof)


class Split(Op):
    """numpy.split at given lengths: `x` cut along `axis` into `n_splits`
    pieces of lengths `splits` (which must add up to x's length there)."""

    __props__ = ("n_splits",)

    def __init__(self, n_splits: int) -> None:
        self.n_splits = n_splits

    def make_node(self, x: Any, axis: Any, splits: Any) -> Apply:
        x, axis, splits = (as_tensor_variable(v) for v in (x, axis, splits))
        if splits.ndim != 1 or splits.dtype not in INT_DTYPES + UINT_DTYPES:
            raise TypeError(f"split: the lengths must be an integer vector, got {splits.type}")
        if axis.ndim != 0 or axis.dtype not in INT_DTYPES + UINT_DTYPES:
            raise TypeError(f"split: the axis must be an integer scalar, got {axis.type}")
        bcast = [False] * x.ndim  # which dimension is cut is known only at run time
        outputs = [TensorType(x.dtype, bcast)() for _ in range(self.n_splits)]
        return Apply(self, [x, axis, splits], outputs)

    def perform(self, node, inputs, output_storage):
        x, axis, splits = inputs
        if len(splits) != self.n_splits or np.any(splits < 0):
            raise ValueError(f"split: expected {self.n_splits} non-negative lengths, "
                             f"got {list(splits)}")
        if splits.sum() != x.shape[axis]:
            raise ValueError(f"split: the lengths {list(splits)} add up to {splits.sum()}, "
                             f"but axis {axis} of x (shape {x.shape}) has length "
                             f"{x.shape[axis]}")
        pieces = np.split(x, np.cumsum(splits)[:-1], axis=int(axis))
        for cell, piece in zip(output_storage, pieces):
            cell[0] = piece.copy()

    def infer_shape(self, fgraph, node, input_shapes):
        axis, splits = node.inputs[1], node.inputs[2]
        shape = input_shapes[0]
        return [tuple(_T.switch(_T.eq(axis, d), splits[k], length)
                      for d, length in enumerate(shape)) for k in range(self.n_splits)]

    def grad(self, inputs, output_grads):
        # Each piece's gradient goes back where the piece came from: a join.
        return [_T.join(inputs[1], *output_grads), disconnected_type(), disconnected_type()]

    def connection_pattern(self, node):
        return [[True] * self.n_splits, [False] * self.n_splits, [False] * self.n_splits]


def split(x: Any, splits_size: Any, n_splits: int, axis: int = 0) -> list[TensorVariable]:
    """x cut along `axis` into `n_splits` pieces of lengths `splits_size`."""
    x = as_tensor_variable(x)
    (axis,) = normalize_axis(axis, x.ndim)
    out = Split(n_splits)(x, axis, splits_size)
    return out if isinstance(out, list) else [out]


class _Grid:
    """`mgrid[0:3, 0:4]` and `ogrid[...]`: numpy's index grids, one tensor a dimension."""

    def __init__(self, sparse: bool) -> None:
        self.sparse = sparse

    def __getitem__(self, slices: Any) -> list[TensorVariable]:
        slices = slices if isinstance(slices, tuple) else (slices,)
        for s in slices:
            if not isinstance(s, slice) or s.stop is None:
                raise TypeError(f"{'ogrid' if self.sparse else 'mgrid'}: expected slices with "
                                f"a stop, like [0:3, 0:4], got {s!r}")
        ranges = [_T.arange(s.start or 0, s.stop, 1 if s.step is None else s.step)
                  for s in slices]
        n = len(ranges)
        axes = [[0 if d == k else "x" for d in range(n)] for k in range(n)]
        spread = [r.dimshuffle(pattern) for r, pattern in zip(ranges, axes)]
        if self.sparse:
            return spread
        zeros = reduce(lambda acc, s: acc + _T.zeros_like(s), spread, 0)
        return [s + zeros for s in spread]


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)


def inverse_permutation(perm: Any) -> TensorVariable:
    """The permutation that undoes `perm` (of each row, for a matrix of permutations)."""
    perm = as_tensor_variable(perm)
    return ArgSortOp(perm.ndim - 1, "stable")(perm)


def permute_row_elements(x: Any, y: Any, inverse: bool = False) -> TensorVariable:
    """x with its last dimension permuted by the permutation `y` (out[..., i] =
    x[..., y[i]]; with `inverse`, out[..., y[i]] = x[..., i]).  `y` may hold one
    permutation per row; x and y broadcast against each other."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if y.dtype not in INT_DTYPES + UINT_DTYPES or y.ndim == 0:
        raise TypeError(f"permute_row_elements: y must be integer permutations, got {y.type}")
    x_full = x + _T.zeros_like(y, dtype=x.dtype)
    y_full = y + _T.zeros_like(x, dtype=y.dtype)
    if inverse:
        y_full = inverse_permutation(y_full)
    return PermuteAlongAxis(x_full.ndim - 1)(x_full, y_full)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
