"""Every example of Theano's tutorial page "Derivatives in Theano"
(doc/tutorial/gradients.txt), with the values the page prints.

The page computes the Jacobian and the Hessian with `scan`; until chapter 7
these use `T.jacobian` / `T.hessian`, which loop over the rows the same way.
"""

import ast

import numpy
import pytest

import minitheano as theano
from minitheano import function
from minitheano import tensor as T


def test_gradient_of_x_squared():
    x = T.dscalar('x')
    y = x**2
    gy = T.grad(y, x)
    f = function([x], gy)
    assert f(4) == numpy.array(8.0)
    numpy.testing.assert_allclose(f(94.2), 188.40000000000001)


@pytest.mark.skipif(not hasattr(theano, "pp"), reason="theano.pp comes with printing")
def test_pp_of_the_gradient_before_optimization():
    x = T.dscalar('x')
    y = x**2
    gy = T.grad(y, x)
    text = theano.pp(gy)
    assert text == "fill(x ** 2, 1) * 2 * x ** (2 - 1)"
    # The page prints '((fill((x ** 2), 1.0) * 2) * (x ** (2 - 1)))': Theano brackets
    # every operation, pp only where Python needs them.  Python reads both alike.
    page = "((fill((x ** 2), 1.0) * 2) * (x ** (2 - 1)))".replace("1.0", "1")
    assert ast.dump(ast.parse(text)) == ast.dump(ast.parse(page))


def test_gradient_of_the_logistic():
    x = T.dmatrix('x')
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = T.grad(s, x)
    dlogistic = function([x], gs)
    numpy.testing.assert_allclose(dlogistic([[0, 1], [-1, -2]]),
                                  [[0.25, 0.19661193], [0.19661193, 0.10499359]], rtol=1e-7)


def test_jacobian():
    x = T.dvector('x')
    y = x**2
    J = T.jacobian(y, x)  # the page: theano.scan(lambda i, y, x: T.grad(y[i], x), ...)
    f = function([x], J)
    numpy.testing.assert_array_equal(f([4, 4]), [[8., 0.], [0., 8.]])


def test_hessian():
    x = T.dvector('x')
    y = x**2
    cost = y.sum()
    gy = T.grad(cost, x)
    H = T.jacobian(gy, x)  # the page: theano.scan(lambda i, gy, x: T.grad(gy[i], x), ...)
    f = function([x], H)
    numpy.testing.assert_array_equal(f([4, 4]), [[2., 0.], [0., 2.]])
    f = function([x], T.hessian(cost, x))
    numpy.testing.assert_array_equal(f([4, 4]), [[2., 0.], [0., 2.]])


def test_r_operator():
    W = T.dmatrix('W')
    V = T.dmatrix('V')
    x = T.dvector('x')
    y = T.dot(x, W)
    JV = T.Rop(y, W, V)
    f = theano.function([W, V, x], JV)
    numpy.testing.assert_array_equal(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2., 2.])


def test_l_operator():
    W = T.dmatrix('W')
    v = T.dvector('v')
    x = T.dvector('x')
    y = T.dot(x, W)
    VJ = T.Lop(y, W, v)
    # The page compiles `JV` here, a typo for VJ.  And v . dy/dW = outer(x, v) does
    # not need W: Theano's function refuses an unused input too, hence the flag.
    f = theano.function([W, v, x], VJ, on_unused_input='ignore')
    numpy.testing.assert_array_equal(f([[1, 1], [1, 1]], [2, 2], [0, 1]), [[0., 0.], [2., 2.]])


def test_hessian_times_a_vector():
    x = T.dvector('x')
    v = T.dvector('v')
    y = T.sum(x**2)
    gy = T.grad(y, x)
    vH = T.grad(T.sum(gy * v), x)
    f = theano.function([x, v], vH)
    numpy.testing.assert_array_equal(f([4, 4], [2, 2]), [4., 4.])


def test_hessian_times_a_vector_with_the_r_operator():
    x = T.dvector('x')
    v = T.dvector('v')
    y = T.sum(x**2)
    gy = T.grad(y, x)
    Hv = T.Rop(gy, x, v)
    f = theano.function([x, v], Hv)
    numpy.testing.assert_array_equal(f([4, 4], [2, 2]), [4., 4.])
