"""Shapes: `x.shape`, reshaping, transposes, and declaring which dimensions broadcast
(chapter 1).

`x.shape` is itself a symbolic value, an int64 vector computed when the
function runs (chapter 3 often answers it without computing `x` at all, from
each op's `infer_shape`).  A shape given to `reshape` is such a vector too, so
it can be computed by the graph: `x.reshape((x.shape[0], -1))`.  Some things
must still be known when the graph is built -- the *number* of dimensions of
every variable -- which is what `get_vector_length` is for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.scalar.basic import INT_DTYPES, UINT_DTYPES
from minitheano.tensor import kernel as K
from minitheano.tensor.basic import as_tensor_variable, cast
from minitheano.tensor.elemwise import DimShuffle
from minitheano.tensor.type import TensorConstant, TensorType, TensorVariable

__all__ = ["Rebroadcast", "Reshape", "Shape", "Shape_i", "SpecifyShape", "addbroadcast",
           "dimshuffle", "shape_i",
           "flatten", "get_vector_length", "patternbroadcast", "reshape", "shape",
           "shape_padaxis", "shape_padleft", "shape_padright", "specify_shape", "transpose",
           "unbroadcast"]


class Shape(Op):
    """x.shape, as an int64 vector."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (x.ndim == 1,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.asarray(inputs[0].shape, dtype="int64")

    def infer_shape(self, fgraph, node, input_shapes):
        return [(node.inputs[0].ndim,)]

    def grad(self, inputs, output_grads):
        return [disconnected_type()]

    def connection_pattern(self, node):
        return [[False]]

    def R_op(self, inputs, eval_points):
        return [None]  # a shape does not change along any direction


_shape = Shape()


def shape(x: Any) -> TensorVariable:
    """The shape of x, a symbolic int64 vector."""
    return _shape(x)


class Rebroadcast(Op):
    """Declare dimensions broadcastable (or not), checking lengths at run time.

    `patternbroadcast(x, (True, False))` says "the first dimension of x has
    length 1"; the op passes its input through (a view) after checking it.
    """

    __props__ = ("broadcastable",)
    view_map = {0: [0]}

    def __init__(self, broadcastable: Sequence[bool]) -> None:
        self.broadcastable = tuple(bool(b) for b in broadcastable)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != len(self.broadcastable):
            raise TypeError(f"{self}: expected {len(self.broadcastable)} dimensions, "
                            f"got {x.type}")
        return Apply(self, [x], [TensorType(x.dtype, self.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        for d, b in enumerate(self.broadcastable):
            if b and x.shape[d] != 1:
                raise ValueError(f"{self}: dimension {d} was declared broadcastable (length 1) "
                                 f"but has length {x.shape[d]} (shape {x.shape})")
        output_storage[0][0] = x

    def infer_shape(self, fgraph, node, input_shapes):
        (s,) = input_shapes
        return [tuple(1 if b else n for n, b in zip(s, self.broadcastable))]

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [patternbroadcast(gz, x.broadcastable)]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0])]

    def __str__(self) -> str:
        return f"Rebroadcast{{{','.join('1' if b else '?' for b in self.broadcastable)}}}"


def patternbroadcast(x: Any, broadcastable: Sequence[bool]) -> TensorVariable:
    """x with the given broadcastable pattern (no node if it already has it)."""
    x = as_tensor_variable(x)
    broadcastable = tuple(bool(b) for b in broadcastable)
    if x.broadcastable == broadcastable:
        return x
    if isinstance(x, TensorConstant):
        return TensorConstant(TensorType(x.dtype, broadcastable), x.data)
    return Rebroadcast(broadcastable)(x)


def addbroadcast(x: Any, *axes: int) -> TensorVariable:
    """x with `axes` declared broadcastable."""
    x = as_tensor_variable(x)
    return patternbroadcast(x, [b or d in axes for d, b in enumerate(x.broadcastable)])


def unbroadcast(x: Any, *axes: int) -> TensorVariable:
    """x with `axes` no longer declared broadcastable."""
    x = as_tensor_variable(x)
    return patternbroadcast(x, [b and d not in axes for d, b in enumerate(x.broadcastable)])


def dimshuffle(x: Any, pattern: Sequence[int | str]) -> TensorVariable:
    """Reorder, drop and add ('x') dimensions (see DimShuffle)."""
    x = as_tensor_variable(x)
    return DimShuffle(x.broadcastable, pattern)(x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> TensorVariable:
    """x with its dimensions reversed, or permuted by `axes`."""
    x = as_tensor_variable(x)
    if axes is None:
        axes = list(range(x.ndim))[::-1]
    return dimshuffle(x, list(axes))


def shape_padleft(x: Any, n_ones: int = 1) -> TensorVariable:
    """x with `n_ones` broadcastable dimensions added in front."""
    x = as_tensor_variable(x)
    return dimshuffle(x, ["x"] * n_ones + list(range(x.ndim)))


def shape_padright(x: Any, n_ones: int = 1) -> TensorVariable:
    """x with `n_ones` broadcastable dimensions added at the end."""
    x = as_tensor_variable(x)
    return dimshuffle(x, list(range(x.ndim)) + ["x"] * n_ones)


def shape_padaxis(x: Any, axis: int) -> TensorVariable:
    """x with a broadcastable dimension inserted at `axis` (numpy.expand_dims)."""
    x = as_tensor_variable(x)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise IndexError(f"shape_padaxis: axis {axis} is out of range for a new dimension of "
                         f"{x} ({x.ndim} dimensions)")
    if axis < 0:
        axis += x.ndim + 1
    pattern: list[int | str] = list(range(x.ndim))
    pattern.insert(axis, "x")
    return dimshuffle(x, pattern)


# ---------------------------------------------------------------------------
# What is known when the graph is built
# ---------------------------------------------------------------------------

INTEGER_DTYPES = INT_DTYPES + UINT_DTYPES


def constant_int(v: Any) -> int | None:
    """The value of `v` if it is an integer known when the graph is built, else None."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, TensorConstant) and v.ndim == 0 and v.dtype in INTEGER_DTYPES:
        return int(v.data)
    return None


def get_vector_length(v: Any) -> int:
    """The length of the symbolic vector `v`, if it is known when the graph is built.

    It is for constants, vectors built from scalars (`MakeVector`), `x.shape`
    (its length is x.ndim), constant slices and joins of those.  Anything
    else depends on the data: a ValueError.
    """
    v = as_tensor_variable(v)
    if v.ndim != 1:
        raise TypeError(f"get_vector_length: {v} is not a vector but a {v.type}")
    if v.broadcastable[0]:
        return 1
    if isinstance(v, TensorConstant):
        return len(v.data)
    op = v.owner.op if v.owner is not None else None
    if isinstance(op, _T.MakeVector):
        return len(v.owner.inputs)
    if isinstance(op, Shape):
        return v.owner.inputs[0].ndim
    if isinstance(op, (SpecifyShape, Rebroadcast)) or (
            isinstance(op, _T.Elemwise) and len(v.owner.inputs) == 1):  # e.g. a cast
        return get_vector_length(v.owner.inputs[0])
    if isinstance(op, _T.Join) and constant_int(v.owner.inputs[0]) in (0, -1):
        return sum(get_vector_length(t) for t in v.owner.inputs[1:])
    if isinstance(op, _T.Subtensor) and len(op.idx_list) == 1:
        (entry,) = op.idx_list
        if isinstance(entry, slice) and all(
                p is None or isinstance(p, int) for p in (entry.start, entry.stop, entry.step)):
            return len(range(get_vector_length(v.owner.inputs[0]))[entry])
    raise ValueError(f"the length of the vector {v} is not known when the graph is built "
                     f"(it depends on the data); give the length explicitly, e.g. "
                     f"reshape(x, shape, ndim=...)")


def _known_entries(v: TensorVariable, n: int) -> list[int | None]:
    """For each entry of the length-`n` vector `v`, its value if it is a constant."""
    if isinstance(v, TensorConstant):
        return [int(e) for e in v.data]
    if v.owner is not None and isinstance(v.owner.op, _T.MakeVector):
        return [constant_int(e) for e in v.owner.inputs]
    return [None] * n


def _shape_vector(shape: Any, who: str) -> TensorVariable:
    """`shape` (a tuple of ints and scalars, or a vector) as an int64 vector."""
    if isinstance(shape, (list, tuple)) and not shape:
        shape = np.zeros(0, dtype="int64")  # (): the shape of a 0-d array
    shape = as_tensor_variable(shape)
    if shape.ndim == 0:
        shape = shape_padleft(shape)
    if shape.ndim != 1 or shape.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{who}: a shape must be a vector of integers, got {shape.type}")
    return cast(shape, "int64")


def _entries(v: TensorVariable, n: int) -> list[Any]:
    """The `n` entries of vector `v` for an infer_shape: ints where known, else v[i]."""
    return [e if e is not None else v[i] for i, e in enumerate(_known_entries(v, n))]


def lengths_product(values: Sequence[Any]) -> Any:
    """The product of ints and symbolic scalars (an int if all are ints)."""
    result = 1
    for v in values:
        result = result * v
    return result


class Reshape(Op):
    """x's elements in C order, arranged in a new shape: `x.reshape((2, -1))`.

    The shape is an input, an int64 vector, so the graph may compute it
    (`x.reshape((x.shape[0], -1))`); `ndim`, its length, is fixed when the
    node is built, since the output's type needs it.  One entry may be -1:
    that length is whatever makes the sizes agree.  The output is a view of
    x when numpy can give one (x contiguous), a copy otherwise.
    """

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim: int) -> None:
        self.ndim = int(ndim)

    def make_node(self, x: Any, shape: Any) -> Apply:
        x = as_tensor_variable(x)
        shape = _shape_vector(shape, str(self))
        try:
            length = get_vector_length(shape)
        except ValueError:
            length = self.ndim
        if length != self.ndim:
            raise ValueError(f"{self}: the shape {shape} has {length} entries, not {self.ndim}")
        known = _known_entries(shape, self.ndim)
        if known.count(-1) > 1 or any(k is not None and k < -1 for k in known):
            raise ValueError(f"{self}: invalid shape {tuple(known)}: lengths must be >= 0, "
                             f"with at most one -1")
        return Apply(self, [x, shape], [TensorType(x.dtype, [k == 1 for k in known])()])

    def perform(self, node, inputs, output_storage):
        x, shape = inputs
        shape = tuple(int(s) for s in shape)
        if len(shape) != self.ndim:
            raise ValueError(f"{self}: the shape {shape} has {len(shape)} entries, "
                             f"not {self.ndim}")
        known = [s for s in shape if s != -1]
        if len(known) < len(shape) - 1 or any(s < 0 for s in known):
            raise ValueError(f"{self}: invalid shape {shape}: lengths must be >= 0, "
                             f"with at most one -1")
        size = math.prod(known)
        fits = x.size == size if len(known) == len(shape) else size and x.size % size == 0
        if not fits:
            raise ValueError(f"{self}: cannot reshape an array of shape {x.shape} "
                             f"({x.size} elements) into shape {shape}")
        output_storage[0][0] = x.reshape(shape)

    def infer_shape(self, fgraph, node, input_shapes):
        x_shape, _ = input_shapes
        entries = _entries(node.inputs[1], self.ndim)
        # With one entry -1, the product of all entries is minus the product of
        # the others, so the missing length is size // -product.
        size, product = lengths_product(x_shape), lengths_product(entries)
        out = []
        for e in entries:
            if isinstance(e, int) and e != -1:
                out.append(e)
            elif isinstance(e, int):
                out.append(size // -product)
            else:
                out.append(_T.switch(_T.eq(e, -1), size // -product, e))
        return [tuple(out)]

    def grad(self, inputs, output_grads):
        (x, _), (gz,) = inputs, output_grads
        return [patternbroadcast(reshape(gz, shape(x), ndim=x.ndim), x.broadcastable),
                disconnected_type()]

    def connection_pattern(self, node):
        return [[True], [False]]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0], inputs[1])]

    def __str__(self) -> str:
        return f"Reshape{{{self.ndim}}}"


def reshape(x: Any, newshape: Any, ndim: int | None = None) -> TensorVariable:
    """x with shape `newshape`: a tuple of ints and symbolic scalars, or an int vector
    (then `ndim`, its length, is needed unless it is known: see get_vector_length)."""
    x = as_tensor_variable(x)
    newshape = _shape_vector(newshape, "reshape")
    if ndim is None:
        ndim = get_vector_length(newshape)
    return Reshape(ndim)(x, newshape)


def flatten(x: Any, ndim: int = 1, outdim: int | None = None) -> TensorVariable:
    """x with its last dimensions merged so that `ndim` remain (Theano's rule: the
    first ndim - 1 dimensions are kept, the rest become one)."""
    x = as_tensor_variable(x)
    ndim = outdim if outdim is not None else ndim
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim={ndim} must be between 1 and {x.ndim}, the "
                         f"number of dimensions of {x}")
    kept = [x.shape[d] for d in range(ndim - 1)]
    out = reshape(x, [*kept, -1], ndim=ndim)
    # Lengths known to be 1 stay known: the kept ones, and the merged one if all were 1.
    bcast = x.broadcastable[:ndim - 1] + (all(x.broadcastable[ndim - 1:]),)
    return addbroadcast(out, *[d for d, b in enumerate(bcast) if b])


class SpecifyShape(Op):
    """x, after checking that its shape is `shape` (an error otherwise).

    It tells the graph something the user knows: chapter 3's shape
    inference can then use `shape` instead of computing x.
    """

    view_map = {0: [0]}

    def make_node(self, x: Any, shape: Any) -> Apply:
        x = as_tensor_variable(x)
        shape = _shape_vector(shape, "SpecifyShape")
        try:
            length = get_vector_length(shape)
        except ValueError:
            length = x.ndim
        if length != x.ndim:
            raise ValueError(f"SpecifyShape: {x} has {x.ndim} dimensions, but the shape "
                             f"given has {length} entries")
        return Apply(self, [x, shape], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, shape = inputs
        if x.shape != tuple(shape):
            raise ValueError(f"SpecifyShape: the array has shape {x.shape}, but shape "
                             f"{tuple(int(s) for s in shape)} was specified")
        output_storage[0][0] = x

    def infer_shape(self, fgraph, node, input_shapes):
        return [tuple(_entries(node.inputs[1], node.inputs[0].ndim))]

    def grad(self, inputs, output_grads):
        (_, s), (gz,) = inputs, output_grads
        return [specify_shape(gz, s), disconnected_type()]

    def connection_pattern(self, node):
        return [[True], [False]]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0], inputs[1])]


_specify_shape = SpecifyShape()


def specify_shape(x: Any, shape: Any) -> TensorVariable:
    """x, declared (and checked when the function runs) to have shape `shape`."""
    return _specify_shape(x, shape)


class Shape_i(Op):  # noqa: N801  (Theano's name)
    """x.shape[i], as an int64 scalar: one length, without indexing a shape vector.

    Reductions use it to count the elements they average over (`mean`), and
    chapter 3 asks it for lengths it cannot infer.
    """

    __props__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = int(i)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"{self}: {x} has {x.ndim} dimensions, no dimension {self.i}")
        return Apply(self, [x], [TensorType("int64", ())()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.asarray(inputs[0].shape[self.i], dtype="int64")

    def kernel(self, node: Apply) -> K.ShapeKernel:
        """On a device, the length is read from the array's shape (chapter 6)."""
        return K.ShapeKernel(K.operand(node.inputs[0]), self.i)

    def infer_shape(self, fgraph, node, input_shapes):
        return [()]

    def grad(self, inputs, output_grads):
        return [disconnected_type()]

    def connection_pattern(self, node):
        return [[False]]

    def __str__(self) -> str:
        return f"Shape_i{{{self.i}}}"


def shape_i(x: Any, i: int) -> TensorVariable:
    """The length of dimension i of x: a constant 1 if it is broadcastable, else Shape_i."""
    x = as_tensor_variable(x)
    if x.broadcastable[i]:
        return TensorConstant(TensorType("int64", ()), np.asarray(1, dtype="int64"))
    return Shape_i(i)(x)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
