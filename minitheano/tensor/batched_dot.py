"""`T.batched_dot`: one matrix product per element of a batch (chapter 1).

    out[b] = dot(x[b], y[b])      for b = 0 .. batch size - 1

x and y each have a batch axis in front of one or two more: (B, n, m) and
(B, m, k) give (B, n, k); a (B, n) operand is a batch of vectors, so
(B, n) and (B, n) give (B,), the row-wise dot products.  `BatchedDot` is
that op; `batched_dot` also takes a vector (a scalar per batch element: the
product broadcasts) and more dimensions, summing over the last axis of x
and axis max(1, y.ndim - 2) of y, as Theano 1.0 did.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorType, TensorVariable


class BatchedDot(Op):
    """dot(x[b], y[b]) for every b, x and y each of 2 or 3 dimensions."""

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (2, 3) or y.ndim not in (2, 3):
            raise TypeError(f"BatchedDot: both inputs need a batch axis and one or two "
                            f"more, got {x.type} and {y.type}")
        if x.dtype == "bool" or y.dtype == "bool":
            raise TypeError("batched_dot is not defined for bool inputs; cast them first")
        dtype = np.result_type(x.dtype, y.dtype).name
        bcast = (x.broadcastable[0] and y.broadcastable[0],) + x.broadcastable[1:-1] \
            + y.broadcastable[2:]
        return Apply(self, [x, y], [TensorType(dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        if x.shape[0] != y.shape[0] or x.shape[-1] != y.shape[1]:
            raise ValueError(f"batched_dot: shapes {x.shape} and {y.shape} do not fit: the "
                             f"batch sizes must be equal and the last length of the first "
                             f"must equal the second length of the second")
        # matmul multiplies stacks of matrices; a batch of vectors is a stack of
        # 1 x n (for x) or n x 1 (for y) matrices, whose extra axis is dropped.
        xm = x if x.ndim == 3 else x[:, None, :]
        ym = y if y.ndim == 3 else y[:, :, None]
        out = np.matmul(xm, ym)
        if y.ndim == 2:
            out = out[:, :, 0]
        if x.ndim == 2:
            out = out[:, 0]
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].type.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        xs, ys = input_shapes
        return [(xs[0],) + tuple(xs[1:-1]) + tuple(ys[2:])]

    def grad(self, inputs, output_grads):
        # out[b] = x[b] . y[b], so as for dot: gx[b] = gz[b] . y[b]^T and
        # gy[b] = x[b]^T . gz[b]; a vector's "transpose" is an outer product.
        (x, y), (gz,) = inputs, output_grads
        if x.ndim == 3 and y.ndim == 3:
            gx = self(gz, y.dimshuffle(0, 2, 1))
            gy = self(x.dimshuffle(0, 2, 1), gz)
        elif x.ndim == 3:       # (B, n, m) . (B, m) -> (B, n)
            gx = gz.dimshuffle(0, 1, "x") * y.dimshuffle(0, "x", 1)
            gy = self(gz, x)
        elif y.ndim == 3:       # (B, m) . (B, m, k) -> (B, k)
            gx = self(y, gz)
            gy = x.dimshuffle(0, 1, "x") * gz.dimshuffle(0, "x", 1)
        else:                   # (B, n) . (B, n) -> (B,)
            gx = gz.dimshuffle(0, "x") * y
            gy = gz.dimshuffle(0, "x") * x
        return [_T.patternbroadcast(_T.cast(gx, x.dtype), x.broadcastable),
                _T.patternbroadcast(_T.cast(gy, y.dtype), y.broadcastable)]

    def R_op(self, inputs, eval_points):
        (x, y), (ex, ey) = inputs, eval_points
        terms = ([self(ex, y)] if ex is not None else []) + \
            ([self(x, ey)] if ey is not None else [])
        return [sum(terms[1:], terms[0]) if terms else None]


batched_dot_op = BatchedDot()


def batched_dot(x: Any, y: Any) -> TensorVariable:
    """For each b, numpy.dot(x[b], y[b])."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim == 0 or y.ndim == 0:
        raise TypeError(f"batched_dot: both inputs need a batch axis, got {x.type} and {y.type}")
    if x.ndim == 1:   # one number per batch element: it scales y[b]
        return x.dimshuffle([0] + ["x"] * (y.ndim - 1)) * y
    if y.ndim == 1:
        return x * y.dimshuffle([0] + ["x"] * (x.ndim - 1))
    if x.ndim <= 3 and y.ndim <= 3:
        return batched_dot_op(x, y)
    # More dimensions: line both up by broadcasting (batch, x's free axes, y's
    # free axes, the summed axis) and sum the last axis.
    y_sum = max(1, y.ndim - 2)
    x_free = list(range(1, x.ndim - 1))
    y_free = [d for d in range(1, y.ndim) if d != y_sum]
    x_lined = x.dimshuffle([0, *x_free, *["x"] * len(y_free), x.ndim - 1])
    y_lined = y.dimshuffle([0, *["x"] * len(x_free), *y_free, y_sum])
    return (x_lined * y_lined).sum(axis=-1)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
