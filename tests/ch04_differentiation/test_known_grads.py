"""`known_grads` as Theano documents it: a known gradient starts backpropagation
at its variable, and is ADDED to whatever flows back to that variable from the
cost and from the other known gradients (chapter 4).  Scan's backward step
relies on it (chapter 7): it seeds every output of the loop's body."""

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.gradient import Lop


def numeric(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def test_a_seed_adds_to_what_its_users_send():
    # c is seeded with 0 and tanh(c) with 1: c's gradient is 0 + tanh's term.
    x = T.dscalar("x")
    c = 2 * x
    g = T.grad(None, x, known_grads={T.tanh(c): T.constant(1.0), c: T.constant(0.0)})
    got = theano.function([x], g)(0.3)
    np.testing.assert_allclose(got, 2 * (1 - np.tanh(0.6) ** 2))
    np.testing.assert_allclose(got, numeric(lambda v: np.tanh(2 * v), np.array(0.3)))


def test_seeds_on_a_chain_of_variables_all_count():
    x = T.dvector("x")
    a = T.sin(x)
    b = a * 3
    ga, gb = T.dvector("ga"), T.dvector("gb")
    g = T.grad(None, x, known_grads={a: ga, b: gb})
    xv, gav, gbv = np.array([0.2, -1.1]), np.array([1.5, -0.5]), np.array([0.25, 2.0])
    got = theano.function([x, ga, gb], g)(xv, gav, gbv)
    cost = lambda v: (np.sin(v) * gav + 3 * np.sin(v) * gbv).sum()  # noqa: E731
    np.testing.assert_allclose(got, numeric(cost, xv), rtol=1e-7)


def test_a_seed_adds_to_the_cost_gradient():
    x = T.dvector("x")
    h = T.tanh(x)
    cost = (h ** 2).sum()
    gh = T.dvector("gh")
    g = T.grad(cost, x, known_grads={h: gh})
    xv, ghv = np.array([0.4, -0.3]), np.array([1.0, -2.0])
    got = theano.function([x, gh], g)(xv, ghv)
    total = lambda v: (np.tanh(v) ** 2 + np.tanh(v) * ghv).sum()  # noqa: E731
    np.testing.assert_allclose(got, numeric(total, xv), rtol=1e-7)


def test_a_known_gradient_of_the_cost_replaces_its_one():
    x = T.dscalar("x")
    cost = x ** 2
    g = T.grad(cost, x, known_grads={cost: T.constant(3.0)})
    np.testing.assert_allclose(theano.function([x], g)(0.5), 3.0 * 2 * 0.5)


def test_lop_of_outputs_that_use_each_other_and_repeat():
    # f = [c, tanh(c), c]: v1.J_c + v2.J_tanh(c) + v3.J_c, every path counted.
    x = T.dvector("x")
    c = 2 * x
    v1, v2, v3 = np.array([1.0, 2.0]), np.array([-0.5, 0.25]), np.array([0.1, 0.3])
    g = Lop([c, T.tanh(c), c], x, [T.constant(v1), T.constant(v2), T.constant(v3)])
    xv = np.array([0.3, -0.6])
    got = theano.function([x], g)(xv)
    total = lambda v: (2 * v * (v1 + v3) + np.tanh(2 * v) * v2).sum()  # noqa: E731
    np.testing.assert_allclose(got, numeric(total, xv), rtol=1e-7)
