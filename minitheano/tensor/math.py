"""Elementwise math on tensors, and `dot` (chapter 1).

Each function here is one scalar op from `scalar/math.py` lifted by `Elemwise`.
Python numbers among the arguments take the dtype numpy 2 would give them
(`as_elemwise_inputs`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.scalar import math as smath
from minitheano.scalar.basic import ScalarOp
from minitheano.tensor import kernel as K
from minitheano.tensor.basic import as_elemwise_inputs, as_tensor_variable
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.type import TensorType, TensorVariable


class _Lifted:
    """A tensor function made of one scalar op: `T.exp(x)` is `Elemwise(exp)(x)`.

    It converts Python numbers as numpy 2 would before building the node, and
    exposes the Elemwise op it builds with as `.op` (rewrites match on it).
    """

    def __init__(self, scalar_op: ScalarOp, doc: str) -> None:
        self.op = Elemwise(scalar_op)
        self.scalar_op = scalar_op
        self.__doc__ = doc
        self.__name__ = scalar_op.name

    def __call__(self, *args: Any) -> TensorVariable:
        return self.op(*as_elemwise_inputs(*args))

    def __repr__(self) -> str:
        return f"<tensor function {self.__name__}>"


add = _Lifted(smath.add, "a + b + ...")
sub = _Lifted(smath.sub, "a - b")
mul = _Lifted(smath.mul, "a * b * ...")
true_div = _Lifted(smath.true_div, "a / b (a float, even for integers)")
int_div = _Lifted(smath.int_div, "a // b, rounded toward minus infinity")
mod = _Lifted(smath.mod, "a % b, with the sign of b")
pow = _Lifted(smath.pow, "a ** b")  # noqa: A001  (Theano's name)
neg = _Lifted(smath.neg, "-a")
abs_ = _Lifted(smath.abs_, "|a|")
sgn = _Lifted(smath.sgn, "-1, 0 or 1: the sign of a")
sqr = _Lifted(smath.sqr, "a * a")
inv = _Lifted(smath.inv, "1 / a")
sqrt = _Lifted(smath.sqrt, "square root")
exp = _Lifted(smath.exp, "e ** a")
exp2 = _Lifted(smath.exp2, "2 ** a")
expm1 = _Lifted(smath.expm1, "exp(a) - 1, accurate near 0")
log = _Lifted(smath.log, "natural logarithm")
log2 = _Lifted(smath.log2, "base-2 logarithm")
log10 = _Lifted(smath.log10, "base-10 logarithm")
log1p = _Lifted(smath.log1p, "log(1 + a), accurate near 0")
sin = _Lifted(smath.sin, "sine")
cos = _Lifted(smath.cos, "cosine")
tan = _Lifted(smath.tan, "tangent")
arcsin = _Lifted(smath.arcsin, "inverse sine")
arccos = _Lifted(smath.arccos, "inverse cosine")
arctan = _Lifted(smath.arctan, "inverse tangent")
arctan2 = _Lifted(smath.arctan2, "the angle of the point (b, a): numpy.arctan2(a, b)")
sinh = _Lifted(smath.sinh, "hyperbolic sine")
cosh = _Lifted(smath.cosh, "hyperbolic cosine")
tanh = _Lifted(smath.tanh, "hyperbolic tangent")
maximum = _Lifted(smath.maximum, "the larger of a and b (NaN if either is NaN)")
minimum = _Lifted(smath.minimum, "the smaller of a and b (NaN if either is NaN)")
clip = _Lifted(smath.clip, "a limited to [lo, hi]")
switch = _Lifted(smath.switch, "b where cond is true, c elsewhere (both computed)")
floor = _Lifted(smath.floor, "round down")
ceil = _Lifted(smath.ceil, "round up")
round_half_to_even = _Lifted(smath.round_half_to_even, "round to nearest, ties to even")
eq = _Lifted(smath.eq, "a == b, elementwise")
neq = _Lifted(smath.neq, "a != b, elementwise")
lt = _Lifted(smath.lt, "a < b")
le = _Lifted(smath.le, "a <= b")
gt = _Lifted(smath.gt, "a > b")
ge = _Lifted(smath.ge, "a >= b")
isnan = _Lifted(smath.isnan, "is a NaN?")
isinf = _Lifted(smath.isinf, "is a infinite?")
and_ = _Lifted(smath.and_, "a & b (bitwise; logical for bools)")
or_ = _Lifted(smath.or_, "a | b")
xor = _Lifted(smath.xor, "a ^ b")
invert = _Lifted(smath.invert, "~a")

# Theano's other names for the same functions.
true_divide = true_div
floor_div = int_div
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, invert
where = switch


def round(x: Any, mode: str = "half_to_even") -> TensorVariable:  # noqa: A001
    """Round to the nearest integer; ties to even (numpy's rule)."""
    if mode != "half_to_even":
        raise ValueError(f"round: unsupported mode {mode!r}; only 'half_to_even' (numpy's)")
    return round_half_to_even(x)


# ---------------------------------------------------------------------------
# Matrix products
# ---------------------------------------------------------------------------

class Dot(Op):
    """The product of vectors and matrices, as numpy.dot (which calls BLAS).

    vector . vector -> scalar, matrix . vector -> vector, vector . matrix ->
    vector, matrix . matrix -> matrix.  `T.dot` reduces higher dimensions to
    these by reshaping, so this op only ever sees 1 or 2 dimensions.
    """

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(f"Dot needs vectors or matrices, got {x.type} and {y.type}")
        if x.dtype == "bool" or y.dtype == "bool":
            raise TypeError("Dot is not defined for bool inputs; cast them first")
        bcast = x.broadcastable[:-1] + y.broadcastable[1:]
        dtype = np.result_type(x.dtype, y.dtype).name
        return Apply(self, [x, y], [TensorType(dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        if x.shape[-1] != y.shape[0]:
            raise ValueError(f"Dot: shapes {x.shape} and {y.shape} are not aligned: "
                             f"{x.shape[-1]} (last dimension of the first) != "
                             f"{y.shape[0]} (first dimension of the second)")
        output_storage[0][0] = np.asarray(np.dot(x, y), dtype=node.outputs[0].type.dtype)

    def make_py_thunk(self, node, input_cells, output_cells):
        # A loop body (chapter 7) calls this once per step: np.dot directly,
        # `perform` (with its message) only when the shapes do not fit.
        (x_cell, y_cell), (out_cell,) = input_cells, output_cells
        dtype, dot, ndarray = node.outputs[0].type.numpy_dtype, np.dot, np.ndarray

        def thunk() -> None:
            x, y = x_cell[0], y_cell[0]
            if x.shape[-1] != y.shape[0]:
                self.perform(node, [x, y], output_cells)
            result = dot(x, y)
            if type(result) is not ndarray or result.dtype != dtype:
                result = np.asarray(result, dtype=dtype)
            out_cell[0] = result
        return thunk

    def infer_shape(self, fgraph, node, input_shapes):
        xs, ys = input_shapes
        return [tuple(xs[:-1]) + tuple(ys[1:])]

    def kernel(self, node: Apply) -> K.DotKernel | None:
        """Matrix times matrix of one float dtype (chapter 6's tiled kernel); the C
        linker calls BLAS for it from C (link/c/blas_thunks.py)."""
        x, y = node.inputs
        dtype = node.outputs[0].type.dtype
        if x.ndim != 2 or y.ndim != 2 or not x.dtype == y.dtype == dtype \
                or not dtype.startswith("float"):
            return None
        return K.DotKernel(K.operand(x), K.operand(y), dtype)

    def grad(self, inputs, output_grads):
        # --8<-- [start:ex-ch04-dot-grad]
        x, y = inputs
        (gz,) = output_grads
        if x.ndim == 1 and y.ndim == 1:       # gz is a scalar
            gx, gy = gz * y, gz * x
        elif x.ndim == 1:                     # v . M: gz is a vector
            gx, gy = dot(y, gz), outer(x, gz)
        elif y.ndim == 1:                     # M . v
            gx, gy = outer(gz, y), dot(gz, x)
        else:                                 # M . M
            gx, gy = dot(gz, y.T), dot(x.T, gz)
        # --8<-- [end:ex-ch04-dot-grad]
        return [_T.patternbroadcast(gx, x.broadcastable), _T.patternbroadcast(gy, y.broadcastable)]

    def R_op(self, inputs, eval_points):
        x, y = inputs
        ex, ey = eval_points
        terms = []
        if ex is not None:
            terms.append(dot(ex, y))
        if ey is not None:
            terms.append(dot(x, ey))
        return [add(*terms) if len(terms) > 1 else terms[0] if terms else None]


_dot = Dot()


def dot(a: Any, b: Any) -> TensorVariable:
    """numpy.dot for any number of dimensions: scalars multiply, vectors and
    matrices go to `Dot`, higher dimensions are reshaped into matrices first."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.ndim <= 2 and b.ndim <= 2:
        return _dot(a, b)
    return _T.tensordot(a, b, axes=[[a.ndim - 1], [max(b.ndim - 2, 0)]])


def outer(x: Any, y: Any) -> TensorVariable:
    """The outer product of two vectors: out[i, j] = x[i] * y[j]."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim != 1:
        x = x.flatten()
    if y.ndim != 1:
        y = y.flatten()
    return mul(x.dimshuffle(0, "x"), y.dimshuffle("x", 0))


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
