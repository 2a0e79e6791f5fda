"""Scalars: the one-element language that elementwise tensor ops are made of.

Chapter 1 meets it through `Elemwise`, which lifts a scalar op like `exp` to
whole arrays; chapter 3 fuses chains of scalar ops into one `Composite`;
chapter 4 differentiates them (a scalar op's `grad` is a small scalar graph);
chapters 5 and 6 print them as one line of C each.

This module holds the scalar type, scalar variables with Python operators,
and the base class of scalar ops with its dtype rules.  The ops themselves
are in `scalar/arithmetic.py`, `elementary.py` and `logic.py`, their
instances in `scalar/math.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.op import Op
from minitheano.graph.type import Type

BOOL_DTYPES = ("bool",)
INT_DTYPES = ("int8", "int16", "int32", "int64")
UINT_DTYPES = ("uint8", "uint16", "uint32", "uint64")
DISCRETE_DTYPES = BOOL_DTYPES + INT_DTYPES + UINT_DTYPES
FLOAT_DTYPES = ("float32", "float64")
ALL_DTYPES = DISCRETE_DTYPES + FLOAT_DTYPES


def check_dtype(dtype: Any) -> str:
    """`dtype` as the name of a supported dtype ('float64', 'int32', ...)."""
    # Most callers pass a name already (every new variable's type asks): numpy
    # names a dtype in Python code, about 5 microseconds a call, so skip it then.
    if isinstance(dtype, str) and dtype in ALL_DTYPES:
        return str(dtype)
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in ALL_DTYPES:
        raise TypeError(f"unsupported dtype {dtype!r}; supported: {', '.join(ALL_DTYPES)}")
    return name


def upcast(*dtypes: str) -> str:
    """The dtype numpy gives to an operation mixing `dtypes` ('int32', 'float32' -> 'float64')."""
    return np.result_type(*dtypes).name


def float_dtype(dtype: str) -> str:
    """The float dtype that a float-valued op (exp, sqrt, /) computes in.

    numpy's answer, except that we never produce float16 (numpy's choice for
    `exp` of int8 or bool): small integers compute in float32, as in Theano.
    """
    if dtype in FLOAT_DTYPES:
        return dtype
    return "float32" if dtype in ("bool", "int8", "uint8", "int16", "uint16") else "float64"


def _same_values(converted: np.ndarray, original: np.ndarray) -> bool:
    """Did a conversion keep every value?  A NaN is kept when it stays a NaN."""
    same = converted == original
    if converted.dtype.kind in "fc" and original.dtype.kind in "fc":
        same |= np.isnan(converted) & np.isnan(original)
    return bool(np.all(same))


class ScalarType(Type):
    """The type of one number of a given dtype."""

    def __init__(self, dtype: str) -> None:
        self.dtype = check_dtype(dtype)

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        if strict:
            if not (isinstance(data, np.generic) and data.dtype.name == self.dtype):
                raise TypeError(f"expected a numpy {self.dtype} scalar, got {data!r}")
            return data
        converted = self._convert(data)
        if converted.ndim != 0:
            raise TypeError(f"{self!r} cannot hold a value of shape {converted.shape}")
        if not allow_downcast and not _same_values(converted, np.asarray(data)):
            raise TypeError(f"{self!r} cannot hold {data!r} without losing precision")
        return converted[()]

    def _convert(self, data: Any) -> np.ndarray:
        """`data` as a 0-d array of this dtype; a number out of the dtype's range
        (300 for an int8) is a TypeError naming the type, the value and the range."""
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # filter's check says it
                return np.asarray(data, dtype=self.dtype)
        except OverflowError:
            info = np.iinfo(self.dtype) if np.dtype(self.dtype).kind in "iu" else None
            span = f" (from {info.min} to {info.max})" if info is not None else ""
            raise TypeError(f"{self!r} cannot hold {data!r}: it is out of the range of "
                            f"{self.dtype}{span}") from None
        except (ValueError, TypeError) as e:
            raise TypeError(f"{self!r} cannot hold {data!r}: {e}") from None

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash((ScalarType, self.dtype))

    def __str__(self) -> str:
        return self.dtype

    def __repr__(self) -> str:
        return f"ScalarType({self.dtype})"

    def data_key(self, data: Any) -> Any:
        return (self.dtype, data.tobytes())


class ScalarVariable(Variable):
    """A symbolic scalar, with the arithmetic of Python numbers."""

    @property
    def dtype(self) -> str:
        return self.type.dtype

    def __add__(self, other): return _m.add(self, other)
    def __radd__(self, other): return _m.add(other, self)
    def __sub__(self, other): return _m.sub(self, other)
    def __rsub__(self, other): return _m.sub(other, self)
    def __mul__(self, other): return _m.mul(self, other)
    def __rmul__(self, other): return _m.mul(other, self)
    def __truediv__(self, other): return _m.true_div(self, other)
    def __rtruediv__(self, other): return _m.true_div(other, self)
    def __floordiv__(self, other): return _m.int_div(self, other)
    def __rfloordiv__(self, other): return _m.int_div(other, self)
    def __mod__(self, other): return _m.mod(self, other)
    def __rmod__(self, other): return _m.mod(other, self)
    def __pow__(self, other): return _m.pow(self, other)
    def __rpow__(self, other): return _m.pow(other, self)
    def __neg__(self): return _m.neg(self)
    def __abs__(self): return _m.abs_(self)
    def __lt__(self, other): return _m.lt(self, other)
    def __le__(self, other): return _m.le(self, other)
    def __gt__(self, other): return _m.gt(self, other)
    def __ge__(self, other): return _m.ge(self, other)
    def __and__(self, other): return _m.and_(self, other)
    def __or__(self, other): return _m.or_(self, other)
    def __xor__(self, other): return _m.xor(self, other)
    def __invert__(self): return _m.invert(self)

    # Variables are graph nodes, compared by identity (== builds no graph here).
    __hash__ = Variable.__hash__


class ScalarConstant(Constant, ScalarVariable):
    """A scalar whose value is known: `ScalarConstant{2.0}`."""


ScalarType.variable_class = ScalarVariable
ScalarType.constant_class = ScalarConstant


def is_weak(x: Any) -> bool:
    """Is `x` a plain Python number, whose dtype adapts to its neighbours (NEP 50)?"""
    return type(x) in (int, float, bool)


def weak_dtype(value: int | float | bool, strong_dtypes: Sequence[str],
               default_float: str = "float64") -> str:
    """The dtype a Python number takes in an operation with values of `strong_dtypes`.

    numpy 2 treats Python numbers as "weak": `float32_array * 0.1` stays float32,
    `int32_array * 0.1` becomes float64.  The number is converted to the dtype
    numpy would compute in; a value that does not fit (`int8_array + 1000`)
    then fails when the constant is made, as it does in numpy.
    """
    if strong_dtypes:
        return np.result_type(*strong_dtypes, value).name
    if isinstance(value, float):
        return default_float
    return np.asarray(value).dtype.name


def as_scalar(x: Any, dtype: str | None = None) -> ScalarVariable:
    """`x` as a ScalarVariable: variables pass through, numbers become constants."""
    if isinstance(x, ScalarVariable):
        return x
    if isinstance(x, Variable):
        raise TypeError(f"expected a scalar variable, got {x} of type {x.type}")
    if dtype is None:
        dtype = np.asarray(x).dtype.name
        if dtype == "float16":
            dtype = "float32"
    # An explicit dtype is a decision already taken (e.g. by weak_dtype): the
    # value is rounded to it, as numpy rounds 0.1 to float32 in `f32 * 0.1`.
    stype = ScalarType(dtype)
    return ScalarConstant(stype, stype.filter(x, allow_downcast=True))


@functools.cache
def numpy_output_dtype(ufunc: Callable, dtypes: tuple[str, ...]) -> str:
    """The dtype numpy's `ufunc` returns for inputs of `dtypes` (float16 -> float32).

    Asking numpy itself is the surest way to follow its promotion rules
    (bool + bool is bool, int8 / int8 is float64, uint64 + int64 is float64).
    """
    args = [np.ones((), dtype=d) for d in dtypes]
    with np.errstate(all="ignore"):
        result = np.asarray(ufunc(*args))
    return "float32" if result.dtype == np.float16 else result.dtype.name


class ScalarOp(Op):
    """An operation on scalars, applied elementwise by `Elemwise` (tensor/elemwise.py).

    Subclasses set `nin` (-1: any number of inputs), `name`, and either `nfunc`
    (the numpy ufunc that computes it on whole arrays) or `impl`.
    """

    nin: int = 1
    name: str = ""
    nfunc: Callable | None = None

    def output_dtype(self, *dtypes: str) -> str:
        """The output dtype for inputs of `dtypes`: numpy's, asked of `nfunc`."""
        return numpy_output_dtype(self.nfunc, dtypes)

    def make_node(self, *inputs: Any) -> Apply:
        if self.nin >= 0 and len(inputs) != self.nin:
            raise TypeError(f"{self.name} takes {self.nin} inputs, got {len(inputs)}")
        strong = [i.dtype for i in inputs if isinstance(i, ScalarVariable)]
        inputs = [as_scalar(i, weak_dtype(i, strong)) if is_weak(i) else as_scalar(i)
                  for i in inputs]
        try:
            dtype = self.output_dtype(*(i.dtype for i in inputs))
        except TypeError as e:
            dtypes = ", ".join(i.dtype for i in inputs)
            raise TypeError(f"{self.name} is not defined for inputs of dtype {dtypes}: "
                            f"{e}") from None
        return Apply(self, inputs, [ScalarType(dtype)()])

    def impl(self, *inputs: Any) -> Any:
        """Compute the op elementwise on numpy arrays (or scalars)."""
        return self.nfunc(*inputs)

    def ufunc_for(self, dtypes: Sequence[str]) -> Callable | None:
        """The numpy ufunc that computes this op for inputs of `dtypes` with the
        right result dtype, when there is one: the fast path of Elemwise."""
        fn = self.nfunc
        return fn if isinstance(fn, np.ufunc) and fn.nin == len(dtypes) else None

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list]) -> None:
        dtype = node.outputs[0].type.dtype
        output_storage[0][0] = np.asarray(self.impl(*inputs), dtype=dtype)[()]

    # -- C (chapter 5) -----------------------------------------------------------
    # Most ops print as the same C expression for every dtype: `c_template`,
    # with {0}, {1}... standing for the inputs.  Ops whose C depends on the
    # dtype override `c_code` instead; an op with neither has no C and runs in
    # Python, even inside a compiled function.
    c_template: str | None = None

    def c_arg_dtypes(self, in_dtypes: Sequence[str], out_dtype: str) -> list[str]:
        """The dtypes the inputs are converted to before `c_code` sees them.

        numpy converts both operands to one dtype and computes in it: int8 + int16
        adds in int16, and so must the C (and int64 + uint64 adds in float64).
        """
        return [out_dtype] * len(in_dtypes)

    def c_code(self, p: Any, args: list[str], dtypes: list[str], out_dtype: str) -> str:
        """This op as one C expression of `args`, C expressions of `dtypes`
        (what `c_arg_dtypes` asked for).  `p` is the printer (link/c/cprinter.py):
        `p.ctype(dtype)`, `p.cast(expr, from, to)`, `p.math('exp', dtype)`,
        `p.helper('floordiv', dtype)`; the CUDA printer of chapter 6 answers the
        same questions, so one `c_code` serves both."""
        if self.c_template is None:
            raise NotImplementedError(f"{self} has no C code")
        return self.c_template.format(*args)

    def c_check(self, args: list[str], dtypes: list[str]) -> tuple[str, str] | None:
        """(a C condition, a message) when some inputs are an error (numpy raises)."""
        return None

    def __str__(self) -> str:
        return self.name


class UnaryScalarOp(ScalarOp):
    nin = 1


class BinaryScalarOp(ScalarOp):
    nin = 2


class FloatUnaryOp(UnaryScalarOp):
    """A unary op whose value is a float whatever its input (exp, log, tanh, ...)."""

    def output_dtype(self, dtype: str) -> str:
        return float_dtype(dtype)

    def impl(self, x: Any) -> Any:
        if x.dtype.kind == "f":
            return self.nfunc(x)
        return self.nfunc(x, dtype=float_dtype(x.dtype.name))

    def ufunc_for(self, dtypes: Sequence[str]) -> Callable | None:
        # On integers numpy would compute in float16 where we compute in float32.
        return super().ufunc_for(dtypes) if dtypes[0] in FLOAT_DTYPES else None

    # The C math library's name for this function (expf for float32 is the printer's job).
    c_func: str = ""

    def c_code(self, p: Any, args: list[str], dtypes: list[str], out_dtype: str) -> str:
        if not self.c_func:
            raise NotImplementedError(f"{self} has no C code")
        return f"{p.math(self.c_func, out_dtype)}({args[0]})"


# The operators of ScalarVariable build graphs with the ops of scalar/math.py,
# which itself needs the classes above: importing it last breaks the cycle.
from minitheano.scalar import math as _m  # noqa: E402
