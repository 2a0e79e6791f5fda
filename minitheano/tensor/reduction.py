"""Reductions: sum, prod, max, min, argmax, mean, var over some axes (chapter 1).

`CAReduce(scalar_op, axis)` folds a Commutative and Associative scalar op over
the given axes: `add` gives Sum, `mul` Prod, `maximum` Max.  The order of the
fold does not change the result (up to rounding), which is what lets chapter 5
print it as a loop in whatever order memory prefers.  `keepdims` is not part
of the op: the reduced axes are put back by a DimShuffle.  `mean`, `var` and
`std` are not ops at all but small graphs of sums and divisions, so their
gradients come for free.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence

import numpy as np

from minitheano.graph.basic import Apply, Constant
from minitheano.graph.op import Op
from minitheano.scalar import math as smath
from minitheano.scalar.basic import ScalarOp
from minitheano.tensor import kernel as K
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.elemwise import DimShuffle
from minitheano.tensor.type import TensorType, TensorVariable


def normalize_axis(axis: typing.Any, ndim: int, what: str = "axis") -> tuple[int, ...]:
    """`axis` (None, an int, negative ints, a list) as a sorted tuple of dimensions."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes = [axis]
    elif isinstance(axis, (list, tuple, range)):
        axes = list(axis)
    else:
        raise TypeError(f"{what} must be None, an int or a list of ints, got {axis!r}")
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

    def make_node(self, x: typing.Any) -> Apply:
        x = as_tensor_variable(x)
        for a in self.axis:
            if a >= x.ndim:
                raise ValueError(f"{self}: axis {a} is out of range for {x.type}")
        bcast = [b for d, b in enumerate(x.broadcastable) if d not in self.axis]
        return Apply(self, [x], [TensorType(self.output_dtype(x.dtype), bcast)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        dtype = node.outputs[0].type.numpy_dtype
        if self.ufunc.identity is None:
            _check_not_empty(self, x)
        result = self.ufunc.reduce(x, axis=self.axis, dtype=dtype)
        output_storage[0][0] = np.asarray(result, dtype=dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(s for d, s in enumerate(shape) if d not in self.axis)]

    def kernel(self, node: Apply) -> K.ReduceKernel | None:
        """A fold of one of the scalar ops the printers know (K.REDUCTIONS)."""
        name = getattr(self.scalar_op, "name", "")
        if name not in K.REDUCTIONS or isinstance(node.inputs[0], Constant):
            return None
        return K.ReduceKernel(name, K.operand(node.inputs[0]), self.axis,
                              node.outputs[0].type.dtype)

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


def sum(x: typing.Any, axis: typing.Any = None, dtype: str | None = None,  # noqa: A001
        keepdims: bool = False) -> TensorVariable:
    """The sum of the elements over `axis` (all of them by default)."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    if dtype is not None:  # accumulate in `dtype`, as numpy: int64s summed as float64
        x = _T.cast(x, dtype)  # cannot wrap around
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


def _check_not_empty(op: Op, x: np.ndarray) -> None:
    """max and argmax of nothing are undefined: say so, as numpy does, but name the op."""
    for a in op.axis:
        if x.shape[a] == 0:
            raise ValueError(f"{op}: cannot reduce over dimension {a}, which has length 0 "
                             f"(input shape {x.shape}); the {type(op).__name__.lower()} of "
                             f"an empty array is undefined")


def _zero_grad(x: TensorVariable) -> TensorVariable:
    """The gradient of an integer input, or through a piecewise constant function."""
    return _T.zeros_like(x, dtype=x.dtype if x.dtype.startswith("float") else "float64")


class Prod(CAReduce):
    """The product over some axes; integers and bools multiply in int64, as numpy."""

    def __init__(self, axis: Sequence[int]) -> None:
        super().__init__(smath.mul, axis)

    def output_dtype(self, dtype: str) -> str:
        return np.prod(np.zeros(1, dtype=dtype)).dtype.name

    def L_op(self, inputs, outputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if not x.dtype.startswith("float"):
            return [_zero_grad(x)]
        # d prod / d x_i is the product of the *other* elements.  Dividing the
        # product by x_i gives it only where x_i != 0; zeros need care:
        #   no zero in the group:   prod / x_i
        #   exactly one zero:       at the zero, the product of the rest; elsewhere 0
        #   two or more zeros:      0 everywhere
        is_zero = _T.eq(x, 0)
        n_zeros = keep_dims(x, Sum(self.axis)(is_zero), self.axis)
        without_zeros = keep_dims(x, Prod(self.axis)(_T.switch(is_zero, 1, x)), self.axis)
        safe_x = _T.switch(is_zero, 1, x)
        others = _T.switch(is_zero, _T.eq(n_zeros, 1) * without_zeros,
                           _T.eq(n_zeros, 0) * without_zeros / safe_x)
        return [_T.cast(keep_dims(x, gz, self.axis) * others, x.dtype)]


class Max(CAReduce):
    """The largest element over some axes (NaN if there is one, as numpy)."""

    def __init__(self, axis: Sequence[int]) -> None:
        super().__init__(smath.maximum, axis)

    def L_op(self, inputs, outputs, output_grads):
        return _extremum_grad(self, inputs, outputs, output_grads)


class Min(CAReduce):
    """The smallest element over some axes."""

    def __init__(self, axis: Sequence[int]) -> None:
        super().__init__(smath.minimum, axis)

    def L_op(self, inputs, outputs, output_grads):
        return _extremum_grad(self, inputs, outputs, output_grads)


def _extremum_grad(op: CAReduce, inputs, outputs, output_grads):
    """Max and Min: the gradient goes to every element equal to the result (as
    Theano: with ties, each tied element gets all of it)."""
    (x,), (out,), (gz,) = inputs, outputs, output_grads
    if not x.dtype.startswith("float"):
        return [_zero_grad(x)]
    hit = _T.eq(x, keep_dims(x, out, op.axis))
    return [_T.cast(hit * keep_dims(x, gz, op.axis), x.dtype)]


class All(CAReduce):
    """Are all elements true (non-zero) over some axes?  A bool result."""

    def __init__(self, axis: Sequence[int]) -> None:
        super().__init__(smath.and_, axis)
        self.ufunc = np.logical_and  # logical, not bitwise, for any dtype

    def output_dtype(self, dtype: str) -> str:
        return "bool"

    def grad(self, inputs, output_grads):
        return [_zero_grad(inputs[0])]


class Any(CAReduce):
    """Is any element true (non-zero) over some axes?  A bool result."""

    def __init__(self, axis: Sequence[int]) -> None:
        super().__init__(smath.or_, axis)
        self.ufunc = np.logical_or

    def output_dtype(self, dtype: str) -> str:
        return "bool"

    def grad(self, inputs, output_grads):
        return [_zero_grad(inputs[0])]


class Argmax(Op):
    """The int64 index of the largest element over some axes.

    Over several axes the index counts in the reduced axes flattened in C
    order (as if they had been reshaped into one).  The gradient through it
    is zero: a small change of x does not change which element is largest
    (Theano did the same for the argmax output of MaxAndArgmax).
    """

    __props__ = ("axis",)
    numpy_fn = staticmethod(np.argmax)

    def __init__(self, axis: Sequence[int]) -> None:
        self.axis = tuple(axis)

    def make_node(self, x: typing.Any) -> Apply:
        x = as_tensor_variable(x)
        for a in self.axis:
            if a >= x.ndim:
                raise ValueError(f"{self}: axis {a} is out of range for {x.type}")
        bcast = [b for d, b in enumerate(x.broadcastable) if d not in self.axis]
        return Apply(self, [x], [TensorType("int64", bcast)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        _check_not_empty(self, x)
        kept = [d for d in range(x.ndim) if d not in self.axis]
        # Move the reduced axes last, make them one, and let numpy search it.
        n = int(np.prod([x.shape[d] for d in self.axis]))
        flat = x.transpose(kept + list(self.axis)).reshape([x.shape[d] for d in kept] + [n])
        output_storage[0][0] = np.asarray(self.numpy_fn(flat, axis=-1), dtype="int64")

    def infer_shape(self, fgraph, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(s for d, s in enumerate(shape) if d not in self.axis)]

    def grad(self, inputs, output_grads):
        return [_zero_grad(inputs[0])]

    def kernel(self, node: Apply) -> K.ReduceKernel | None:
        if isinstance(node.inputs[0], Constant):
            return None
        return K.ReduceKernel(self.kernel_op, K.operand(node.inputs[0]), self.axis,
                              node.outputs[0].type.dtype)

    # The fold a ReduceKernel names.
    kernel_op = "argmax"

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axis={list(self.axis)}}}"


class Argmin(Argmax):
    """The int64 index of the smallest element over some axes."""

    numpy_fn = staticmethod(np.argmin)
    kernel_op = "argmin"


def _reduce(op_class: type, x: typing.Any, axis: typing.Any, keepdims: bool) -> TensorVariable:
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    out = op_class(axes)(x)
    return keep_dims(x, out, axes) if keepdims else out


def prod(x: typing.Any, axis: typing.Any = None, dtype: str | None = None,
         keepdims: bool = False) -> TensorVariable:
    """The product of the elements over `axis` (all of them by default)."""
    out = _reduce(Prod, x, axis, keepdims)
    return out if dtype is None else _T.cast(out, dtype)


def max(x: typing.Any, axis: typing.Any = None,  # noqa: A001
        keepdims: bool = False) -> TensorVariable:
    """The largest element over `axis`; an empty axis is a ValueError, as numpy."""
    return _reduce(Max, x, axis, keepdims)


def min(x: typing.Any, axis: typing.Any = None,  # noqa: A001
        keepdims: bool = False) -> TensorVariable:
    """The smallest element over `axis`."""
    return _reduce(Min, x, axis, keepdims)


def argmax(x: typing.Any, axis: typing.Any = None,
           keepdims: bool = False) -> TensorVariable:
    """The index of the largest element over `axis` (int64)."""
    return _reduce(Argmax, x, axis, keepdims)


def argmin(x: typing.Any, axis: typing.Any = None,
           keepdims: bool = False) -> TensorVariable:
    """The index of the smallest element over `axis` (int64)."""
    return _reduce(Argmin, x, axis, keepdims)


def max_and_argmax(x: typing.Any, axis: typing.Any = None,
                   keepdims: bool = False) -> tuple[TensorVariable, TensorVariable]:
    """`(max(x, axis), argmax(x, axis))`."""
    return max(x, axis, keepdims), argmax(x, axis, keepdims)


def all(x: typing.Any, axis: typing.Any = None,  # noqa: A001
        keepdims: bool = False) -> TensorVariable:
    """Are all elements non-zero over `axis`?"""
    return _reduce(All, x, axis, keepdims)


def any(x: typing.Any, axis: typing.Any = None,  # noqa: A001
        keepdims: bool = False) -> TensorVariable:
    """Is any element non-zero over `axis`?"""
    return _reduce(Any, x, axis, keepdims)


def _count(x: TensorVariable, axes: Sequence[int]) -> TensorVariable | int:
    """How many elements a reduction over `axes` combines: a product of lengths."""
    lengths = [_T.shape_i(x, a) for a in axes if not x.broadcastable[a]]
    return _T.mul(*lengths) if len(lengths) > 1 else lengths[0] if lengths else 1


def mean(x: typing.Any, axis: typing.Any = None, dtype: str | None = None,
         keepdims: bool = False) -> TensorVariable:
    """The average over `axis`: a sum divided by a count.  Integers average in
    float64, float32 stays float32 (numpy's rule)."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    if dtype is None:
        dtype = x.dtype if x.dtype.startswith("float") else "float64"
    # Sum in the result's dtype, as numpy does: int64 values summed as int64
    # could wrap around before the division.
    total = sum(x if x.dtype == dtype else _T.cast(x, dtype), axes)
    n = _count(x, axes)
    out = total if isinstance(n, int) else total / _T.cast(n, dtype)
    return keep_dims(x, out, axes) if keepdims else out


def var(x: typing.Any, axis: typing.Any = None, ddof: int = 0, keepdims: bool = False,
        corrected: bool = False) -> TensorVariable:
    """The variance over `axis`: the mean squared distance to the mean, divided
    by n - ddof instead of n (`ddof=1`: the unbiased estimate).  `corrected=True`
    subtracts the rounding error of the mean (the two-pass algorithm)."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    centered = x - mean(x, axes, keepdims=True)
    dtype = centered.dtype
    sq = sum(_T.sqr(centered), axes)
    n = _T.cast(_count(x, axes), dtype)
    if corrected:  # what the rounding error of the mean adds to the squares
        sq = sq - _T.sqr(sum(centered, axes)) / n
    out = sq / (n - ddof)
    return keep_dims(x, out, axes) if keepdims else out


def std(x: typing.Any, axis: typing.Any = None, ddof: int = 0, keepdims: bool = False,
        corrected: bool = False) -> TensorVariable:
    """The standard deviation over `axis`: the square root of `var`."""
    return _T.sqrt(var(x, axis, ddof=ddof, keepdims=keepdims, corrected=corrected))


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
