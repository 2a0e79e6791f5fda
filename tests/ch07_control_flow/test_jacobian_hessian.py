"""Jacobians and Hessians as scans, and second derivatives through a scan (chapter 7)."""

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan import hessian, jacobian

rng = np.random.default_rng(31)


def test_tutorial_jacobian_of_tanh():
    # Theano's loop page: iterate over the indices of y, not over y.
    v, A = T.vector(), T.matrix()
    y = T.tanh(T.dot(v, A))
    results, _ = theano.scan(lambda i: T.grad(y[i], v), sequences=[T.arange(y.shape[0])])
    compute_jac_t = theano.function([A, v], results, allow_input_downcast=True)
    x = np.eye(5, dtype=theano.config.floatX)[0]
    w = np.eye(5, 3, dtype=theano.config.floatX)
    w[2] = np.ones(3, dtype=theano.config.floatX)
    np.testing.assert_allclose(compute_jac_t(w, x), ((1 - np.tanh(x.dot(w)) ** 2) * w).T,
                               rtol=1e-12)


def test_jacobian_as_a_scan_matches_the_closed_form():
    v, A = T.dvector("v"), T.dmatrix("A")
    J = jacobian(T.tanh(T.dot(v, A)), v)
    f = theano.function([A, v], J)
    x, w = rng.normal(size=4), rng.normal(size=(4, 3))
    np.testing.assert_allclose(f(w, x), ((1 - np.tanh(x @ w) ** 2) * w).T, rtol=1e-12)


def test_jacobian_of_a_matrix_expression_wrt_several():
    x, W = T.dvector("x"), T.dmatrix("W")
    Jx, JW = jacobian(T.outer(x, x) * 2 + W, [x, W])
    f = theano.function([x, W], [Jx, JW])
    xv, wv = rng.normal(size=2), rng.normal(size=(2, 2))
    jx, jw = f(xv, wv)
    assert jx.shape == (4, 2) and jw.shape == (4, 2, 2)
    expected = np.zeros((2, 2, 2))  # d(2 x_i x_j)/dx_k
    for i in range(2):
        for j in range(2):
            expected[i, j, i] += 2 * xv[j]
            expected[i, j, j] += 2 * xv[i]
    np.testing.assert_allclose(jx, expected.reshape(4, 2))
    np.testing.assert_array_equal(jw, np.eye(4).reshape(4, 2, 2))


def test_hessian_as_a_scan_matches_the_gradient_package():
    x = T.dvector("x")
    cost = (T.exp(x) * x[::-1]).sum() + (x ** 3).prod()
    f = theano.function([x], [hessian(cost, x), theano.gradient.hessian(cost, x)])
    mine, theirs = f(rng.normal(size=3))
    np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_second_derivatives_through_a_scan():
    x, w = T.dvector("x"), T.dvector("w")
    h, _ = theano.scan(lambda xt, hp: T.tanh(hp * w + xt),
                       sequences=T.stack([x, x * 0.5, x * 2]), outputs_info=T.zeros_like(w))
    f = theano.function([x, w], hessian((h ** 2).sum(), w))
    xv, wv = np.array([0.3, -0.2]), np.array([0.5, 0.8])

    def cost(wv):
        hp, total = np.zeros(2), 0.0
        for xt in [xv, xv * 0.5, xv * 2]:
            hp = np.tanh(hp * wv + xt)
            total += (hp ** 2).sum()
        return total

    eps, numeric = 1e-4, np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            di, dj = np.eye(2)[i] * eps, np.eye(2)[j] * eps
            numeric[i, j] = (cost(wv + di + dj) - cost(wv + di - dj) - cost(wv - di + dj)
                             + cost(wv - di - dj)) / (4 * eps * eps)
    np.testing.assert_allclose(f(xv, wv), numeric, atol=1e-6)
