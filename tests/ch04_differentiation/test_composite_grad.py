"""The gradient of a Composite (a fused scalar graph) is the reverse mode of its
inner graph: checked against finite differences and against the unfused graph."""

import numpy as np
from gradcheck import check, point, rng_for

import minitheano as theano
from minitheano import tensor as T
from minitheano.scalar import math as sm
from minitheano.scalar.basic import ScalarType
from minitheano.scalar.composite import Composite
from minitheano.tensor.elemwise import Elemwise


def scalars(*dtypes):
    return [ScalarType(d)() for d in dtypes]


def test_composite_gradient_matches_finite_differences_with_broadcasting():
    a, b, c = scalars("float64", "float64", "float64")
    op = Elemwise(Composite([a, b, c], [sm.exp(a) * sm.sin(b) + c / (a * a + 1)]))
    rng = rng_for("composite")
    check(op, point(rng, (3, 4)), point(rng, (1, 4)), point(rng, (3, 1)), rng=rng)


def test_an_output_that_feeds_another_gets_both_gradients():
    a, b = scalars("float64", "float64")
    e = sm.exp(a) * b
    op = Elemwise(Composite([a, b], [e + a * a, e]))
    rng = rng_for("two outputs")

    def fun(x, y):
        first, second = op(x, y)
        return first * 3 + second ** 2

    check(fun, point(rng, (5,)), point(rng, (5,)), rng=rng)


def test_the_same_gradient_as_the_unfused_graph():
    a, b = scalars("float64", "float64")
    op = Elemwise(Composite([a, b], [sm.tanh(a * b) + sm.sqr(a)]))
    x, y = T.dvectors("x", "y")
    fused = T.grad(T.sum(op(x, y)), [x, y])
    plain = T.grad(T.sum(T.tanh(x * y) + T.sqr(x)), [x, y])
    f = theano.function([x, y], fused + plain)
    xv, yv = np.array([0.3, -1.0, 2.0]), np.array([1.5, 0.2, -0.4])
    gx, gy, px, py = f(xv, yv)
    np.testing.assert_allclose(gx, px)
    np.testing.assert_allclose(gy, py)


def test_integer_inputs_of_a_composite_have_zero_gradient():
    a, k = scalars("float64", "int64")
    op = Elemwise(Composite([a, k], [a * k + sm.sqr(a)]))
    x, n = T.dvector("x"), T.lvector("n")
    gx, gn = T.grad(T.sum(op(x, n)), [x, n])
    f = theano.function([x, n], [gx, gn])
    rx, rn = f(np.array([1.0, 2.0]), np.array([3, 4]))
    np.testing.assert_allclose(rx, [3 + 2, 4 + 4])
    np.testing.assert_array_equal(rn, [0, 0])
    assert gn.dtype == "float64"


def test_a_composite_gradient_can_itself_be_differentiated():
    a, = scalars("float64")
    op = Elemwise(Composite([a], [sm.sin(a) * a]))
    x = T.dvector("x")
    g = T.grad(T.sum(op(x)), x)
    h = T.grad(T.sum(g), x)
    xv = np.array([0.1, 1.0, -2.0])
    np.testing.assert_allclose(theano.function([x], h)(xv), 2 * np.cos(xv) - xv * np.sin(xv))
