"""Sorting: sort, argsort and topk along an axis (chapter 1; the gradient, chapter 4).

Sorting is a permutation of each line along the axis, so `sort(x)` is
`x` gathered at `argsort(x)`, and its gradient sends each output's gradient
back to the place its value came from: the gradient gathered at the inverse
permutation, which is `argsort` of the permutation.  `PermuteAlongAxis`
does the gathering, for sorting and for its gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.scalar.basic import INT_DTYPES, UINT_DTYPES
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.reduction import normalize_axis
from minitheano.tensor.type import TensorType, TensorVariable

KINDS = ("quicksort", "mergesort", "heapsort", "stable")


def _check_kind(kind: str, order: Any) -> None:
    if kind not in KINDS:
        raise ValueError(f"sort: kind must be one of {KINDS}, got {kind!r}")
    if order is not None:
        raise NotImplementedError("sort: `order` (fields of structured arrays) is not "
                                  "supported; minitheano's arrays have no fields")


class SortOp(Op):
    """numpy.sort along `axis`."""

    __props__ = ("axis", "kind")

    def __init__(self, axis: int, kind: str = "quicksort") -> None:
        self.axis = axis
        self.kind = kind

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.sort(inputs[0], axis=self.axis, kind=self.kind)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        order = ArgSortOp(self.axis, "stable")(x)
        inverse = ArgSortOp(self.axis, "stable")(order)
        return [PermuteAlongAxis(self.axis)(gz, inverse)]

    def __str__(self) -> str:
        return f"SortOp{{{self.kind}, axis={self.axis}}}"


class ArgSortOp(Op):
    """numpy.argsort along `axis`: the int64 positions that sort each line."""

    __props__ = ("axis", "kind")

    def __init__(self, axis: int, kind: str = "quicksort") -> None:
        self.axis = axis
        self.kind = kind

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", x.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.argsort(inputs[0], axis=self.axis,
                                          kind=self.kind).astype("int64")

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        # The positions do not change under a small change of x.
        return [_T.zeros_like(inputs[0], dtype="float64")]

    def __str__(self) -> str:
        return f"ArgSortOp{{{self.kind}, axis={self.axis}}}"


class PermuteAlongAxis(Op):
    """numpy.take_along_axis(x, perm, axis) where each line of `perm` along
    `axis` is a permutation of 0..n-1 (the op checks it)."""

    __props__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def make_node(self, x: Any, perm: Any) -> Apply:
        x, perm = as_tensor_variable(x), as_tensor_variable(perm)
        if perm.dtype not in INT_DTYPES + UINT_DTYPES or perm.ndim != x.ndim:
            raise TypeError(f"{self}: the permutation must be an integer tensor with "
                            f"{x.ndim} dimensions, got {perm.type}")
        return Apply(self, [x, perm], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, perm = inputs
        expected = np.arange(x.shape[self.axis]).reshape(
            [-1 if d == self.axis else 1 for d in range(x.ndim)])
        if perm.shape != x.shape or not np.array_equal(np.sort(perm, axis=self.axis),
                                                       np.broadcast_to(expected, x.shape)):
            raise ValueError(f"{self}: the indices (shape {perm.shape}) are not a "
                             f"permutation of each line of x (shape {x.shape})")
        output_storage[0][0] = np.take_along_axis(x, perm, axis=self.axis)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        (_, perm), (gz,) = inputs, output_grads
        inverse = ArgSortOp(self.axis, "stable")(perm)
        return [PermuteAlongAxis(self.axis)(gz, inverse), disconnected_type()]

    def connection_pattern(self, node):
        return [[True], [False]]

    def __str__(self) -> str:
        return f"PermuteAlongAxis{{axis={self.axis}}}"


def _axis_and_input(a: Any, axis: int | None) -> tuple[TensorVariable, int]:
    a = as_tensor_variable(a)
    if axis is None:
        return a.flatten(), 0
    (axis,) = normalize_axis(axis, a.ndim)
    return a, axis


def sort(a: Any, axis: int | None = -1, kind: str = "quicksort",
         order: Any = None) -> TensorVariable:
    """numpy.sort: `a` sorted along `axis` (the flattened `a` if None)."""
    _check_kind(kind, order)
    a, axis = _axis_and_input(a, axis)
    return SortOp(axis, kind)(a)


def argsort(a: Any, axis: int | None = -1, kind: str = "quicksort",
            order: Any = None) -> TensorVariable:
    """numpy.argsort: the positions that sort `a` along `axis` (int64)."""
    _check_kind(kind, order)
    a, axis = _axis_and_input(a, axis)
    return ArgSortOp(axis, kind)(a)


def _top_positions(x: TensorVariable, kth: int, axis: int) -> tuple:
    """The index along `axis` that picks the |kth| largest (kth > 0, largest first)
    or smallest (kth < 0, smallest first) of a sorted line."""
    if not isinstance(kth, (int, np.integer)) or kth == 0:
        raise ValueError(f"topk: kth must be a non-zero int, got {kth!r}")
    before = (slice(None),) * axis
    return before + ((slice(-1, -int(kth) - 1, -1),) if kth > 0 else (slice(0, -int(kth)),))


def topk(x: Any, kth: int, axis: int = -1, sorted: bool = True,  # noqa: A002 (Theano's)
         idx_dtype: str = "int64") -> TensorVariable:
    """The kth largest values along `axis` (the |kth| smallest if kth < 0), in
    order, largest (or smallest) first."""
    x, axis = _axis_and_input(x, axis)
    return SortOp(axis, "stable")(x)[_top_positions(x, kth, axis)]


def argtopk(x: Any, kth: int, axis: int = -1, sorted: bool = True,  # noqa: A002
            idx_dtype: str = "int64") -> TensorVariable:
    """The positions of topk(x, kth, axis) along `axis`."""
    x, axis = _axis_and_input(x, axis)
    positions = ArgSortOp(axis, "stable")(x)[_top_positions(x, kth, axis)]
    return _T.cast(positions, idx_dtype)


def topk_and_argtopk(x: Any, kth: int, axis: int = -1, sorted: bool = True,  # noqa: A002
                     idx_dtype: str = "int64") -> tuple[TensorVariable, TensorVariable]:
    """(topk, argtopk) of the same arguments."""
    return (topk(x, kth, axis, sorted, idx_dtype), argtopk(x, kth, axis, sorted, idx_dtype))


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
