"""The scalar operations, one instance each (chapters 1, 3, 4, 5).

The classes live by family: `scalar/arithmetic.py` (+ - * / ..., casts, rounding),
`scalar/elementary.py` (exp, log, trigonometry, sigmoid), `scalar/logic.py`
(comparisons, bitwise).  Ops without parameters are values, so one instance of
each is enough: `add`, `exp`, `eq` below are what the rest of the library uses.

Gradients return one entry per input: a scalar Variable, or None where the
input has no gradient (integer results, comparisons, floor).  `Elemwise`
(tensor/elemwise.py) lifts these scalar graphs to tensors.
"""

from __future__ import annotations

from typing import Any

from minitheano.scalar.arithmetic import (  # noqa: F401
    Abs,
    Add,
    Cast,
    Ceil,
    Clip,
    Floor,
    Identity,
    IntDiv,
    Inv,
    Maximum,
    Minimum,
    Mod,
    Mul,
    Neg,
    Pow,
    RoundHalfToEven,
    Second,
    Sgn,
    Sqr,
    Sub,
    Switch,
    TrueDiv,
    _Rounding,
)
from minitheano.scalar.basic import ScalarType, ScalarVariable, check_dtype
from minitheano.scalar.elementary import (  # noqa: F401
    ArcCos,
    ArcSin,
    ArcTan,
    ArcTan2,
    Cos,
    Cosh,
    Exp,
    Exp2,
    Expm1,
    Log,
    Log1p,
    Log2,
    Log10,
    Sigmoid,
    Sin,
    Sinh,
    Softplus,
    Sqrt,
    Tan,
    Tanh,
)
from minitheano.scalar.logic import (  # noqa: F401
    AND,
    EQ,
    GE,
    GT,
    LE,
    LT,
    NEQ,
    OR,
    XOR,
    Invert,
    IsInf,
    IsNan,
    _Comparison,
    _NoGrad,
)

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
arctan2 = ArcTan2()
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

