"""Reductions: sum, prod, max, min over some axes (chapter 1).

`CAReduce(scalar_op, axis)` folds a Commutative and Associative scalar op over
the given axes: `add` gives Sum, `mul` Prod, `maximum` Max.  The order of the
fold does not change the result (up to rounding), which is what lets chapter 5
print it as a loop in whatever order memory prefers.  `keepdims` is not part
of the op: the reduced axes are put back by a DimShuffle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.scalar import math as smath
from minitheano.scalar.basic import ScalarOp
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.elemwise import DimShuffle
from minitheano.tensor.type import TensorType, TensorVariable


def normalize_axis(axis: Any, ndim: int, what: str = "axis") -> tuple[int, ...]:
    """`axis` (None, an int, negative ints, a list) as a sorted tuple of dimensions."""
    if axis is None:
        return tuple(range(ndim))
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    result = set()
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{what} must be an int or a list of ints, got {a!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{what} {a} is out of range for an input with {ndim} dimensions")
        result.add(int(a) % ndim)
    return tuple(sorted(result))


class CAReduce(Op):
    """Fold `scalar_op` (commutative and associative) over `axis`."""

    __props__ = ("scalar_op", "axis")

    def __init__(self, scalar_op: ScalarOp, axis: Sequence[int]) -> None:
        self.scalar_op = scalar_op
        self.axis = tuple(axis)
        self.ufunc = scalar_op.nfunc

    def output_dtype(self, dtype: str) -> str:
        return dtype

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        for a in self.axis:
            if a >= x.ndim:
                raise ValueError(f"{self}: axis {a} is out of range for {x.type}")
        bcast = [b for d, b in enumerate(x.broadcastable) if d not in self.axis]
        return Apply(self, [x], [TensorType(self.output_dtype(x.dtype), bcast)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        dtype = node.outputs[0].type.numpy_dtype
        result = self.ufunc.reduce(x, axis=self.axis, dtype=dtype)
        output_storage[0][0] = np.asarray(result, dtype=dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(s for d, s in enumerate(shape) if d not in self.axis)]

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axis={list(self.axis)}}}"


class Sum(CAReduce):
    """The sum over some axes; integers and bools sum in int64 (uint64), as numpy."""

    def __init__(self, axis: Sequence[int]) -> None:
        super().__init__(smath.add, axis)

    def output_dtype(self, dtype: str) -> str:
        return np.sum(np.zeros(1, dtype=dtype)).dtype.name

    def grad(self, inputs, output_grads):
        # --8<-- [start:ex-ch04-sum-grad]
        (x,), (gz,) = inputs, output_grads
        # Every element contributed once: broadcast gz back over the summed axes.
        order, k = [], 0
        for d in range(x.ndim):
            if d in self.axis:
                order.append("x")
            else:
                order.append(k)
                k += 1
        gx = DimShuffle(gz.broadcastable, order)(gz)
        return [_T.second(x, gx) if x.dtype.startswith("float") else
                _T.zeros_like(x, dtype="float64")]
        # --8<-- [end:ex-ch04-sum-grad]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0])]


def sum(x: Any, axis: Any = None, dtype: str | None = None,  # noqa: A001
        keepdims: bool = False) -> TensorVariable:
    """The sum of the elements over `axis` (all of them by default)."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    out = Sum(axes)(x)
    if dtype is not None:
        out = _T.cast(out, dtype)
    return keep_dims(x, out, axes) if keepdims else out


def keep_dims(x: TensorVariable, reduced: TensorVariable, axes: Sequence[int]) -> TensorVariable:
    """Put the reduced `axes` back, with length 1 (numpy's keepdims=True)."""
    order, k = [], 0
    for d in range(x.ndim):
        if d in axes:
            order.append("x")
        else:
            order.append(k)
            k += 1
    return DimShuffle(reduced.broadcastable, order)(reduced)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
