"""Every rewrite phase checked against sympy on generated expressions (chapter 3).

hypothesis builds random elementwise expressions (depth >= 4, every elementwise
op, float and int dtypes).  The graph goes through the FAST_RUN pipeline one
step at a time; after each step the rewritten graph must compute the same
function as the original:

* symbolically, where `sympy.simplify(before - after)` decides (a proof that
  they differ fails the test; "cannot tell" falls through to numbers);
* numerically, at random points of a domain without poles, against the
  original evaluated in float64 and, where sympy can express the graph,
  evaluated exactly with mpmath (a rewrite may be *more* accurate than the
  original: x + 1e300 - 1e300);

and no step may make the graph larger unless a rewrite that fired says why.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite import PIPELINE
from minitheano.rewrite.engine import LOCAL_REWRITES, run_steps
from minitheano.rewrite.sympy_bridge import NotInSympy, from_sympy, same_function, to_sympy
from minitheano.scalar import math as smath
from minitheano.tensor.elemwise import Elemwise

AS_WRITTEN = theano.Mode("py", None)

# round_half_to_even is left out until main's RoundHalfToEven works on 0-d arrays
# (np.round is not a ufunc; the gradient helper's branch moves it to np.rint).
FLOAT_UNARY = ["neg", "abs_", "sgn", "sqr", "inv", "floor", "ceil", "exp",
               "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sin", "cos", "tan",
               "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "tensor_copy"]
NNET_UNARY = ["sigmoid", "softplus"]
FLOAT_BINARY = ["add", "sub", "mul", "true_div", "int_div", "mod", "pow", "maximum", "minimum",
                "second"]
INT_UNARY = ["neg", "abs_", "sgn", "sqr", "invert", "tensor_copy"]
INT_BINARY = ["add", "sub", "mul", "int_div", "mod", "maximum", "minimum", "second", "and_",
              "or_", "xor"]
COMPARE = ["eq", "neq", "lt", "le", "gt", "ge"]
# Functions whose argument must stay in a domain: applied to a squashed argument.
SQUASH = {"log": "pos", "log2": "pos", "log10": "pos", "log1p": "pos", "sqrt": "pos",
          "arcsin": "unit", "arccos": "unit", "inv": "pos", "true_div": "pos", "pow": "pos",
          "exp": "small", "exp2": "small", "expm1": "small", "sinh": "small", "cosh": "small",
          "tan": "unit", "int_div": "pos", "mod": "pos"}


def fn(name):
    if name in NNET_UNARY:
        return Elemwise(getattr(smath, name))
    return getattr(T, name)


def squash(v, kind, is_int):
    """v mapped into the domain an op needs (no poles, no overflow)."""
    if is_int:
        return v * v + 1 if kind == "pos" else v
    if kind == "pos":
        return T.abs_(v) + 0.5
    if kind == "unit":
        return T.tanh(v) * 0.9
    return T.tanh(v) * 3  # 'small': exp stays below e**3


@st.composite
def expressions(draw, depth, inputs, is_int):
    if depth == 0:
        if draw(st.integers(0, 4)) == 0:
            c = draw(st.integers(-3, 3)) if is_int else draw(st.sampled_from([0.0, 1.0, 2.0,
                                                                               -1.0, 0.5]))
            return T.constant(c, dtype=inputs[0].dtype)
        return draw(st.sampled_from(inputs))
    unary = INT_UNARY if is_int else FLOAT_UNARY + NNET_UNARY
    binary = INT_BINARY if is_int else FLOAT_BINARY
    kind = draw(st.sampled_from(["unary", "binary", "binary", "switch", "clip", "cast"]))
    a = draw(expressions(depth - 1, inputs, is_int))
    if kind == "unary":
        name = draw(st.sampled_from(unary))
        arg = squash(a, SQUASH[name], is_int) if name in SQUASH else a
        out = fn(name)(arg)
    elif kind == "binary":
        name = draw(st.sampled_from(binary))
        b = draw(expressions(draw(st.integers(0, depth - 1)), inputs, is_int))
        if name in SQUASH:
            if name == "pow":
                a = squash(a, "pos", is_int)
                b = T.tanh(b) * 2 if not is_int else b
            else:
                b = squash(b, SQUASH[name], is_int)
        out = fn(name)(a, b)
    elif kind == "switch":
        b = draw(expressions(draw(st.integers(0, depth - 1)), inputs, is_int))
        cond = fn(draw(st.sampled_from(COMPARE)))(a, b)
        if not is_int and draw(st.booleans()):
            cond = T.or_(cond, T.isnan(a) | T.isinf(b))
        out = T.switch(cond, a, b)
    elif kind == "clip":
        out = T.clip(a, -2, 2) if is_int else T.clip(a, -2.0, 2.0)
    else:
        other = "float64" if is_int else "int64"
        out = T.cast(T.cast(a, other), inputs[0].dtype)
    if out.dtype != inputs[0].dtype:
        out = T.cast(out, inputs[0].dtype)
    return out


@st.composite
def cases(draw):
    dtype = draw(st.sampled_from(["float64", "float64", "int64", "int32"]))
    inputs = [T.vector(n, dtype=dtype) for n in ("x", "y", "z")]
    expr = draw(expressions(draw(st.integers(4, 5)), inputs, dtype.startswith("int")))
    return inputs, expr


@contextmanager
def time_limit(seconds):
    def stop(signum, frame):
        raise TimeoutError
    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def evaluate(inputs, output, values):
    f = theano.function(inputs, output, mode=AS_WRITTEN, on_unused_input="ignore")
    with np.errstate(all="ignore"):
        return f(*values)


def exact(expr, symbols, values):
    """The sympy expression evaluated with 30 digits at each point."""
    results = []
    for point in zip(*values):
        try:
            subs = {s: sp.Float(float(v), 30) for s, v in zip(symbols, point)}
            with time_limit(0.2):
                val = complex(expr.evalf(30, subs=subs))
        except Exception:  # noqa: BLE001 - sympy cannot evaluate it: no exact value
            val = complex("nan")
        results.append(val.real if abs(val.imag) < 1e-12 else np.nan)
    return np.array(results)


def nodes(fg):
    return len(fg.apply_nodes)


def close(a, b, is_int):
    if is_int:
        return np.array_equal(a, b)
    return bool((~np.isfinite(a) | np.isclose(b, a, rtol=1e-7, atol=1e-9)).all())


def check_same(original_values, new_values, truth, is_int, where):
    if is_int:
        np.testing.assert_array_equal(new_values, original_values, err_msg=where)
        return
    ok = ~np.isfinite(original_values)  # a rewrite may repair an overflow or a NaN
    ok |= np.isclose(new_values, original_values, rtol=1e-7, atol=1e-9)
    if truth is not None:
        ok |= np.isclose(new_values, truth, rtol=1e-7, atol=1e-9)
    assert ok.all(), f"{where}: {new_values} != {original_values} (exact: {truth})"


# derandomize: the same 300 expressions every run (a failure is reproducible).
@settings(max_examples=300, suppress_health_check=list(HealthCheck), database=None,
          derandomize=True)
@given(cases(), st.randoms(use_true_random=False))
def test_every_phase_keeps_the_function(case, rnd):
    inputs, expr = case
    is_int = inputs[0].dtype.startswith("int")
    rng = np.random.default_rng(rnd.randint(0, 2**31))
    values = [rng.integers(-5, 6, 3).astype(inputs[0].dtype) if is_int
              else rng.uniform(-1.5, 1.5, 3) for _ in inputs]
    reference = evaluate(inputs, expr, values)
    fg = FunctionGraph(inputs, [expr])
    try:
        original = to_sympy(fg.outputs)[0]
        symbols = [sp.Symbol(v.name, real=True) for v in fg.inputs]
    except NotInSympy:
        original = None
    size = nodes(fg)
    for step in PIPELINE:
        record = run_steps(fg, [step], set())
        where = f"after {step.name} ({dict(record.counts)}) of {expr}"
        if nodes(fg) > size:
            reasons = [LOCAL_REWRITES[n].grows for n in record.counts if n in LOCAL_REWRITES]
            assert any(reasons), f"{where}: {size} nodes became {nodes(fg)}"
        size = nodes(fg)
        got = evaluate(fg.inputs, fg.outputs[0], values)
        if not close(reference, got, is_int) and original is not None:
            # Maybe the rewrite is more accurate than the original: ask mpmath.
            check_same(reference, got, exact(original, symbols, values), is_int, where)
        else:
            check_same(reference, got, None, is_int, where)
        if original is not None and record.counts and len(str(original)) < 60:
            rewritten = to_sympy(fg.outputs, dict(zip(fg.inputs, symbols)))[0]
            try:
                with time_limit(0.03):
                    verdict = same_function(original, rewritten)
            except TimeoutError:
                verdict = None
            assert verdict is not False, f"{where}: sympy says {original} != {rewritten}"


def test_round_trip_through_sympy():
    x, y = T.dvectors("x", "y")
    expr = T.exp(x) * T.sin(y) + T.log(x + 2) / (y * y + 1)
    e = to_sympy([expr])[0]
    sx, sy = sp.symbols("x y", real=True)
    assert same_function(e, sp.exp(sx) * sp.sin(sy) + sp.log(sx + 2) / (sy ** 2 + 1))
    back = from_sympy(e, {sx: x, sy: y})
    f = theano.function([x, y], [expr, back], mode=AS_WRITTEN)
    a, b = np.array([0.3, 1.2]), np.array([-0.4, 2.0])
    r1, r2 = f(a, b)
    np.testing.assert_allclose(r1, r2, rtol=1e-14)


def test_a_reader_checks_their_own_rewrite():
    """The tool the chapter offers: is my rewrite right?  sympy says no to a wrong one."""
    x = T.dvector("x")
    sx = sp.Symbol("x", real=True)
    before = to_sympy([T.log(1 + T.exp(x))], {x: sx})[0]
    assert same_function(before, to_sympy([Elemwise(smath.softplus)(x)], {x: sx})[0])
    assert same_function(before, to_sympy([T.log(T.exp(x))], {x: sx})[0]) is not True
    assert same_function(sp.Integer(1), sp.Integer(2)) is False
