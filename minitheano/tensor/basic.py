"""Making tensors: constructors, constants, casts, and arrays filled with a value (chapter 1).

`T.dmatrix('x')` makes an input; `as_tensor_variable` turns whatever the user
wrote (a Variable, a number, a list, an array) into a TensorVariable; numbers
written next to tensors follow numpy 2's rule that Python numbers are "weak"
and take the dtype of their neighbour (`fvector * 0.1` stays float32).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.scalar import math as smath
from minitheano.scalar.arithmetic import Second
from minitheano.scalar.basic import ScalarVariable, check_dtype, is_weak, weak_dtype
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.type import TensorConstant, TensorType, TensorVariable


def constant(x: Any, name: str | None = None, ndim: int | None = None,
             dtype: str | None = None) -> TensorConstant:
    """A constant tensor.  Python floats become floatX; dimensions of length 1 are
    broadcastable."""
    if dtype is None:
        if isinstance(x, (np.ndarray, np.generic)):
            dtype = x.dtype.name
        else:
            data = np.asarray(x)
            if data.dtype == object:
                raise TypeError(f"cannot make a tensor constant of {x!r}")
            dtype = config.floatX if data.dtype.kind == "f" else data.dtype.name
        if dtype == "float16":
            dtype = "float32"
    dtype = check_dtype(dtype)
    try:
        data = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"cannot make a {dtype} constant of {x!r}: {e}") from None
    if ndim is not None:
        if data.ndim > ndim:
            raise ValueError(f"constant {x!r} has {data.ndim} dimensions, more than {ndim}")
        data = data.reshape((1,) * (ndim - data.ndim) + data.shape)
    return TensorConstant(TensorType(dtype, [n == 1 for n in data.shape]), data, name=name)


def as_tensor_variable(x: Any, name: str | None = None, ndim: int | None = None,
                       dtype: str | None = None) -> TensorVariable:
    """`x` as a TensorVariable: tensors pass through, data becomes a constant,
    a list holding symbolic scalars becomes a vector (`stack`)."""
    if isinstance(x, TensorVariable):
        if ndim is not None and x.ndim != ndim:
            raise TypeError(f"expected a tensor with {ndim} dimensions, got {x} ({x.type})")
        return x
    if isinstance(x, ScalarVariable):
        return _T.tensor_from_scalar(x)
    if isinstance(x, Variable):
        raise TypeError(f"cannot use {x} of type {x.type} as a tensor")
    if isinstance(x, (list, tuple)) and any(isinstance(e, Variable) for e in x):
        return _T.stack([as_tensor_variable(e) for e in x])
    return constant(x, name=name, ndim=ndim, dtype=dtype)


def as_variable_like(value: Any, like: Variable, what: str) -> Variable:
    """`value` as a Variable of `like`'s type (an update of a shared variable, a
    givens substitute), or a TypeError that says why not, starting with `what`."""
    if not isinstance(value, Variable):
        value = as_tensor_variable(value, dtype=getattr(like.type, "dtype", None))
    if value.type == like.type:
        return value
    converted = like.type.convert_variable(value)
    if converted is None:
        hint = ""
        if getattr(value.type, "dtype", None) != getattr(like.type, "dtype", None):
            hint = (f" Cast it with T.cast(value, {getattr(like.type, 'dtype', '?')!r}) "
                    f"if the conversion is intended.")
        raise TypeError(f"{what}: {like} has type {like.type} but the value {value} has type "
                        f"{value.type}.{hint}")
    return converted


def as_elemwise_inputs(*args: Any) -> list[TensorVariable]:
    """Arguments of one elementwise expression as tensors, Python numbers taking
    their dtype from the others (numpy 2's weak scalars)."""
    strong = [a.type.dtype if isinstance(a, Variable) else np.asarray(a).dtype.name
              for a in args if not is_weak(a)]
    return [as_tensor_variable(a, dtype=weak_dtype(a, strong, config.floatX))
            if is_weak(a) else as_tensor_variable(a) for a in args]


# ---------------------------------------------------------------------------
# Constructors: T.dmatrix('x'), T.matrix('x'), T.fvectors('a', 'b') ...
# ---------------------------------------------------------------------------

def tensor(dtype: str, broadcastable: Sequence[bool], name: str | None = None) -> TensorVariable:
    """An input of any dtype and broadcastable pattern."""
    return TensorType(dtype, broadcastable)(name)


def scalar(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, ())(name)


def vector(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, (False,))(name)


def matrix(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, (False, False))(name)


def row(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, (True, False))(name)


def col(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, (False, True))(name)


def tensor3(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, (False,) * 3)(name)


def tensor4(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, (False,) * 4)(name)


def _several(make: Any, names: tuple) -> list[TensorVariable]:
    # Theano accepts dscalars('a', 'b') and dscalars(2), and took one string of
    # several letters as one name per letter: x, s = T.scalars('xs').
    if len(names) == 1 and isinstance(names[0], int):
        return [make() for _ in range(names[0])]
    if len(names) == 1 and isinstance(names[0], str) and len(names[0]) > 1:
        names = tuple(names[0])
    return [make(n) for n in names]


def scalars(*names, dtype=None): return _several(lambda n=None: scalar(n, dtype), names)
def vectors(*names, dtype=None): return _several(lambda n=None: vector(n, dtype), names)
def matrices(*names, dtype=None): return _several(lambda n=None: matrix(n, dtype), names)
def rows(*names, dtype=None): return _several(lambda n=None: row(n, dtype), names)
def cols(*names, dtype=None): return _several(lambda n=None: col(n, dtype), names)


# The typed constructors are TensorType instances, as in Theano: `T.dmatrix('x')`
# calls the type, and `x.type == T.dmatrix` holds.
# Prefixes: b int8, w int16, i int32, l int64, f float32, d float64.
bscalar, wscalar = TensorType("int8", ()), TensorType("int16", ())
iscalar, lscalar = TensorType("int32", ()), TensorType("int64", ())
fscalar, dscalar = TensorType("float32", ()), TensorType("float64", ())
bvector, wvector = TensorType("int8", (False,)), TensorType("int16", (False,))
ivector, lvector = TensorType("int32", (False,)), TensorType("int64", (False,))
fvector, dvector = TensorType("float32", (False,)), TensorType("float64", (False,))
bmatrix, wmatrix = TensorType("int8", (False, False)), TensorType("int16", (False, False))
imatrix, lmatrix = TensorType("int32", (False, False)), TensorType("int64", (False, False))
fmatrix, dmatrix = TensorType("float32", (False, False)), TensorType("float64", (False, False))
brow, wrow = TensorType("int8", (True, False)), TensorType("int16", (True, False))
irow, lrow = TensorType("int32", (True, False)), TensorType("int64", (True, False))
frow, drow = TensorType("float32", (True, False)), TensorType("float64", (True, False))
bcol, wcol = TensorType("int8", (False, True)), TensorType("int16", (False, True))
icol, lcol = TensorType("int32", (False, True)), TensorType("int64", (False, True))
fcol, dcol = TensorType("float32", (False, True)), TensorType("float64", (False, True))
btensor3, wtensor3 = TensorType("int8", (False,) * 3), TensorType("int16", (False,) * 3)
itensor3, ltensor3 = TensorType("int32", (False,) * 3), TensorType("int64", (False,) * 3)
ftensor3, dtensor3 = TensorType("float32", (False,) * 3), TensorType("float64", (False,) * 3)
btensor4, wtensor4 = TensorType("int8", (False,) * 4), TensorType("int16", (False,) * 4)
itensor4, ltensor4 = TensorType("int32", (False,) * 4), TensorType("int64", (False,) * 4)
ftensor4, dtensor4 = TensorType("float32", (False,) * 4), TensorType("float64", (False,) * 4)


def iscalars(*names): return _several(iscalar, names)
def lscalars(*names): return _several(lscalar, names)
def fscalars(*names): return _several(fscalar, names)
def dscalars(*names): return _several(dscalar, names)
def ivectors(*names): return _several(ivector, names)
def lvectors(*names): return _several(lvector, names)
def fvectors(*names): return _several(fvector, names)
def dvectors(*names): return _several(dvector, names)
def imatrices(*names): return _several(imatrix, names)
def lmatrices(*names): return _several(lmatrix, names)
def fmatrices(*names): return _several(fmatrix, names)
def dmatrices(*names): return _several(dmatrix, names)
def frows(*names): return _several(frow, names)
def drows(*names): return _several(drow, names)
def fcols(*names): return _several(fcol, names)
def dcols(*names): return _several(dcol, names)


# ---------------------------------------------------------------------------
# Casting and filling
# ---------------------------------------------------------------------------

def cast(x: Any, dtype: str) -> TensorVariable:
    """x converted to `dtype` (no node if it already has it)."""
    x = as_tensor_variable(x)
    dtype = config.floatX if dtype == "floatX" else check_dtype(dtype)
    if x.dtype == dtype:
        return x
    return Elemwise(smath.Cast(dtype))(x)


def tensor_copy(x: Any, name: str | None = None) -> TensorVariable:
    """A copy of x (a new buffer, same values)."""
    out = Elemwise(smath.identity)(x)
    out.name = name
    return out


def second(a: Any, b: Any) -> TensorVariable:
    """b broadcast to the shape of a (`fill`)."""
    return Elemwise(smath.second)(*as_elemwise_inputs(a, b))


fill = second


def zeros_like(x: Any, dtype: str | None = None) -> TensorVariable:
    x = as_tensor_variable(x)
    return second(x, constant(0, dtype=dtype or x.dtype))


def ones_like(x: Any, dtype: str | None = None) -> TensorVariable:
    x = as_tensor_variable(x)
    return second(x, constant(1, dtype=dtype or x.dtype))


MAX_ARRAY_BYTES = int(np.iinfo(np.intp).max)  # numpy indexes an array's bytes with an intp


def empty_array(shape: Any, dtype: str) -> np.ndarray:
    """np.empty(shape, dtype), with errors that name the shape: a negative length,
    more bytes than an array can address, more memory than the machine gives."""
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"cannot allocate an array of shape {shape}: a negative length")
    count = math.prod(shape)  # a Python int: it cannot overflow
    nbytes = count * np.dtype(dtype).itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise ValueError(f"cannot allocate an array of shape {shape}: {count} elements of "
                         f"{dtype} ({nbytes} bytes) are more than an array can hold")
    try:
        return np.empty(shape, dtype)
    except ValueError as e:  # e.g. (0, 2**62): numpy's strides would overflow
        raise ValueError(f"cannot allocate an array of shape {shape}: {e}") from None
    except MemoryError:
        raise MemoryError(f"cannot allocate an array of shape {shape}: {nbytes / 2**30:.1f} "
                          f"GiB of {dtype}, more memory than there is") from None


class Alloc(Op):
    """An array of a given shape filled with a value: `alloc(0.0, n, m)`.

    The shape is given as symbolic scalars, so it can depend on other inputs
    (`alloc(0, x.shape[0])`).
    """

    def make_node(self, value: Any, *shape: Any) -> Apply:
        value = as_tensor_variable(value)
        shape = [as_tensor_variable(s) for s in shape]
        for s in shape:
            if s.ndim != 0 or s.dtype not in ("int8", "int16", "int32", "int64", "uint8",
                                              "uint16", "uint32", "uint64"):
                raise TypeError(f"Alloc: each length must be an integer scalar, got {s.type}")
        if value.ndim > len(shape):
            raise TypeError(f"Alloc: the value has {value.ndim} dimensions, more than the "
                            f"{len(shape)} of the shape")
        bcast = [isinstance(s, TensorConstant) and int(s.data) == 1 for s in shape]
        return Apply(self, [value, *shape], [TensorType(value.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        value, *shape = inputs
        out = empty_array(shape, node.outputs[0].type.dtype)
        out[...] = value
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return [tuple(node.inputs[1:])]

    def grad(self, inputs, output_grads):
        value, *shape = inputs
        (gz,) = output_grads
        # Sum over the dimensions the value was stretched along.
        extra = gz.ndim - value.ndim
        axes = list(range(extra)) + [extra + d for d in range(value.ndim)
                                     if value.broadcastable[d] and not gz.broadcastable[extra + d]]
        g = _T.sum(gz, axis=axes, keepdims=True) if axes else gz
        if extra:
            g = g.dimshuffle(list(range(extra, g.ndim)))
        return [_T.patternbroadcast(g, value.broadcastable)] + [
            disconnected_type() for _ in shape]


alloc = Alloc()


def _shape_args(shape: Any) -> list:
    if isinstance(shape, (list, tuple)):
        return list(shape)
    if isinstance(shape, (int, np.integer)):
        return [shape]
    shape = as_tensor_variable(shape)
    if shape.ndim == 0:
        return [shape]
    return [shape[i] for i in range(_T.get_vector_length(shape))]


def zeros(shape: Any, dtype: str | None = None) -> TensorVariable:
    return alloc(constant(0, dtype=dtype or config.floatX), *_shape_args(shape))


def ones(shape: Any, dtype: str | None = None) -> TensorVariable:
    return alloc(constant(1, dtype=dtype or config.floatX), *_shape_args(shape))


def full(shape: Any, fill_value: Any, dtype: str | None = None) -> TensorVariable:
    return alloc(constant(fill_value, dtype=dtype), *_shape_args(shape))


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402


def is_zeros(v: Variable) -> bool:
    """Is `v` all zeros by construction: a constant, zeros_like(x) (`second(x, 0)`,
    what `grad` fills in for an output nobody differentiates), or an `alloc(0, ...)`,
    seen through DimShuffles?  A cheap structural test: no value is computed."""
    from minitheano.tensor.elemwise import DimShuffle

    while v.owner is not None and isinstance(v.owner.op, DimShuffle):
        v = v.owner.inputs[0]
    if isinstance(v, Constant):
        return not np.any(v.data)
    node = v.owner
    if node is None:
        return False
    if isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Second):
        return is_zeros(node.inputs[1])
    return isinstance(node.op, Alloc) and is_zeros(node.inputs[0])
