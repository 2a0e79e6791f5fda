"""numpy's index arithmetic: searchsorted, unique, unravel_index, ravel_multi_index,
compress, and the Bartlett window (chapter 1).

Theano's `theano.tensor.extra_ops` has them; they compute integer positions,
so they have no gradient with respect to the arrays they search (a position
does not change under a small change of a value).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.scalar.basic import INT_DTYPES, UINT_DTYPES
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorType, TensorVariable

INDEX_DTYPES = INT_DTYPES + UINT_DTYPES


class Positions(Op):
    """An op whose outputs are integer positions: disconnected from every input."""

    def grad(self, inputs, output_grads):
        return [disconnected_type() for _ in inputs]

    def connection_pattern(self, node):
        return [[False] * len(node.outputs) for _ in node.inputs]


class SearchsortedOp(Positions):
    """numpy.searchsorted(x, v, side): where the values v would go in the sorted vector x."""

    __props__ = ("side",)

    def __init__(self, side: str = "left") -> None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        self.side = side

    def make_node(self, x: Any, v: Any) -> Apply:
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1:
            raise TypeError(f"searchsorted: x must be a sorted vector, got {x.type}")
        return Apply(self, [x, v], [TensorType("int64", v.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        x, v = inputs
        output_storage[0][0] = np.asarray(np.searchsorted(x, v, self.side), dtype="int64")

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]


def searchsorted(x: Any, v: Any, side: str = "left", sorter: Any = None) -> TensorVariable:
    """Positions at which to insert `v` into the sorted vector `x` (or into
    x[sorter], the positions then counting in that order)."""
    x = as_tensor_variable(x)
    if sorter is not None:
        x = x[sorter]
    return SearchsortedOp(side)(x, v)


class Unique(Positions):
    """numpy.unique of the flattened array: the sorted distinct values, and
    optionally the index of each one's first occurrence, the inverse (where
    each element went) and the counts."""

    __props__ = ("return_index", "return_inverse", "return_counts")

    def __init__(self, return_index: bool = False, return_inverse: bool = False,
                 return_counts: bool = False) -> None:
        self.return_index = return_index
        self.return_inverse = return_inverse
        self.return_counts = return_counts

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        extra = sum([self.return_index, self.return_inverse, self.return_counts])
        outputs = [TensorType(x.dtype, (False,))()]
        outputs += [TensorType("int64", (False,))() for _ in range(extra)]
        return Apply(self, [x], outputs)

    def perform(self, node, inputs, output_storage):
        result = np.unique(inputs[0], return_index=self.return_index,
                           return_inverse=self.return_inverse,
                           return_counts=self.return_counts)
        values = result if isinstance(result, tuple) else (result,)
        for cell, value, out in zip(output_storage, values, node.outputs):
            cell[0] = np.asarray(value, dtype=out.type.dtype).reshape(-1)


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False) -> Any:
    """numpy.unique of the flattened array; a list when more than the values is asked for."""
    return Unique(return_index, return_inverse, return_counts)(ar)


class UnravelIndex(Positions):
    """numpy.unravel_index: flat positions into one index array per dimension."""

    __props__ = ("ndim", "order")

    def __init__(self, ndim: int, order: str = "C") -> None:
        self.ndim = ndim
        self.order = order

    def make_node(self, indices: Any, dims: Any) -> Apply:
        indices, dims = as_tensor_variable(indices), as_tensor_variable(dims)
        if indices.dtype not in INDEX_DTYPES or dims.dtype not in INDEX_DTYPES or dims.ndim != 1:
            raise TypeError(f"unravel_index: expected integer indices and an integer vector "
                            f"of dimensions, got {indices.type} and {dims.type}")
        outputs = [TensorType("int64", indices.broadcastable)() for _ in range(self.ndim)]
        return Apply(self, [indices, dims], outputs)

    def perform(self, node, inputs, output_storage):
        indices, dims = inputs
        if len(dims) != self.ndim:
            raise ValueError(f"unravel_index: {len(dims)} dimensions given, {self.ndim} declared")
        for cell, value in zip(output_storage,
                               np.unravel_index(indices, tuple(dims), order=self.order)):
            cell[0] = np.asarray(value, dtype="int64")

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]] * self.ndim


def unravel_index(indices: Any, dims: Any, order: str = "C") -> tuple[TensorVariable, ...]:
    """A tuple of index arrays, one per dimension of an array of shape `dims`."""
    dims_var = as_tensor_variable(dims)
    n = _T.get_vector_length(dims_var)
    out = UnravelIndex(n, order)(indices, dims_var)
    return tuple(out) if isinstance(out, list) else (out,)


class RavelMultiIndex(Positions):
    """numpy.ravel_multi_index: one index array per dimension into flat positions."""

    __props__ = ("mode", "order")

    def __init__(self, mode: str = "raise", order: str = "C") -> None:
        self.mode = mode
        self.order = order

    def make_node(self, *inputs: Any) -> Apply:
        *multi_index, dims = [as_tensor_variable(v) for v in inputs]
        if any(v.dtype not in INDEX_DTYPES for v in [*multi_index, dims]):
            raise TypeError("ravel_multi_index: expected integer index arrays and dimensions")
        return Apply(self, [*multi_index, dims],
                     [TensorType("int64", multi_index[0].broadcastable)()])

    def perform(self, node, inputs, output_storage):
        *multi_index, dims = inputs
        output_storage[0][0] = np.asarray(
            np.ravel_multi_index(tuple(multi_index), tuple(dims), self.mode, self.order),
            dtype="int64")

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]


def ravel_multi_index(multi_index: Any, dims: Any, mode: str = "raise",
                      order: str = "C") -> TensorVariable:
    """Flat positions in an array of shape `dims` of the indices `multi_index`
    (a tuple with one index array per dimension)."""
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"ravel_multi_index: mode must be 'raise', 'wrap' or 'clip', "
                         f"got {mode!r}")
    return RavelMultiIndex(mode, order)(*multi_index, dims)


def compress(condition: Any, x: Any, axis: int | None = None) -> TensorVariable:
    """numpy.compress: the slices of `x` along `axis` (of the flattened x if None)
    where `condition` is true; a shorter condition leaves out the rest."""
    x, condition = as_tensor_variable(x), as_tensor_variable(condition)
    if axis is None:
        x, axis = x.flatten(), 0
    keep = _T.flatnonzero(condition)
    return x[(slice(None),) * axis + (keep,)]


def bartlett(M: Any) -> TensorVariable:  # noqa: N803 (numpy's name)
    """numpy.bartlett: the triangular window of M points (empty for M < 1)."""
    M = as_tensor_variable(M)  # noqa: N806
    n = _T.arange(_T.maximum(M, 0))
    centre = (M - 1) / 2.0
    scale = _T.maximum(M - 1, 1) / 2.0  # M = 1: the window [1.0]
    return 1.0 - abs(n - centre) / scale


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
