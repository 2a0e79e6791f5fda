"""Shapes: `x.shape`, transposes, and declaring which dimensions broadcast (chapter 1).

`x.shape` is itself a symbolic value, an int64 vector computed when the
function runs (chapter 3 often answers it without computing `x` at all, from
each op's `infer_shape`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.elemwise import DimShuffle
from minitheano.tensor.type import TensorConstant, TensorType, TensorVariable


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
