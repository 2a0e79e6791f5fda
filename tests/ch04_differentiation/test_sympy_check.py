"""grad agrees with sympy.diff on random elementwise expressions (hypothesis).

Each example is a random expression tree of three variables.  It is built as a
minitheano graph, converted to sympy, differentiated by sympy, and the two
derivatives are compared at random points.  Every operation is kept defined on
the whole real line (log(a**2 + 1), a / (b**2 + 1)) so any point will do.
"""

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T
from minitheano.rewrite.sympy_bridge import to_sympy

UNARY = {
    "neg": lambda a: -a, "exp": lambda a: T.exp(T.sin(a)), "sin": T.sin, "cos": T.cos,
    "tanh": T.tanh, "sqr": T.sqr, "arctan": T.arctan, "sigmoid": T.nnet.sigmoid,
    "softplus": T.nnet.softplus,
    "log": lambda a: T.log(T.sqr(a) + 1), "sqrt": lambda a: T.sqrt(T.sqr(a) + 1),
    "log1p": lambda a: T.log1p(T.sqr(a)), "expm1": lambda a: T.expm1(T.cos(a)),
    "cube": lambda a: a ** 3, "inv": lambda a: T.inv(T.sqr(a) + 2), "sinh": T.sinh,
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (T.sqr(b) + 1), "pow": lambda a, b: (T.sqr(a) + 1) ** T.sin(b),
    "add3": lambda a, b: T.add(a, b, a * b), "mul3": lambda a, b: T.mul(a, b, 0.5),
}


def trees():
    leaves = st.sampled_from(["x", "y", "z", 0.5, 2.0])
    return st.recursive(
        leaves,
        lambda sub: st.one_of(st.tuples(st.sampled_from(sorted(UNARY)), sub),
                              st.tuples(st.sampled_from(sorted(BINARY)), sub, sub)),
        max_leaves=8)


def build(tree, env):
    if isinstance(tree, str):
        return env[tree]
    if isinstance(tree, float):
        return tree
    name, *args = tree
    fn = UNARY.get(name) or BINARY[name]
    return fn(*(build(a, env) for a in args))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(), seed=st.integers(0, 2**16))
def test_grad_equals_sympy_diff(tree, seed):
    x, y, z = T.dvectors("x", "y", "z")
    expr = T.as_tensor_variable(build(tree, {"x": x, "y": y, "z": z})) + 0 * (x + y + z)
    grads = T.grad(T.sum(expr), [x, y, z])
    # No rewrites: what is checked is the graph grad builds.
    f = theano.function([x, y, z], grads, mode=theano.Mode(linker="py", optimizer=None))
    symbols = sp.symbols("x y z", real=True)
    (sym,) = to_sympy([expr], dict(zip((x, y, z), symbols)))
    derivatives = sp.lambdify(symbols, [sp.diff(sym, s) for s in symbols], "numpy")
    points = np.random.default_rng(seed).uniform(-1.5, 1.5, size=(3, 4))
    for s, ours, expected in zip(symbols, f(*points), derivatives(*points)):
        expected = np.broadcast_to(np.asarray(expected, dtype=float), (4,))
        np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-9,
                                   err_msg=f"d/d{s} of {sym}")
