"""Arithmetic scalar ops: + - * / // % **, sign, min/max, clip, switch, casts, rounding
(chapters 1, 4, 5).

One class per operation: its numpy function (`nfunc`, applied to whole arrays by
`Elemwise`), its output dtype, its gradient as a small scalar graph (chapter 4), and the
C it prints as (chapter 5).  The instances (`add`, `mul`, ...) are in `scalar/math.py`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from minitheano.scalar.basic import (
    DISCRETE_DTYPES,
    BinaryScalarOp,
    FloatUnaryOp,
    ScalarOp,
    ScalarVariable,
    UnaryScalarOp,
    check_dtype,
    numpy_output_dtype,
    upcast,
)


def _is_discrete(v: ScalarVariable) -> bool:
    return v.type.dtype in DISCRETE_DTYPES


def _c_fold(p: Any, symbol: str, ufunc: Any, args: list[str], dtypes: list[str]) -> str:
    """`a + b + c` in C as numpy computes it: left to right, each partial
    result in the dtype numpy gives it (casts appear only where dtypes mix)."""
    expr, dtype = args[0], dtypes[0]
    for arg, d in zip(args[1:], dtypes[1:]):
        new = numpy_output_dtype(ufunc, (dtype, d))
        if dtype == d == new:
            expr = f"{expr} {symbol} {arg}"
        else:
            expr = f"({p.ctype(new)})({p.cast(expr, dtype, new)} {symbol} {p.cast(arg, d, new)})"
        dtype = new
    return expr


@functools.cache
def loop_dtypes(ufunc: Any, dtypes: tuple[str, ...]) -> list[str]:
    """The dtypes numpy's `ufunc` converts its inputs to for `dtypes`."""
    resolved = ufunc.resolve_dtypes(tuple(np.dtype(d) for d in dtypes) + (None,))
    return [d.name for d in resolved[:len(dtypes)]]



# ---------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------

class Add(ScalarOp):
    """x + y + ...: any number of terms, so that chapter 3 can collect them."""
    nin = -1
    name = "add"
    nfunc = np.add

    def output_dtype(self, *dtypes: str) -> str:
        return upcast(*dtypes) if len(dtypes) != 2 else super().output_dtype(*dtypes)

    def impl(self, *inputs: Any) -> Any:
        if len(inputs) == 1:  # a copy: an Elemwise output never aliases its input
            return np.array(inputs[0], copy=True)
        result = np.add(inputs[0], inputs[1])
        for x in inputs[2:]:
            result = np.add(result, x)
        return result

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return list(in_dtypes)

    def c_code(self, p, args, dtypes, out_dtype):
        return _c_fold(p, "+", np.add, args, dtypes)

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        return [None if _is_discrete(x) else gz for x in inputs]


class Sub(BinaryScalarOp):
    name = "sub"
    nfunc = np.subtract
    c_template = "{0} - {1}"

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        x, y = inputs
        return [None if _is_discrete(x) else gz, None if _is_discrete(y) else -gz]


class Mul(ScalarOp):
    """x * y * ...: any number of factors."""
    nin = -1
    name = "mul"
    nfunc = np.multiply

    def output_dtype(self, *dtypes: str) -> str:
        return upcast(*dtypes) if len(dtypes) != 2 else super().output_dtype(*dtypes)

    def impl(self, *inputs: Any) -> Any:
        if len(inputs) == 1:  # a copy: an Elemwise output never aliases its input
            return np.array(inputs[0], copy=True)
        result = np.multiply(inputs[0], inputs[1])
        for x in inputs[2:]:
            result = np.multiply(result, x)
        return result

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return list(in_dtypes)

    def c_code(self, p, args, dtypes, out_dtype):
        return _c_fold(p, "*", np.multiply, args, dtypes)

    def grad(self, inputs, output_grads):
        # --8<-- [start:ex-ch04-mul-grad]
        (gz,) = output_grads
        grads = []
        for i, x in enumerate(inputs):
            others = inputs[:i] + inputs[i + 1:]
            grads.append(None if _is_discrete(x) else _sm.mul(gz, *others))
        return grads
        # --8<-- [end:ex-ch04-mul-grad]


class TrueDiv(BinaryScalarOp):
    """x / y, always a float (numpy's rule: int / int is float64)."""
    name = "true_div"
    nfunc = np.true_divide
    c_template = "{0} / {1}"

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        x, y = inputs
        return [None if _is_discrete(x) else gz / y,
                None if _is_discrete(y) else -(gz * x) / (y * y)]


class IntDiv(BinaryScalarOp):
    """x // y, rounding toward minus infinity (Python's and numpy's rule)."""
    name = "int_div"
    nfunc = np.floor_divide

    def c_code(self, p, args, dtypes, out_dtype):
        # C's / truncates toward zero and traps on x / 0: a helper does numpy's rule.
        return f"{p.helper('floordiv', out_dtype)}({args[0]}, {args[1]})"

    def grad(self, inputs, output_grads):
        return [None, None]


class Mod(BinaryScalarOp):
    """x % y with the sign of y (Python's and numpy's rule)."""
    name = "mod"
    nfunc = np.remainder

    def c_code(self, p, args, dtypes, out_dtype):
        return f"{p.helper('mod', out_dtype)}({args[0]}, {args[1]})"

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        x, y = inputs
        return [None if _is_discrete(x) else gz,
                None if _is_discrete(y) else -(gz * _sm.floor(x / y))]


class Pow(BinaryScalarOp):
    name = "pow"
    nfunc = np.power

    def c_code(self, p, args, dtypes, out_dtype):
        if out_dtype in DISCRETE_DTYPES:  # exact, wrapping on overflow as numpy does
            return f"{p.helper('pow', out_dtype)}({args[0]}, {args[1]})"
        return f"{p.math('pow', out_dtype)}({args[0]}, {args[1]})"

    def c_check(self, args, dtypes):
        if dtypes[1].startswith("int"):
            return f"{args[1]} < 0", "Integers to negative integer powers are not allowed."
        return None

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        x, y = inputs
        gx = None if _is_discrete(x) else gz * y * x ** (y - 1)
        # d(x**y)/dy = x**y log(x), whose limit at x = 0 is 0: log(1) there, not log(0) = -inf.
        gy = None if _is_discrete(y) else gz * x ** y * _sm.log(_sm.switch(_sm.eq(x, 0), 1, x))
        return [gx, gy]


class Neg(UnaryScalarOp):
    name = "neg"
    nfunc = np.negative
    c_template = "-{0}"

    def grad(self, inputs, output_grads):
        return [None if _is_discrete(inputs[0]) else -output_grads[0]]


class Abs(UnaryScalarOp):
    """|x|; its gradient at 0 is 0, as in Theano (sgn(0) = 0)."""
    name = "abs"
    nfunc = np.absolute

    def c_code(self, p, args, dtypes, out_dtype):
        (x,) = args
        if out_dtype.startswith("float"):
            return f"{p.math('fabs', out_dtype)}({x})"
        return f"{x} < 0 ? -{x} : {x}" if out_dtype.startswith("int") else x

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [None if _is_discrete(x) else gz * _sm.sgn(x)]


class Sgn(UnaryScalarOp):
    """-1, 0 or 1."""
    name = "sgn"
    nfunc = np.sign

    def c_code(self, p, args, dtypes, out_dtype):
        (x,) = args
        if out_dtype.startswith("float"):  # sgn(nan) is nan, sgn(-0.0) is 0.0
            return f"{x} > 0 ? 1 : {x} < 0 ? -1 : {x} == 0 ? 0 : {x}"
        return f"({x} > 0) - ({x} < 0)"

    def output_dtype(self, dtype: str) -> str:
        if dtype == "bool":
            raise TypeError("sgn is not defined for bool")
        return dtype

    def grad(self, inputs, output_grads):
        return [None]


class Sqr(UnaryScalarOp):
    """x * x."""
    name = "sqr"
    nfunc = np.square
    c_template = "{0} * {0}"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [None if _is_discrete(x) else gz * x * 2]


class Inv(FloatUnaryOp):
    """1 / x."""
    name = "inv"
    nfunc = np.reciprocal

    def c_code(self, p, args, dtypes, out_dtype):
        return f"1 / {args[0]}"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [-gz / _sm.sqr(x)]


class Maximum(BinaryScalarOp):
    """The larger of x and y; NaN if either is NaN (as numpy)."""
    name = "maximum"
    nfunc = np.maximum

    def c_code(self, p, args, dtypes, out_dtype):
        # --8<-- [start:ex-ch05-scalar-c]
        a, b = args  # on a tie numpy returns b (it matters for -0.0 and 0.0)
        nan = f"isnan({a}) || " if out_dtype.startswith("float") else ""
        return f"{nan}{a} > {b} ? {a} : {b}"
        # --8<-- [end:ex-ch05-scalar-c]

    def L_op(self, inputs, outputs, output_grads):
        # At a tie both inputs receive the gradient, as in Theano.
        (gz,), (out,) = output_grads, outputs
        return [None if _is_discrete(v) else gz * _sm.eq(out, v) for v in inputs]


class Minimum(BinaryScalarOp):
    """The smaller of x and y; NaN if either is NaN (as numpy)."""
    name = "minimum"
    nfunc = np.minimum

    def c_code(self, p, args, dtypes, out_dtype):
        a, b = args
        nan = f"isnan({a}) || " if out_dtype.startswith("float") else ""
        return f"{nan}{a} < {b} ? {a} : {b}"

    def L_op(self, inputs, outputs, output_grads):
        (gz,), (out,) = output_grads, outputs
        return [None if _is_discrete(v) else gz * _sm.eq(out, v) for v in inputs]


class Clip(ScalarOp):
    """x limited to [lo, hi]."""
    nin = 3
    name = "clip"
    nfunc = np.clip

    def output_dtype(self, x: str, lo: str, hi: str) -> str:
        return upcast(x, lo, hi)

    def impl(self, x: Any, lo: Any, hi: Any) -> Any:
        return np.minimum(np.maximum(x, lo), hi)

    def c_code(self, p, args, dtypes, out_dtype):
        x, lo, hi = args
        low = _sm.maximum.c_code(p, [x, lo], dtypes[:2], out_dtype)
        return _sm.minimum.c_code(p, [f"({low})", hi], dtypes[1:], out_dtype)

    def grad(self, inputs, output_grads):
        x, lo, hi = inputs
        (gz,) = output_grads
        inside = _sm.and_(_sm.ge(x, lo), _sm.le(x, hi))
        return [None if _is_discrete(x) else _sm.switch(inside, gz, 0),
                None if _is_discrete(lo) else _sm.switch(_sm.lt(x, lo), gz, 0),
                None if _is_discrete(hi) else _sm.switch(_sm.gt(x, hi), gz, 0)]


class Switch(ScalarOp):
    """`a if cond else b`, elementwise; both a and b are computed."""
    nin = 3
    name = "switch"
    nfunc = staticmethod(np.where)  # a plain function would be bound as a method
    c_template = "{0} ? {1} : {2}"

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return [in_dtypes[0], out_dtype, out_dtype]

    def output_dtype(self, cond: str, a: str, b: str) -> str:
        return upcast(a, b)

    def grad(self, inputs, output_grads):
        cond, a, b = inputs
        (gz,) = output_grads
        return [None,
                None if _is_discrete(a) else _sm.switch(cond, gz, 0),
                None if _is_discrete(b) else _sm.switch(cond, 0, gz)]


class Second(BinaryScalarOp):
    """Its second input, broadcast to the shape of the first: `fill(x, 0)` is zeros_like(x)."""
    name = "second"
    c_template = "{1}"

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return [in_dtypes[0], out_dtype]

    def output_dtype(self, a: str, b: str) -> str:
        return b

    def impl(self, a: Any, b: Any) -> Any:
        out = np.empty(np.broadcast_shapes(np.shape(a), np.shape(b)), dtype=np.asarray(b).dtype)
        out[...] = b
        return out

    def grad(self, inputs, output_grads):
        return [None, None if _is_discrete(inputs[1]) else output_grads[0]]

    def connection_pattern(self, node):
        return [[False], [True]]  # only the shape of the first input matters


class Identity(UnaryScalarOp):
    name = "identity"
    c_template = "{0}"

    def output_dtype(self, dtype: str) -> str:
        return dtype

    def impl(self, x: Any) -> Any:
        return np.array(x, copy=True)

    def grad(self, inputs, output_grads):
        return [None if _is_discrete(inputs[0]) else output_grads[0]]


class Cast(UnaryScalarOp):
    """x converted to `dtype`, as numpy's `astype` (floats to ints truncate)."""
    __props__ = ("dtype",)

    def __init__(self, dtype: str) -> None:
        self.dtype = check_dtype(dtype)
        self.name = f"Cast{{{self.dtype}}}"

    def output_dtype(self, dtype: str) -> str:
        return self.dtype

    def impl(self, x: Any) -> Any:
        return np.asarray(x).astype(self.dtype)

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return list(in_dtypes)

    def c_code(self, p, args, dtypes, out_dtype):
        return p.cast(args[0], dtypes[0], self.dtype)

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if _is_discrete(x) or self.dtype in DISCRETE_DTYPES:
            return [None]
        return [_sm.cast(gz, x.type.dtype)]


# ---------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------

class _Rounding(UnaryScalarOp):
    """Rounding keeps the dtype of its input and has no gradient (zero almost everywhere)."""

    c_func = ""

    def output_dtype(self, dtype: str) -> str:
        return "float32" if dtype == "bool" else dtype

    def impl(self, x: Any) -> Any:
        x = np.asarray(x)
        if x.dtype.kind in "iu":  # already whole (and int64 would not survive a float)
            return x.copy()
        return self.nfunc(x, dtype=self.output_dtype(x.dtype.name))

    def ufunc_for(self, dtypes):
        return super().ufunc_for(dtypes) if dtypes[0].startswith("float") else None

    def c_code(self, p, args, dtypes, out_dtype):
        # Integers are already whole: rounding them changes nothing.
        return f"{p.math(self.c_func, out_dtype)}({args[0]})" if out_dtype[0] == "f" else args[0]

    def grad(self, inputs, output_grads):
        return [None]


class Floor(_Rounding):
    name = "floor"
    nfunc = np.floor
    c_func = "floor"


class Ceil(_Rounding):
    name = "ceil"
    nfunc = np.ceil
    c_func = "ceil"


class RoundHalfToEven(_Rounding):
    """Round to the nearest integer, ties to even (numpy's `round`)."""
    name = "round_half_to_even"
    nfunc = np.rint  # a ufunc (np.round is a plain function, which would bind as a method)
    c_func = "rint"  # in the default rounding mode, ties go to even


# The gradients above build graphs with the op instances of scalar/math.py, which
# imports this module: importing it last breaks the cycle.
from minitheano.scalar import math as _sm  # noqa: E402
