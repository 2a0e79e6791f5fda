"""The sympy bridge: elementwise graphs as sympy expressions, and back (chapter 3).

A rewrite is correct if the graph it produces computes the same function as
the graph it was given.  For elementwise graphs sympy can often decide that:

    >>> before, after = to_sympy([graph_before, graph_after])
    >>> sympy.simplify(before - after) == 0

`to_sympy` reads a graph (Elemwise nodes, Composites, DimShuffles, constants)
into sympy expressions, one symbol per input; `from_sympy` builds a graph
from an expression.  The table `SYMPY_OF` says what each scalar op is in
sympy; it lives here, not in the ops, because it is a fact about this bridge.
Ops sympy has no word for (bitwise operations, rounding half to even, isnan)
raise `NotInSympy`; a caller then falls back to comparing numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from minitheano.graph.basic import Constant, Variable
from minitheano.scalar import math as smath
from minitheano.scalar.composite import Composite
from minitheano.tensor import basic as tb
from minitheano.tensor import math as tm
from minitheano.tensor.elemwise import DimShuffle, Elemwise
from minitheano.tensor.shape import Rebroadcast


class NotInSympy(ValueError):
    """The graph uses an op the bridge cannot express in sympy."""


def _piecewise(value: sp.Expr, cond: sp.Basic, otherwise: sp.Expr) -> sp.Expr:
    """`value` where `cond` holds, else `otherwise`.  A condition that itself
    contains a Piecewise (a comparison of a switch's result) makes sympy solve
    inequalities just to build the expression, which can take seconds: such
    graphs are left to numbers."""
    if isinstance(cond, sp.Basic) and cond.has(sp.Piecewise):
        raise NotInSympy("a condition on the result of a switch (sympy would solve "
                         "inequalities to represent it)")
    return sp.Piecewise((value, cond), (otherwise, True), evaluate=False)


def _cast(op: smath.Cast):
    if op.dtype.startswith("float"):
        return lambda x: x
    if op.dtype == "bool":
        return lambda x: _piecewise(1, sp.Ne(x, 0), 0)
    return lambda x: sp.sign(x) * sp.floor(sp.Abs(x))  # numpy truncates toward 0


SYMPY_OF = {
    smath.Add: lambda *a: sp.Add(*a),
    smath.Sub: lambda a, b: a - b,
    smath.Mul: lambda *a: sp.Mul(*a),
    smath.TrueDiv: lambda a, b: a / b,
    smath.IntDiv: lambda a, b: sp.floor(a / b),
    smath.Mod: lambda a, b: sp.Mod(a, b),
    smath.Pow: lambda a, b: a ** b,
    smath.Neg: lambda a: -a,
    smath.Abs: sp.Abs,
    smath.Sgn: sp.sign,
    smath.Sqr: lambda a: a ** 2,
    smath.Inv: lambda a: 1 / a,
    # Unevaluated: sympy would otherwise compare the arguments, solving inequalities.
    smath.Maximum: lambda a, b: sp.Max(a, b, evaluate=False),
    smath.Minimum: lambda a, b: sp.Min(a, b, evaluate=False),
    smath.Clip: lambda x, lo, hi: sp.Min(sp.Max(x, lo, evaluate=False), hi, evaluate=False),
    smath.Switch: lambda c, a, b: _piecewise(a, c, b),
    smath.Second: lambda a, b: b,
    smath.Identity: lambda a: a,
    smath.Floor: sp.floor,
    smath.Ceil: sp.ceiling,
    smath.Exp: sp.exp,
    smath.Exp2: lambda a: 2 ** a,
    smath.Expm1: lambda a: sp.exp(a) - 1,
    smath.Log: sp.log,
    smath.Log2: lambda a: sp.log(a, 2),
    smath.Log10: lambda a: sp.log(a, 10),
    smath.Log1p: lambda a: sp.log(1 + a),
    smath.Sqrt: sp.sqrt,
    smath.Sin: sp.sin,
    smath.Cos: sp.cos,
    smath.Tan: sp.tan,
    smath.ArcSin: sp.asin,
    smath.ArcCos: sp.acos,
    smath.ArcTan: sp.atan,
    smath.Sinh: sp.sinh,
    smath.Cosh: sp.cosh,
    smath.Tanh: sp.tanh,
    smath.Sigmoid: lambda a: 1 / (1 + sp.exp(-a)),
    smath.Softplus: lambda a: sp.log(1 + sp.exp(a)),
    smath.EQ: sp.Eq,
    smath.NEQ: sp.Ne,
    smath.LT: sp.Lt,
    smath.LE: sp.Le,
    smath.GT: sp.Gt,
    smath.GE: sp.Ge,
}


def _number(var: Constant) -> sp.Expr:
    data = np.asarray(var.data)
    if data.size != 1:
        raise NotInSympy(f"the constant {var} is not a single number")
    value = data.reshape(()).item()
    if isinstance(value, bool):
        return sp.true if value else sp.false
    if isinstance(value, float) and not np.isfinite(value):
        return sp.nan if np.isnan(value) else sp.oo if value > 0 else -sp.oo
    return sp.Integer(value) if float(value).is_integer() else sp.Rational(value)  # exact


def _scalar_op_to_sympy(op, args: list) -> sp.Expr:
    if isinstance(op, Composite):
        inner = dict(zip(op.inputs, args))
        return to_sympy(op.outputs, inner)[0]
    if isinstance(op, smath.Cast):
        return _cast(op)(*args)
    for cls in type(op).__mro__:
        if cls in SYMPY_OF:
            return SYMPY_OF[cls](*args)
    raise NotInSympy(f"sympy has no counterpart for the scalar op {op}")


def to_sympy(outputs: Sequence[Variable], symbols: dict[Variable, sp.Expr] | None = None
             ) -> list[sp.Expr]:
    """The sympy expression of each output; inputs become symbols (named after
    the variables) unless `symbols` says what they are."""
    memo: dict[Variable, sp.Expr] = dict(symbols or {})

    def walk(var: Variable) -> sp.Expr:
        if var in memo:
            return memo[var]
        node = var.owner
        if isinstance(var, Constant):
            result = _number(var)
        elif node is None:
            result = sp.Symbol(var.name or f"v{len(memo)}", real=True)
        elif isinstance(node.op, (DimShuffle, Rebroadcast)):
            result = walk(node.inputs[0])  # the same values, laid out differently
        else:
            op = node.op.scalar_op if isinstance(node.op, Elemwise) else node.op
            if len(node.outputs) != 1:
                raise NotInSympy(f"{node.op} has several outputs")
            result = _scalar_op_to_sympy(op, [walk(v) for v in node.inputs])
        memo[var] = result
        return result

    return [walk(o) for o in outputs]


def from_sympy(expr: sp.Expr, variables: dict[sp.Symbol, Variable]) -> Variable:
    """A graph computing `expr`, with each symbol replaced by its variable."""
    if expr in variables:
        return variables[expr]
    if expr.is_Number:
        value = int(expr) if expr.is_Integer else float(expr)
        return tb.constant(value)
    args = [from_sympy(a, variables) for a in expr.args]
    if isinstance(expr, sp.Add):
        return tm.add(*args)
    if isinstance(expr, sp.Mul):
        return tm.mul(*args)
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent == -1:
            return tm.true_div(1.0, args[0])
        return tm.pow(*args)
    functions = {sp.exp: tm.exp, sp.log: tm.log, sp.sin: tm.sin, sp.cos: tm.cos,
                 sp.tan: tm.tan, sp.tanh: tm.tanh, sp.sinh: tm.sinh, sp.cosh: tm.cosh,
                 sp.Abs: tm.abs_, sp.sign: tm.sgn, sp.asin: tm.arcsin, sp.acos: tm.arccos,
                 sp.atan: tm.arctan, sp.floor: tm.floor, sp.ceiling: tm.ceil,
                 sp.Max: tm.maximum, sp.Min: tm.minimum}
    for fn, make in functions.items():
        if isinstance(expr, fn):
            result = args[0]
            for a in args[1:]:  # Max and Min take any number of arguments
                result = make(result, a)
            return make(*args) if len(args) == 1 else result
    raise NotInSympy(f"no op for the sympy expression {expr}")


# Where `same_function` looks for a counterexample: symbol k of point j takes
# POINTS[(j + k) % len(POINTS)], so that different symbols get different values.
POINTS = (0.37, -1.29, 2.03, 0.71, -0.53)


def differ_somewhere(a: sp.Expr, b: sp.Expr, tries: int = 3) -> bool:
    """Is there a point where a and b are both real and finite, and different?
    (A counterexample, evaluated with 30 digits: it proves a != b.)"""
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    for j in range(tries):
        point = {s: sp.Float(POINTS[(j + k) % len(POINTS)], 30) for k, s in enumerate(symbols)}
        try:
            va, vb = complex(a.evalf(30, subs=point)), complex(b.evalf(30, subs=point))
        except (TypeError, ValueError):  # not a number there (a relation, undefined)
            continue
        if not (np.isfinite(va) and np.isfinite(vb)) or abs(va.imag) + abs(vb.imag) > 1e-12:
            continue
        if abs(va - vb) > 1e-9 * (1 + abs(va)):
            return True
    return False


def same_function(a: sp.Expr, b: sp.Expr) -> bool | None:
    """True if sympy proves a == b, False if a and b differ at some point where both
    are defined, None if it cannot tell.

    Numbers first: a counterexample at a few points is cheap and settles "no".
    Then sympy simplifies a - b.  Constant folding computes in floating point,
    so two expressions whose difference is a number within rounding (1e-9
    relative) count as equal.
    """
    diff = a - b  # sympy collects terms as it builds: often 0 already
    if diff == 0:
        return True
    if differ_somewhere(a, b):
        return False
    diff = sp.simplify(diff)  # the expensive part: seconds on a large expression
    if diff == 0:
        return True
    if diff.is_number:
        try:
            gap, scale = abs(complex(diff.evalf())), abs(complex(a.evalf()))
        except (TypeError, ValueError):
            return None
        return gap <= 1e-9 * (1 + scale) if np.isfinite(gap) else None
    return None
