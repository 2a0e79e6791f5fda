"""The scalar operations (chapters 1 and 4).

One class per operation: its numpy function (`nfunc`, applied to whole arrays
by `Elemwise`), its output dtype, and its gradient as a small scalar graph.
Chapter 5 adds the line of C each one prints as.

Gradients return one entry per input: a scalar Variable, or None where the
input has no gradient (integer results, comparisons, floor).  `Elemwise`
(tensor/elemwise.py) lifts these scalar graphs to tensors.
"""

from __future__ import annotations

import functools
import math as pymath
from typing import Any

import numpy as np

from minitheano.scalar.basic import (
    DISCRETE_DTYPES,
    BinaryScalarOp,
    FloatUnaryOp,
    ScalarOp,
    ScalarType,
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
def _loop_dtypes(ufunc: Any, dtypes: tuple[str, ...]) -> list[str]:
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
            grads.append(None if _is_discrete(x) else mul(gz, *others))
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
                None if _is_discrete(y) else -(gz * floor(x / y))]


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
        gy = None if _is_discrete(y) else gz * x ** y * log(switch(eq(x, 0), 1, x))
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
        return [None if _is_discrete(x) else gz * sgn(x)]


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
        return [-gz / sqr(x)]


class Maximum(BinaryScalarOp):
    """The larger of x and y; NaN if either is NaN (as numpy)."""
    name = "maximum"
    nfunc = np.maximum

    def c_code(self, p, args, dtypes, out_dtype):
        a, b = args  # on a tie numpy returns b (it matters for -0.0 and 0.0)
        nan = f"isnan({a}) || " if out_dtype.startswith("float") else ""
        return f"{nan}{a} > {b} ? {a} : {b}"

    def L_op(self, inputs, outputs, output_grads):
        # At a tie both inputs receive the gradient, as in Theano.
        (gz,), (out,) = output_grads, outputs
        return [None if _is_discrete(v) else gz * eq(out, v) for v in inputs]


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
        return [None if _is_discrete(v) else gz * eq(out, v) for v in inputs]


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
        low = maximum.c_code(p, [x, lo], dtypes[:2], out_dtype)
        return minimum.c_code(p, [f"({low})", hi], dtypes[1:], out_dtype)

    def grad(self, inputs, output_grads):
        x, lo, hi = inputs
        (gz,) = output_grads
        inside = and_(ge(x, lo), le(x, hi))
        return [None if _is_discrete(x) else switch(inside, gz, 0),
                None if _is_discrete(lo) else switch(lt(x, lo), gz, 0),
                None if _is_discrete(hi) else switch(gt(x, hi), gz, 0)]


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
                None if _is_discrete(a) else switch(cond, gz, 0),
                None if _is_discrete(b) else switch(cond, 0, gz)]


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
        return [cast(gz, x.type.dtype)]


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


# ---------------------------------------------------------------------------
# Float-valued functions
# ---------------------------------------------------------------------------

class Exp(FloatUnaryOp):
    name = "exp"
    nfunc = np.exp
    c_func = "exp"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * exp(x)]


class Exp2(FloatUnaryOp):
    name = "exp2"
    nfunc = np.exp2
    c_func = "exp2"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * exp2(x) * pymath.log(2.0)]


class Expm1(FloatUnaryOp):
    """exp(x) - 1, accurate near 0."""
    name = "expm1"
    nfunc = np.expm1
    c_func = "expm1"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * exp(x)]


class Log(FloatUnaryOp):
    name = "log"
    nfunc = np.log
    c_func = "log"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz / x]


class Log2(FloatUnaryOp):
    name = "log2"
    nfunc = np.log2
    c_func = "log2"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz / (x * pymath.log(2.0))]


class Log10(FloatUnaryOp):
    name = "log10"
    nfunc = np.log10
    c_func = "log10"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz / (x * pymath.log(10.0))]


class Log1p(FloatUnaryOp):
    """log(1 + x), accurate near 0."""
    name = "log1p"
    nfunc = np.log1p
    c_func = "log1p"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz / (1 + x)]


class Sqrt(FloatUnaryOp):
    name = "sqrt"
    nfunc = np.sqrt
    c_func = "sqrt"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz / (2 * sqrt(x))]


class Sin(FloatUnaryOp):
    name = "sin"
    nfunc = np.sin
    c_func = "sin"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * cos(x)]


class Cos(FloatUnaryOp):
    name = "cos"
    nfunc = np.cos
    c_func = "cos"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [-(gz * sin(x))]


class Tan(FloatUnaryOp):
    name = "tan"
    nfunc = np.tan
    c_func = "tan"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * (1 + sqr(tan(x)))]


class ArcSin(FloatUnaryOp):
    name = "arcsin"
    nfunc = np.arcsin
    c_func = "asin"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz / sqrt(1 - sqr(x))]


class ArcCos(FloatUnaryOp):
    name = "arccos"
    nfunc = np.arccos
    c_func = "acos"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [-(gz / sqrt(1 - sqr(x)))]


class ArcTan(FloatUnaryOp):
    name = "arctan"
    nfunc = np.arctan
    c_func = "atan"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz / (1 + sqr(x))]


class Sinh(FloatUnaryOp):
    name = "sinh"
    nfunc = np.sinh
    c_func = "sinh"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * cosh(x)]


class Cosh(FloatUnaryOp):
    name = "cosh"
    nfunc = np.cosh
    c_func = "cosh"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * sinh(x)]


class Tanh(FloatUnaryOp):
    name = "tanh"
    nfunc = np.tanh
    c_func = "tanh"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * (1 - sqr(tanh(x)))]


class Sigmoid(FloatUnaryOp):
    """1 / (1 + exp(-x)), computed without overflow for any x."""
    name = "sigmoid"

    def c_code(self, p, args, dtypes, out_dtype):
        return f"{p.helper('sigmoid', out_dtype)}({args[0]})"

    def impl(self, x: Any) -> Any:
        x = np.asarray(x, dtype=self.output_dtype(np.asarray(x).dtype.name))
        # exp(-x) overflows to inf below x = -709 (float64), and 1 / (1 + inf) = 0 is
        # the right limit: no NaN, and one buffer reused by every step.
        with np.errstate(over="ignore"):
            t = np.asarray(np.exp(-x))
            np.add(t, 1, out=t)
            return np.reciprocal(t, out=t)

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        s = sigmoid(x)
        return [gz * s * (1 - s)]


class Softplus(FloatUnaryOp):
    """log(1 + exp(x)), computed without overflow: softplus(1000) is 1000."""
    name = "softplus"

    def c_code(self, p, args, dtypes, out_dtype):
        return f"{p.helper('softplus', out_dtype)}({args[0]})"

    def impl(self, x: Any) -> Any:
        x = np.asarray(x, dtype=self.output_dtype(np.asarray(x).dtype.name))
        return np.logaddexp(np.zeros((), dtype=x.dtype), x)

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * sigmoid(x)]


# ---------------------------------------------------------------------------
# Comparisons and logic: bool results, no gradient
# ---------------------------------------------------------------------------

class _NoGrad(ScalarOp):
    def grad(self, inputs, output_grads):
        return [None] * len(inputs)


class _Comparison(_NoGrad, BinaryScalarOp):
    c_symbol = ""

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return _loop_dtypes(self.nfunc, tuple(in_dtypes))

    def c_code(self, p, args, dtypes, out_dtype):
        (a, b), op = args, self.c_symbol
        # numpy compares int64 with uint64 exactly; C would turn -1 into 2**64 - 1.
        # A negative int64 is below every uint64: the answer is that of 0 op 1.
        if dtypes == ["int64", "uint64"]:
            return f"{a} < 0 ? {int(self.nfunc(0, 1))} : (uint64_t){a} {op} {b}"
        if dtypes == ["uint64", "int64"]:
            return f"{b} < 0 ? {int(self.nfunc(1, 0))} : {a} {op} (uint64_t){b}"
        return f"{a} {op} {b}"


class EQ(_Comparison):
    name = "eq"
    nfunc = np.equal
    c_symbol = "=="


class NEQ(_Comparison):
    name = "neq"
    nfunc = np.not_equal
    c_symbol = "!="


class LT(_Comparison):
    name = "lt"
    nfunc = np.less
    c_symbol = "<"


class LE(_Comparison):
    name = "le"
    nfunc = np.less_equal
    c_symbol = "<="


class GT(_Comparison):
    name = "gt"
    nfunc = np.greater
    c_symbol = ">"


class GE(_Comparison):
    name = "ge"
    nfunc = np.greater_equal
    c_symbol = ">="


class IsNan(_NoGrad, UnaryScalarOp):
    name = "isnan"
    nfunc = np.isnan

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return list(in_dtypes)

    def c_code(self, p, args, dtypes, out_dtype):
        return f"isnan({args[0]})" if dtypes[0].startswith("float") else "0"


class IsInf(_NoGrad, UnaryScalarOp):
    name = "isinf"
    nfunc = np.isinf

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return list(in_dtypes)

    def c_code(self, p, args, dtypes, out_dtype):
        return f"isinf({args[0]})" if dtypes[0].startswith("float") else "0"


class AND(_NoGrad, BinaryScalarOp):
    name = "and_"
    nfunc = np.bitwise_and
    c_template = "{0} & {1}"


class OR(_NoGrad, BinaryScalarOp):
    name = "or_"
    nfunc = np.bitwise_or
    c_template = "{0} | {1}"


class XOR(_NoGrad, BinaryScalarOp):
    name = "xor"
    nfunc = np.bitwise_xor
    c_template = "{0} ^ {1}"


class Invert(_NoGrad, UnaryScalarOp):
    """~x: bitwise not (logical not for bools)."""
    name = "invert"
    nfunc = np.invert

    def c_code(self, p, args, dtypes, out_dtype):
        return f"!{args[0]}" if out_dtype == "bool" else f"~{args[0]}"


# One instance per op: ops without parameters are values, one is enough.
add = Add()
sub = Sub()
mul = Mul()
true_div = TrueDiv()
int_div = IntDiv()
mod = Mod()
pow = Pow()  # noqa: A001  (Theano's name)
neg = Neg()
abs_ = Abs()
sgn = Sgn()
sqr = Sqr()
inv = Inv()
maximum = Maximum()
minimum = Minimum()
clip = Clip()
switch = Switch()
second = Second()
identity = Identity()
floor = Floor()
ceil = Ceil()
round_half_to_even = RoundHalfToEven()
exp = Exp()
exp2 = Exp2()
expm1 = Expm1()
log = Log()
log2 = Log2()
log10 = Log10()
log1p = Log1p()
sqrt = Sqrt()
sin = Sin()
cos = Cos()
tan = Tan()
arcsin = ArcSin()
arccos = ArcCos()
arctan = ArcTan()
sinh = Sinh()
cosh = Cosh()
tanh = Tanh()
sigmoid = Sigmoid()
softplus = Softplus()
eq = EQ()
neq = NEQ()
lt = LT()
le = LE()
gt = GT()
ge = GE()
isnan = IsNan()
isinf = IsInf()
and_ = AND()
or_ = OR()
xor = XOR()
invert = Invert()


def cast(x: Any, dtype: str) -> ScalarVariable:
    """x as `dtype` (no node if it already is)."""
    if isinstance(x, ScalarVariable) and x.type.dtype == check_dtype(dtype):
        return x
    return Cast(dtype)(x)


def zeros_like(x: ScalarVariable, dtype: str | None = None) -> ScalarVariable:
    """0 of x's dtype (or `dtype`); lifted to tensors, zeros of x's shape."""
    return second(x, ScalarType(dtype or x.type.dtype).make_constant(0))
