"""Shared helpers of the chapter-4 tests: random points and shapes, and checking
gradients against finite differences with `verify_grad`."""

from __future__ import annotations

import zlib

import numpy as np

from minitheano.gradient import verify_grad


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded from a test's name: random, but the same on every run."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def random_shape(rng: np.random.Generator, ndim: int, low: int = 2, high: int = 5) -> tuple:
    return tuple(int(n) for n in rng.integers(low, high, size=ndim))


def point(rng: np.random.Generator, shape: tuple, low: float = -2.0, high: float = 2.0,
          dtype: str = "float64") -> np.ndarray:
    return rng.uniform(low, high, size=shape).astype(dtype)


def check(fun, *values, rng=None, **kwargs) -> None:
    """verify_grad with a fixed generator."""
    verify_grad(fun, list(values), rng=rng or np.random.default_rng(0), **kwargs)


# ---------------------------------------------------------------------------
# A minimal converter of elementwise graphs to sympy (until the rewrite
# chapter's bridge, minitheano/rewrite/sympy_bridge.py, is on main).
# ---------------------------------------------------------------------------

def _sympy_ops():
    import sympy as sp
    return {
        "add": lambda *a: sp.Add(*a), "mul": lambda *a: sp.Mul(*a),
        "sub": lambda a, b: a - b, "true_div": lambda a, b: a / b, "neg": lambda a: -a,
        "pow": lambda a, b: a ** b, "sqr": lambda a: a ** 2, "sqrt": sp.sqrt,
        "inv": lambda a: 1 / a, "exp": sp.exp, "expm1": lambda a: sp.exp(a) - 1,
        "log": sp.log, "log1p": lambda a: sp.log(1 + a), "sin": sp.sin, "cos": sp.cos,
        "tan": sp.tan, "arctan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
        "sigmoid": lambda a: 1 / (1 + sp.exp(-a)), "softplus": lambda a: sp.log(1 + sp.exp(a)),
        "abs": sp.Abs, "identity": lambda a: a,
    }


def to_sympy(var, symbols):
    """The sympy expression of an elementwise graph; `symbols` maps inputs to sympy symbols."""
    import sympy as sp

    from minitheano.graph.basic import Constant
    from minitheano.tensor.elemwise import DimShuffle, Elemwise

    if var in symbols:
        return symbols[var]
    if isinstance(var, Constant):
        value = var.data.item()
        return sp.Integer(value) if float(value).is_integer() else sp.Float(value, 17)
    op, args = var.owner.op, var.owner.inputs
    if isinstance(op, DimShuffle):
        return to_sympy(args[0], symbols)
    if isinstance(op, Elemwise):
        return _sympy_ops()[op.scalar_op.name](*(to_sympy(a, symbols) for a in args))
    raise NotImplementedError(f"to_sympy: {op}")
