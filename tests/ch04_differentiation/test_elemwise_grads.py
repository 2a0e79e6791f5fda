"""Gradients of the elementwise ops, against finite differences, with broadcasting;
and their special points (ties, kinks, zeros) against what Theano defines."""

import numpy as np
import pytest
from gradcheck import check, point, random_shape, rng_for

import minitheano as theano
from minitheano import tensor as T

# op -> (function, domain of its inputs) ; domains keep away from singularities.
UNARY = {
    "neg": (lambda x: -x, (-2, 2)),
    "abs_": (T.abs_, (0.2, 2)),
    "sqr": (T.sqr, (-2, 2)),
    "inv": (T.inv, (0.5, 2)),
    "sqrt": (T.sqrt, (0.2, 2)),
    "exp": (T.exp, (-2, 2)),
    "exp2": (T.exp2, (-2, 2)),
    "expm1": (T.expm1, (-2, 2)),
    "log": (T.log, (0.2, 2)),
    "log2": (T.log2, (0.2, 2)),
    "log10": (T.log10, (0.2, 2)),
    "log1p": (T.log1p, (-0.5, 2)),
    "sin": (T.sin, (-3, 3)),
    "cos": (T.cos, (-3, 3)),
    "tan": (T.tan, (-1.2, 1.2)),
    "arcsin": (T.arcsin, (-0.8, 0.8)),
    "arccos": (T.arccos, (-0.8, 0.8)),
    "arctan": (T.arctan, (-2, 2)),
    "sinh": (T.sinh, (-2, 2)),
    "cosh": (T.cosh, (-2, 2)),
    "tanh": (T.tanh, (-2, 2)),
    "tensor_copy": (T.tensor_copy, (-2, 2)),
    "cast_float32_float64": (lambda x: T.cast(x, "float64") * 1.0, (-2, 2)),
    "sigmoid": (lambda x: T.Elemwise(theano.scalar.math.sigmoid)(x), (-4, 4)),
    "softplus": (lambda x: T.Elemwise(theano.scalar.math.softplus)(x), (-4, 4)),
}

BINARY = {
    "add": (lambda a, b: a + b, (-2, 2), (-2, 2)),
    "sub": (lambda a, b: a - b, (-2, 2), (-2, 2)),
    "mul": (lambda a, b: a * b, (-2, 2), (-2, 2)),
    "true_div": (lambda a, b: a / b, (-2, 2), (0.5, 2)),
    "pow": (lambda a, b: a ** b, (0.3, 2), (-2, 2)),
    "mod": (lambda a, b: a % b, (0.1, 0.9), (1.1, 2)),
    "maximum": (T.maximum, (-2, 2), (-2, 2)),
    "minimum": (T.minimum, (-2, 2), (-2, 2)),
    "fill": (lambda a, b: T.fill(a, b) * a, (-2, 2), (-2, 2)),
}

# Shapes of the two inputs for each broadcasting pattern, from a shape (m, n).
PATTERNS = {
    "same": lambda m, n: ((m, n), (m, n)),
    "row": lambda m, n: ((m, n), (1, n)),
    "col_row": lambda m, n: ((m, 1), (1, n)),
    "scalar": lambda m, n: ((m, n), ()),
    "vector": lambda m, n: ((n,), (m, n)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("ndim", [0, 1, 2, 3])
def test_unary_op_gradient(name, ndim):
    rng = rng_for(f"{name}{ndim}")
    fun, (lo, hi) = UNARY[name]
    check(fun, point(rng, random_shape(rng, ndim), lo, hi), rng=rng)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_gradient_float32(name):
    rng = rng_for(name + "32")
    fun, (lo, hi) = UNARY[name]
    check(fun, point(rng, random_shape(rng, 2), lo, hi, "float32"), rng=rng)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_binary_op_gradient_with_broadcasting(name, pattern):
    rng = rng_for(name + pattern)
    fun, (alo, ahi), (blo, bhi) = BINARY[name]
    m, n = random_shape(rng, 2)
    sa, sb = PATTERNS[pattern](m, n)
    check(fun, point(rng, sa, alo, ahi), point(rng, sb, blo, bhi), rng=rng)


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_ternary_ops_gradient_with_broadcasting(pattern):
    rng = rng_for("clip" + pattern)
    m, n = random_shape(rng, 2)
    sa, sb = PATTERNS[pattern](m, n)
    x = point(rng, sa, -2, 2)
    # Bounds away from x, so no point sits on a kink.
    lo, hi = point(rng, sb, -1.0, -0.5), point(rng, sb, 0.5, 1.0)
    x[np.abs(x - 0.75) < 0.3] += 0.6
    x[np.abs(x + 0.75) < 0.3] -= 0.6
    check(T.clip, x, lo, hi, rng=rng)
    cond = T.constant(rng.random(np.broadcast_shapes(sa, sb)) > 0.5)
    check(lambda a, b: T.switch(cond, a, b), point(rng, sa), point(rng, sb), rng=rng)


def test_add_and_mul_of_many_terms():
    rng = rng_for("many")
    vals = [point(rng, (3, 4)), point(rng, (1, 4)), point(rng, (3, 1)), point(rng, ())]
    check(lambda a, b, c, d: T.add(a, b, c, d) * T.mul(a, b, c, d), *vals, rng=rng)


def grad_values(cost_of, *values):
    """The gradient of cost_of(*vars) at `values`, computed by the library."""
    xs = [T.tensor("float64", [False] * np.ndim(v)) for v in values]
    gs = T.grad(cost_of(*xs), xs)
    return theano.function(xs, gs)(*values)


def test_maximum_and_minimum_at_ties_give_both_inputs_the_gradient():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 5.0, 0.0])
    ga, gb = grad_values(lambda x, y: T.sum(T.maximum(x, y)), a, b)
    np.testing.assert_array_equal(ga, [1, 0, 1])
    np.testing.assert_array_equal(gb, [1, 1, 0])
    ga, gb = grad_values(lambda x, y: T.sum(T.minimum(x, y)), a, b)
    np.testing.assert_array_equal(ga, [1, 1, 0])
    np.testing.assert_array_equal(gb, [1, 0, 1])


def test_abs_gradient_is_zero_at_zero():
    (g,) = grad_values(lambda x: T.sum(abs(x)), np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g, [-1, 0, 1])


def test_pow_gradients_at_zero():
    # d(x**y)/dy = x**y log(x) -> 0 at x = 0; d(x**y)/dx = y x**(y-1).
    gx, gy = grad_values(lambda x, y: T.sum(x ** y), np.array([0.0, 0.0, 2.0]),
                         np.array([2.0, 1.0, 3.0]))
    np.testing.assert_allclose(gx, [0.0, 1.0, 12.0])
    np.testing.assert_allclose(gy, [0.0, 0.0, 8 * np.log(2)])


def test_switch_sends_the_gradient_to_the_chosen_branch_only():
    c = T.bvector("c")
    a, b = T.dvectors("a", "b")
    ga, gb = T.grad(T.sum(T.switch(c, a * 2, b * 3)), [a, b])
    f = theano.function([c, a, b], [ga, gb])
    ra, rb = f(np.array([1, 0, 1], dtype="int8"), np.zeros(3), np.zeros(3))
    np.testing.assert_array_equal(ra, [2, 0, 2])
    np.testing.assert_array_equal(rb, [0, 3, 0])


def test_clip_gradient_inside_outside_and_on_the_bounds():
    # Theano's rule: x gets the gradient where lo <= x <= hi, each bound where it is active.
    gx, glo, ghi = grad_values(lambda x, lo, hi: T.sum(T.clip(x, lo, hi)),
                               np.array([-2.0, 0.0, 2.0, -1.0, 1.0]),
                               np.full(5, -1.0), np.full(5, 1.0))
    np.testing.assert_array_equal(gx, [0, 1, 0, 1, 1])
    np.testing.assert_array_equal(glo, [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(ghi, [0, 0, 1, 0, 0])


@pytest.mark.parametrize("fun", [T.floor, T.ceil, T.round, T.sgn,
                                 lambda x: T.cast(x > 0, "float64"),
                                 lambda x: T.cast(T.eq(x, 1.0), "float64"),
                                 lambda x: x // 2.0])
def test_piecewise_constant_ops_have_zero_gradient(fun):
    x = T.dvector("x")
    g = T.grad(T.sum(fun(x) * x), x)
    value = np.array([0.3, 1.7, -2.2])
    np.testing.assert_allclose(theano.function([x], g)(value),
                               theano.function([x], fun(x))(value))


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "bool"])
def test_integer_inputs_have_zero_float_gradients(dtype):
    i = T.vector("i", dtype=dtype)
    x = T.dvector("x")
    cost = T.sum(T.exp(x) * i + i ** 2)
    gi, gx = T.grad(cost, [i, x])
    assert gi.dtype.startswith("float")
    f = theano.function([i, x], [gi, gx])
    iv = np.array([1, 0, 1], dtype=dtype)
    xv = np.array([0.5, -1.0, 2.0])
    ri, rx = f(iv, xv)
    np.testing.assert_array_equal(ri, np.zeros(3))
    np.testing.assert_allclose(rx, np.exp(xv) * iv)


def test_float32_gradients_stay_float32():
    x = T.fmatrix("x")
    g = T.grad(T.sum(T.tanh(x) * 0.5 + x ** 2), x)
    assert g.dtype == "float32"
    v = np.random.default_rng(1).random((2, 3)).astype("float32")
    out = theano.function([x], g)(v)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 0.5 * (1 - np.tanh(v) ** 2) + 2 * v, rtol=1e-5)
