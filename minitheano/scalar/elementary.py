"""Elementary functions: exponentials, logarithms, roots, trigonometry, and the logistic
(chapters 1, 3, 4, 5).

Each one is float-valued whatever its input (`FloatUnaryOp`); `sigmoid` and `softplus`
are computed without overflow, which chapter 3's stability rewrites rely on.  The
instances (`exp`, `log`, ...) are in `scalar/math.py`.
"""

from __future__ import annotations

import math as pymath
from typing import Any

import numpy as np

from minitheano.scalar.basic import (
    FLOAT_DTYPES,
    BinaryScalarOp,
    FloatUnaryOp,
    float_dtype,
    upcast,
)

# ---------------------------------------------------------------------------
# Float-valued functions
# ---------------------------------------------------------------------------

class Exp(FloatUnaryOp):
    name = "exp"
    nfunc = np.exp
    c_func = "exp"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * _sm.exp(x)]


class Exp2(FloatUnaryOp):
    name = "exp2"
    nfunc = np.exp2
    c_func = "exp2"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * _sm.exp2(x) * pymath.log(2.0)]


class Expm1(FloatUnaryOp):
    """exp(x) - 1, accurate near 0."""
    name = "expm1"
    nfunc = np.expm1
    c_func = "expm1"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * _sm.exp(x)]


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
        return [gz / (2 * _sm.sqrt(x))]


class Sin(FloatUnaryOp):
    name = "sin"
    nfunc = np.sin
    c_func = "sin"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * _sm.cos(x)]


class Cos(FloatUnaryOp):
    name = "cos"
    nfunc = np.cos
    c_func = "cos"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [-(gz * _sm.sin(x))]


class Tan(FloatUnaryOp):
    name = "tan"
    nfunc = np.tan
    c_func = "tan"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * (1 + _sm.sqr(_sm.tan(x)))]


class ArcSin(FloatUnaryOp):
    name = "arcsin"
    nfunc = np.arcsin
    c_func = "asin"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz / _sm.sqrt(1 - _sm.sqr(x))]


class ArcCos(FloatUnaryOp):
    name = "arccos"
    nfunc = np.arccos
    c_func = "acos"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [-(gz / _sm.sqrt(1 - _sm.sqr(x)))]


class ArcTan(FloatUnaryOp):
    name = "arctan"
    nfunc = np.arctan
    c_func = "atan"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz / (1 + _sm.sqr(x))]


class ArcTan2(BinaryScalarOp):
    """arctan2(y, x): the angle of the point (x, y), in (-pi, pi], always a float."""
    name = "arctan2"
    nfunc = np.arctan2

    def output_dtype(self, *dtypes: str) -> str:
        return float_dtype(upcast(*dtypes))

    def impl(self, y: Any, x: Any) -> Any:
        dtype = self.output_dtype(np.asarray(y).dtype.name, np.asarray(x).dtype.name)
        return np.arctan2(np.asarray(y, dtype=dtype), np.asarray(x, dtype=dtype))

    def ufunc_for(self, dtypes):
        # On small integers numpy would compute in float16 where we compute in float32.
        return super().ufunc_for(dtypes) if all(d in FLOAT_DTYPES for d in dtypes) else None

    def c_code(self, p, args, dtypes, out_dtype):
        return f"{p.math('atan2', out_dtype)}({args[0]}, {args[1]})"

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        y, x = inputs
        # d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2); integers have none.
        r2 = _sm.sqr(x) + _sm.sqr(y)
        return [None if y.type.dtype not in FLOAT_DTYPES else gz * x / r2,
                None if x.type.dtype not in FLOAT_DTYPES else -(gz * y) / r2]


class Sinh(FloatUnaryOp):
    name = "sinh"
    nfunc = np.sinh
    c_func = "sinh"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * _sm.cosh(x)]


class Cosh(FloatUnaryOp):
    name = "cosh"
    nfunc = np.cosh
    c_func = "cosh"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * _sm.sinh(x)]


class Tanh(FloatUnaryOp):
    name = "tanh"
    nfunc = np.tanh
    c_func = "tanh"

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * (1 - _sm.sqr(_sm.tanh(x)))]


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
        s = _sm.sigmoid(x)
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
        return [gz * _sm.sigmoid(x)]


# The gradients above build graphs with the op instances of scalar/math.py, which
# imports this module: importing it last breaks the cycle.
from minitheano.scalar import math as _sm  # noqa: E402
