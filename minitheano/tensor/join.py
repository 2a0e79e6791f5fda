"""Building arrays from pieces: vectors of scalars, joins, stacks, ranges, tensordot
(chapter 1).

`MakeVector` turns symbolic scalars into a vector -- it is how a shape like
`(x.shape[0], -1)` becomes the int64 vector that `Reshape` takes.  `Join` is
numpy's concatenate; `stack` adds an axis to each piece and joins them.
`tensordot` is not an op at all: it rearranges its arguments with
DimShuffle and Reshape so that one matrix product (`Dot`) does the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type, grad_not_implemented
from minitheano.graph.op import Op
from minitheano.scalar.basic import (
    DISCRETE_DTYPES,
    FLOAT_DTYPES,
    ScalarType,
    as_scalar,
    is_weak,
    upcast,
)
from minitheano.tensor.basic import as_elemwise_inputs, as_tensor_variable, cast
from minitheano.tensor.shape import (
    INTEGER_DTYPES,
    constant_int,
    lengths_product,
    patternbroadcast,
    reshape,
    shape_padaxis,
    specify_shape,
)
from minitheano.tensor.type import TensorConstant, TensorType, TensorVariable

__all__ = ["ARange", "Join", "MakeVector", "ScalarFromTensor", "TensorFromScalar", "arange",
           "concatenate", "join", "make_vector", "scalar_from_tensor", "stack",
           "tensor_from_scalar", "tensordot"]

# ---------------------------------------------------------------------------
# Scalars <-> tensors
# ---------------------------------------------------------------------------


class TensorFromScalar(Op):
    """A ScalarVariable as a 0-d tensor."""

    def make_node(self, s: Any) -> Apply:
        s = as_scalar(s)
        return Apply(self, [s], [TensorType(s.dtype, ())()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.asarray(inputs[0], dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [()]

    def grad(self, inputs, output_grads):
        return [scalar_from_tensor(output_grads[0])]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0])]


class ScalarFromTensor(Op):
    """A 0-d tensor as a ScalarVariable."""

    def make_node(self, t: Any) -> Apply:
        t = as_tensor_variable(t)
        if t.ndim != 0:
            raise TypeError(f"ScalarFromTensor needs a 0-d tensor, got {t.type}")
        return Apply(self, [t], [ScalarType(t.dtype)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0][()]

    def infer_shape(self, fgraph, node, input_shapes):
        return [()]

    def grad(self, inputs, output_grads):
        return [tensor_from_scalar(output_grads[0])]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0])]


tensor_from_scalar = TensorFromScalar()
scalar_from_tensor = ScalarFromTensor()


class MakeVector(Op):
    """A vector of `dtype` made of 0-d tensors: `make_vector(a, b, c)`."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str = "int64") -> None:
        self.dtype = dtype

    def make_node(self, *inputs: Any) -> Apply:
        inputs = [as_tensor_variable(x) for x in inputs]
        for k, x in enumerate(inputs):
            if x.ndim != 0:
                raise TypeError(f"{self}: input {k} ({x}) is not a scalar but a {x.type}")
        inputs = [self._convert(x) for x in inputs]
        return Apply(self, inputs, [TensorType(self.dtype, (len(inputs) == 1,))()])

    def _convert(self, x: TensorVariable) -> TensorVariable:
        """x as `dtype`: a cast if nothing can be lost, a constant if its value fits."""
        if x.dtype == self.dtype or upcast(x.dtype, self.dtype) == self.dtype:
            return cast(x, self.dtype)
        if isinstance(x, TensorConstant):
            data = np.asarray(x.data, dtype=self.dtype)
            if data == x.data:
                return as_tensor_variable(data)
        raise TypeError(f"{self}: cannot put {x} ({x.dtype}) into a {self.dtype} vector "
                        f"without losing precision; cast it first")

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array(inputs, dtype=self.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [(len(node.inputs),)]

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        if self.dtype in DISCRETE_DTYPES:
            return [x.zeros_like(dtype=config.floatX) for x in inputs]
        return [cast(gz[k], x.dtype) if x.dtype in FLOAT_DTYPES else gz[k]
                for k, x in enumerate(inputs)]

    def R_op(self, inputs, eval_points):
        if all(e is None for e in eval_points):
            return [None]
        return [self(*[x.zeros_like() if e is None else e
                       for x, e in zip(inputs, eval_points)])]


def make_vector(*scalars: Any, dtype: str | None = None) -> TensorVariable:
    """A vector of the given scalars; Python numbers take their neighbours' dtype."""
    scalars = as_elemwise_inputs(*scalars)
    return MakeVector(dtype or upcast(*[s.dtype for s in scalars]))(*scalars)


# ---------------------------------------------------------------------------
# Join, concatenate, stack
# ---------------------------------------------------------------------------


class Join(Op):
    """Arrays glued end to end along an axis: `join(axis, a, b, ...)`.

    The axis is the first input, usually a constant; it may be symbolic, as
    in Theano, but then nothing is known about the output's broadcastable
    pattern and the gradient is not available.
    """

    def make_node(self, axis: Any, *tensors: Any) -> Apply:
        axis = as_tensor_variable(axis)
        if axis.ndim != 0 or axis.dtype not in INTEGER_DTYPES:
            raise TypeError(f"Join: the axis must be an integer scalar, got {axis.type}")
        if not tensors:
            raise ValueError("Join: nothing to join")
        tensors = [as_tensor_variable(t) for t in tensors]
        ndim = tensors[0].ndim
        if ndim == 0:
            raise TypeError("Join: cannot join 0-d tensors along an axis; use stack")
        for t in tensors:
            if t.ndim != ndim:
                types = ", ".join(str(t.type) for t in tensors)
                raise TypeError(f"Join: all inputs must have the same number of dimensions, "
                                f"got {types}")
        a = constant_int(axis)
        bcast = [False] * ndim
        if a is not None:
            if not -ndim <= a < ndim:
                raise ValueError(f"Join: axis {a} is out of range for inputs with {ndim} "
                                 f"dimensions")
            # Along the other axes all lengths are equal: one known 1 means all are.
            bcast = [d != a % ndim and any(t.broadcastable[d] for t in tensors)
                     for d in range(ndim)]
        dtype = upcast(*[t.dtype for t in tensors])
        return Apply(self, [axis, *tensors], [TensorType(dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        axis, *tensors = inputs
        ndim, axis = tensors[0].ndim, int(axis)
        if not -ndim <= axis < ndim:
            raise ValueError(f"Join: axis {axis} is out of range for inputs with {ndim} "
                             f"dimensions")
        axis %= ndim
        first = tensors[0].shape
        for t in tensors[1:]:
            if t.shape[:axis] + t.shape[axis + 1:] != first[:axis] + first[axis + 1:]:
                shapes = ", ".join(str(t.shape) for t in tensors)
                raise ValueError(f"Join: to join along axis {axis}, the inputs must have the "
                                 f"same length in every other dimension; got shapes {shapes}")
        output_storage[0][0] = np.concatenate(tensors, axis=axis, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        axis, ndim = node.inputs[0], node.inputs[1].ndim
        a = constant_int(axis)
        totals = [sum(s[d] for s in input_shapes[1:]) for d in range(ndim)]
        first = input_shapes[1]
        if a is not None:
            return [tuple(totals[d] if d == a % ndim else first[d] for d in range(ndim))]
        return [tuple(_T.switch(_T.eq(axis % ndim, d), totals[d], first[d])
                      for d in range(ndim))]

    def grad(self, inputs, output_grads):
        # Each input's gradient is its slice of gz along the axis.
        (axis, *tensors), (gz,) = inputs, output_grads
        if gz.dtype in DISCRETE_DTYPES:
            return [disconnected_type()] + [t.zeros_like(dtype=config.floatX) for t in tensors]
        a = constant_int(axis)
        if a is None:
            return [disconnected_type()] + [
                grad_not_implemented(self, k + 1, t, "the axis is symbolic; join along a "
                                     "constant axis to differentiate")
                for k, t in enumerate(tensors)]
        a %= gz.ndim
        grads, start = [], 0
        for t in tensors:
            stop = start + t.shape[a]
            g = gz[(slice(None),) * a + (slice(start, stop),)]
            g = cast(g, t.dtype) if t.dtype in FLOAT_DTYPES else g
            grads.append(patternbroadcast(g, t.broadcastable))
            start = stop
        return [disconnected_type(), *grads]

    def connection_pattern(self, node):
        return [[False]] + [[True] for _ in node.inputs[1:]]

    def R_op(self, inputs, eval_points):
        if all(e is None for e in eval_points[1:]):
            return [None]
        return [self(inputs[0], *[t.zeros_like() if e is None else e
                                  for t, e in zip(inputs[1:], eval_points[1:])])]


_join = Join()


def join(axis: Any, *tensors: Any) -> TensorVariable:
    """The tensors concatenated along `axis` (a single tensor is returned as it is)."""
    if len(tensors) == 1:
        return as_tensor_variable(tensors[0])
    return _join(axis, *tensors)


def concatenate(tensor_list: Sequence[Any], axis: Any = 0) -> TensorVariable:
    """numpy.concatenate: the tensors joined along an existing axis."""
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError(f"concatenate takes a list or tuple of tensors, got {tensor_list!r}")
    return join(axis, *tensor_list)


def stack(*tensors: Any, axis: int = 0) -> TensorVariable:
    """numpy.stack: the tensors joined along a new axis.  `stack([a, b], axis=1)`;
    Theano's older `stack(a, b, c)` also works.  Scalars stacked give a MakeVector."""
    if len(tensors) == 2 and isinstance(tensors[0], (list, tuple)) and isinstance(
            tensors[1], (int, np.integer)):
        tensors, axis = tensors[0], int(tensors[1])
    elif len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    if not tensors:
        raise ValueError("stack: nothing to stack")
    if axis == 0 and all(np.ndim(t) == 0 if not isinstance(t, TensorVariable) else t.ndim == 0
                         for t in tensors):
        return make_vector(*tensors)
    return join(axis, *[shape_padaxis(t, axis) for t in as_elemwise_inputs(*tensors)])


# ---------------------------------------------------------------------------
# arange
# ---------------------------------------------------------------------------


class ARange(Op):
    """numpy.arange(start, stop, step) with symbolic bounds."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        inputs = [as_tensor_variable(v) for v in (start, stop, step)]
        for name, v in zip(("start", "stop", "step"), inputs):
            if v.ndim != 0:
                raise TypeError(f"{self}: {name} must be a scalar, got {v} ({v.type})")
        return Apply(self, inputs, [TensorType(self.dtype, (False,))()])

    def perform(self, node, inputs, output_storage):
        start, stop, step = inputs
        if step == 0:
            raise ValueError(f"{self}: the step must not be 0")
        output_storage[0][0] = np.arange(start, stop, step, dtype=self.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        start, stop, step = node.inputs
        if all(v.dtype in INTEGER_DTYPES for v in node.inputs):
            # ceil((stop - start) / step), computed exactly with a floor division.
            length = -((start - stop) // step)
        else:
            length = _T.ceil((stop - start) / step)
        return [(cast(_T.maximum(length, 0), "int64"),)]

    def L_op(self, inputs, outputs, output_grads):
        start, stop, step = inputs
        (gz,) = output_grads
        if self.dtype in DISCRETE_DTYPES:
            return [start.zeros_like(dtype=config.floatX), disconnected_type(),
                    step.zeros_like(dtype=config.floatX)]
        # out[i] = start + i * step: d/dstart = 1, d/dstep = i.  stop only sets the length.
        steps = arange(outputs[0].shape[0], dtype=self.dtype)
        return [cast(gz.sum(), start.dtype), disconnected_type(),
                cast((gz * steps).sum(), step.dtype)]

    def connection_pattern(self, node):
        return [[True], [False], [True]]


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: str | None = None
           ) -> TensorVariable:
    """numpy.arange with symbolic bounds.  Integers give int64; floats keep the
    widest float dtype of the bounds (floatX for Python floats)."""
    if stop is None:
        start, stop = 0, start
    only_numbers = all(is_weak(v) for v in (start, stop, step))
    start, stop, step = as_elemwise_inputs(start, stop, step)
    if dtype is None:
        dtype = upcast(start.dtype, stop.dtype, step.dtype)
        if dtype in DISCRETE_DTYPES:
            dtype = "int64"  # numpy's choice, and no risk of overflow
        elif only_numbers:
            dtype = config.floatX
    return ARange(dtype)(start, stop, step)


# ---------------------------------------------------------------------------
# tensordot
# ---------------------------------------------------------------------------


def _tensordot_axes(a: TensorVariable, b: TensorVariable, axes: Any) -> tuple[list, list]:
    """numpy's `axes` argument as two lists of summed dimensions."""
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={axes} but the inputs have {a.ndim} and "
                             f"{b.ndim} dimensions")
        return list(range(a.ndim - axes, a.ndim)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: axes {a_axes} and {b_axes} must have the same length")
    for x, ax in ((a, a_axes), (b, b_axes)):
        for d in ax:
            if not -x.ndim <= d < x.ndim:
                raise ValueError(f"tensordot: axis {d} is out of range for {x} ({x.type})")
    return [d % a.ndim for d in a_axes], [d % b.ndim for d in b_axes]


def tensordot(a: Any, b: Any, axes: Any = 2) -> TensorVariable:
    """numpy.tensordot: sum the products over `axes` (an int n: the last n of a with
    the first n of b; or a pair of lists of dimensions).

    Built from other ops: the summed dimensions of a are moved last and those
    of b first, both are reshaped into matrices, one Dot multiplies them, and
    the result is reshaped to a's free dimensions followed by b's.
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    a_axes, b_axes = _tensordot_axes(a, b, axes)
    a_free = [d for d in range(a.ndim) if d not in a_axes]
    b_free = [d for d in range(b.ndim) if d not in b_axes]
    if len(a_axes) > 1:
        # Dot only checks the product of the summed lengths: check each one.
        b_shape = [a.shape[a_axes[b_axes.index(d)]] if d in b_axes else b.shape[d]
                   for d in range(b.ndim)]
        b = specify_shape(b, b_shape)
    summed = lengths_product([a.shape[d] for d in a_axes])
    a_mat = reshape(a.dimshuffle(a_free + a_axes),
                    [lengths_product([a.shape[d] for d in a_free]), summed], ndim=2)
    b_mat = reshape(b.dimshuffle(b_axes + b_free),
                    [summed, lengths_product([b.shape[d] for d in b_free])], ndim=2)
    out_shape = [a.shape[d] for d in a_free] + [b.shape[d] for d in b_free]
    out = reshape(_T.dot(a_mat, b_mat), out_shape, ndim=len(out_shape))
    bcast = [a.broadcastable[d] for d in a_free] + [b.broadcastable[d] for d in b_free]
    return patternbroadcast(out, bcast)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
