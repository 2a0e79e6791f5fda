"""Extra array operations with numpy's names: cumsum, cumprod, diff, repeat, squeeze,
bincount (chapter 1).

Theano's `theano.tensor.extra_ops`; chapter 7 adds `scan` here, since one of
the book's tutorials calls it by that path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.scalar.basic import INT_DTYPES, UINT_DTYPES
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


def diff(x: Any, n: int = 1, axis: int = -1) -> TensorVariable:
    """The n-th discrete difference along `axis`: x[1:] - x[:-1], n times.

    A graph of two slices and a subtraction, so its gradient and shape come
    from the indexing ops.  Bools differ by `!=`, as in numpy.
    """
    x = as_tensor_variable(x)
    if n < 0:
        raise ValueError(f"diff: the order n must be non-negative, got {n}")
    (axis,) = normalize_axis(axis, x.ndim)
    before = (slice(None),) * axis
    for _ in range(n):
        later, earlier = x[before + (slice(1, None),)], x[before + (slice(None, -1),)]
        x = _T.neq(later, earlier) if x.dtype == "bool" else later - earlier
    return x


class RepeatOp(Op):
    """Each element repeated along `axis` (of the flattened array if None):
    `repeats` times if it is a scalar, repeats[i] times for element i if a vector."""

    __props__ = ("axis",)

    def __init__(self, axis: int | None = None) -> None:
        self.axis = axis

    def make_node(self, x: Any, repeats: Any) -> Apply:
        x, repeats = as_tensor_variable(x), as_tensor_variable(repeats)
        if repeats.ndim > 1 or repeats.dtype not in INT_DTYPES + UINT_DTYPES:
            raise TypeError(f"{self}: repeats must be an integer scalar or vector, "
                            f"got {repeats.type}")
        if self.axis is not None and not 0 <= self.axis < x.ndim:
            raise ValueError(f"{self}: axis {self.axis} is out of range for {x.type}")
        if self.axis is None:
            bcast = (False,)
        else:
            bcast = tuple(False if d == self.axis else b for d, b in enumerate(x.broadcastable))
        return Apply(self, [x, repeats], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, repeats = inputs
        length = x.size if self.axis is None else x.shape[self.axis]
        if repeats.ndim == 1 and len(repeats) != length:
            raise ValueError(f"{self}: {len(repeats)} repeat counts for {length} elements "
                             f"(input shape {x.shape})")
        if np.any(repeats < 0):
            raise ValueError(f"{self}: repeat counts must be non-negative, got {repeats}")
        output_storage[0][0] = np.repeat(x, repeats, axis=self.axis)

    def infer_shape(self, fgraph, node, input_shapes):
        repeats, shape = node.inputs[1], input_shapes[0]
        if self.axis is None:
            length = _T.mul(*shape) if len(shape) > 1 else shape[0] if shape else 1
            return [(_T.sum(repeats) if repeats.ndim else length * repeats,)]
        out = list(shape)
        out[self.axis] = _T.sum(repeats) if repeats.ndim else shape[self.axis] * repeats
        return [tuple(out)]

    def grad(self, inputs, output_grads):
        (x, repeats), (gz,) = inputs, output_grads
        axis = 0 if self.axis is None else self.axis
        if repeats.ndim == 0:
            # Split the axis into (element, copy) and add up the copies.
            shape = [x.shape[d] for d in range(x.ndim)] if self.axis is not None else [x.size]
            split = shape[:axis] + [shape[axis], repeats] + shape[axis + 1:]
            gx = _T.sum(gz.reshape(split, ndim=len(split)), axis=axis + 1)
        else:
            # Element i's copies are the slice [ends[i] - repeats[i], ends[i]): the
            # difference of two running sums of gz (one padded with a leading 0).
            before = (slice(None),) * axis
            padded = _T.concatenate([_T.zeros_like(gz[before + (slice(0, 1),)]),
                                     cumsum(gz, axis=axis)], axis=axis)
            ends = cumsum(repeats)
            gx = padded[before + (ends,)] - padded[before + (ends - repeats,)]
        if self.axis is None and x.ndim != 1:
            gx = gx.reshape(x.shape, ndim=x.ndim)
        return [_T.patternbroadcast(gx, x.broadcastable), disconnected_type()]

    def connection_pattern(self, node):
        return [[True], [False]]

    def __str__(self) -> str:
        return f"RepeatOp{{axis={self.axis}}}"


def repeat(x: Any, repeats: Any, axis: int | None = None) -> TensorVariable:
    """numpy.repeat: each element `repeats` times (or repeats[i] times) along `axis`."""
    x = as_tensor_variable(x)
    if axis is not None:
        (axis,) = normalize_axis(axis, x.ndim)
    return RepeatOp(axis)(x, repeats)


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


class BinCount(Op):
    """numpy.bincount: how often each value 0, 1, ... occurs in the int vector x,
    or the sum of `weights` at each value; at least `minlength` long."""

    __props__ = ("minlength",)

    def __init__(self, minlength: int = 0) -> None:
        self.minlength = minlength

    def make_node(self, x: Any, weights: Any = None) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 1 or x.dtype not in INT_DTYPES + UINT_DTYPES:
            raise TypeError(f"bincount: expected an integer vector, got {x.type}")
        if weights is None:
            return Apply(self, [x], [TensorType("int64", (False,))()])
        weights = as_tensor_variable(weights)
        if weights.ndim != 1:
            raise TypeError(f"bincount: the weights must be a vector, got {weights.type}")
        dtype = "float32" if weights.dtype == "float32" else "float64"
        return Apply(self, [x, weights], [TensorType(dtype, (False,))()])

    def perform(self, node, inputs, output_storage):
        x, *weights = inputs
        if np.any(x < 0):
            raise ValueError(f"bincount: the values must be non-negative, got {x.min()}")
        if weights and len(weights[0]) != len(x):
            raise ValueError(f"bincount: {len(weights[0])} weights for {len(x)} values")
        counts = np.bincount(x, weights[0] if weights else None, minlength=self.minlength)
        output_storage[0][0] = counts.astype(node.outputs[0].type.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        x = node.inputs[0]
        # max(x) + 1, or 0 for an empty x: the max of x with a -1 appended.
        longest = _T.max(_T.concatenate([_T.cast(x, "int64"), _T.constant([-1])])) + 1
        return [(_T.cast(_T.maximum(longest, self.minlength), "int64"),)]

    def grad(self, inputs, output_grads):
        (x, *weights), (gz,) = inputs, output_grads
        if not weights:
            return [disconnected_type()]
        # out[v] = sum of weights[i] where x[i] == v, so d out[x[i]] / d weights[i] = 1.
        return [disconnected_type(), gz[x]]

    def connection_pattern(self, node):
        return [[False]] + [[True]] * (len(node.inputs) - 1)


def bincount(x: Any, weights: Any = None, minlength: int | None = None,
             assert_nonneg: bool = False) -> TensorVariable:
    """numpy.bincount (`assert_nonneg` is Theano's; negative values always raise)."""
    op = BinCount(int(minlength or 0))
    return op(x) if weights is None else op(x, weights)


def scan(fn: Any, sequences: Any = None, outputs_info: Any = None, non_sequences: Any = None,
         n_steps: Any = None, truncate_gradient: int = -1, go_backwards: bool = False,
         mode: Any = None, name: str | None = None, strict: bool = False) -> Any:
    """`theano.scan`, under the name one of the book's tutorials uses (chapter 7).

    The loop itself is in minitheano/scan/, which builds on this package; it
    is imported when called, so tensor/ does not depend on it.
    """
    from minitheano.scan import scan as _scan

    return _scan(fn, sequences=sequences, outputs_info=outputs_info,
                 non_sequences=non_sequences, n_steps=n_steps,
                 truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode,
                 name=name, strict=strict)


def to_one_hot(y: Any, nb_class: int, dtype: str | None = None) -> TensorVariable:
    """The rows of the identity matrix picked by the int vector y: out[i, j] is 1
    where j == y[i], else 0 (dtype: config.floatX by default, as in Theano)."""
    y = as_tensor_variable(y)
    if y.ndim != 1 or y.dtype not in INT_DTYPES + UINT_DTYPES:
        raise TypeError(f"to_one_hot: y must be a vector of class numbers (ints), got {y.type}")
    classes = _T.arange(nb_class)
    hot = _T.eq(y.dimshuffle(0, "x"), classes.dimshuffle("x", 0))
    return _T.cast(hot, dtype or config.floatX)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
from minitheano.tensor.diagonal import fill_diagonal, fill_diagonal_offset  # noqa: E402, F401
from minitheano.tensor.indexing_ops import (  # noqa: E402, F401 (Theano's names here)
    RavelMultiIndex,
    SearchsortedOp,
    Unique,
    UnravelIndex,
    bartlett,
    compress,
    ravel_multi_index,
    searchsorted,
    unique,
    unravel_index,
)
