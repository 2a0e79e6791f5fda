"""Extra array operations with numpy's names: cumsum, cumprod, squeeze (chapter 1).

Theano's `theano.tensor.extra_ops`; chapter 7 adds `scan` here, since one of
the book's tutorials calls it by that path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.reduction import normalize_axis
from minitheano.tensor.type import TensorType, TensorVariable


class CumOp(Op):
    """Running sums (`mode='add'`) or products (`mode='mul'`) along `axis`;
    along the flattened array if `axis` is None (a vector result), as numpy."""

    __props__ = ("axis", "mode")

    def __init__(self, axis: int | None = None, mode: str = "add") -> None:
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' or 'mul', got {mode!r}")
        self.axis = axis
        self.mode = mode

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if self.axis is not None and not 0 <= self.axis < x.ndim:
            raise ValueError(f"{self}: axis {self.axis} is out of range for {x.type}")
        fn = np.cumsum if self.mode == "add" else np.cumprod
        dtype = fn(np.zeros(1, dtype=x.dtype)).dtype.name  # int32 -> int64, as numpy
        bcast = (False,) if self.axis is None else x.broadcastable
        return Apply(self, [x], [TensorType(dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        fn = np.cumsum if self.mode == "add" else np.cumprod
        output_storage[0][0] = np.asarray(fn(x, axis=self.axis),
                                          dtype=node.outputs[0].type.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        (shape,) = input_shapes
        if self.axis is None:
            return [(_T.mul(*shape) if len(shape) > 1 else shape[0] if shape else 1,)]
        return [tuple(shape)]

    def L_op(self, inputs, outputs, output_grads):
        (x,), (out,), (gz,) = inputs, outputs, output_grads
        if not x.dtype.startswith("float"):
            return [_T.zeros_like(x, dtype="float64")]
        axis = 0 if self.axis is None else self.axis
        if self.mode == "add":
            # out[j] = sum_{i <= j} x[i], so d cost / d x[i] = sum_{j >= i} gz[j].
            gx = _reverse_cumsum(gz, axis)
        else:
            # out[j] = prod_{i <= j} x[i]: d out[j] / d x[i] = out[j] / x[i] for j >= i
            # (like Theano, not defined where x has zeros).
            flat_x = x.flatten() if self.axis is None and x.ndim != 1 else x
            gx = _reverse_cumsum(gz * out, axis) / flat_x
        if self.axis is None and x.ndim != 1:
            gx = _T.reshape(gx, x.shape, ndim=x.ndim)
        return [_T.patternbroadcast(gx, x.broadcastable)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        if self.mode == "add":
            return [self(eval_points[0])]
        (x,) = inputs
        # d cumprod = cumprod * cumsum(dx / x)
        return [self(x) * CumOp(self.axis, "add")(eval_points[0] / x)]

    def __str__(self) -> str:
        return f"CumOp{{{self.axis}, {self.mode}}}"


def _reverse_cumsum(g: TensorVariable, axis: int) -> TensorVariable:
    """sum_{j >= i} g[j] along `axis`: the total minus the sum of those before i."""
    return _T.sum(g, axis=axis, keepdims=True) - CumOp(axis, "add")(g) + g


def cumsum(x: Any, axis: int | None = None) -> TensorVariable:
    """Running sums along `axis` (of the flattened array if None)."""
    x = as_tensor_variable(x)
    if axis is not None:
        (axis,) = normalize_axis(axis, x.ndim)
    return CumOp(axis, "add")(x)


def cumprod(x: Any, axis: int | None = None) -> TensorVariable:
    """Running products along `axis` (of the flattened array if None)."""
    x = as_tensor_variable(x)
    if axis is not None:
        (axis,) = normalize_axis(axis, x.ndim)
    return CumOp(axis, "mul")(x)


def squeeze(x: Any, axis: Any = None) -> TensorVariable:
    """x without its length-1 dimensions.

    With `axis=None`, the dimensions *declared* broadcastable go (their length
    is known to be 1); otherwise the dimensions named in `axis` go, after a
    run-time check that their length is 1.
    """
    x = as_tensor_variable(x)
    if axis is None:
        drop = [d for d in range(x.ndim) if x.broadcastable[d]]
    else:
        drop = normalize_axis(axis, x.ndim)
        x = _T.addbroadcast(x, *drop)
    return x.dimshuffle([d for d in range(x.ndim) if d not in drop])


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
