"""Gradients of the reductions and scans over an axis, against finite differences,
plus the special cases: zeros in prod, ties in max, argmax and friends."""

import numpy as np
import pytest
from gradcheck import check, point, random_shape, rng_for

import minitheano as theano
from minitheano import tensor as T
from minitheano.tensor import extra_ops

AXES = [None, 0, 1, -1, (0, 2)]


def distinct(rng, shape):
    """Values far from each other (no ties within 0.05), in random order."""
    n = int(np.prod(shape))
    return rng.permutation(np.linspace(-2, 2, n) + rng.uniform(0, 0.01, n)).reshape(shape)


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "var", "std"])
def test_reduction(name, axis, keepdims):
    rng = rng_for(f"{name}{axis}{keepdims}")
    shape = random_shape(rng, 3, 2, 4)
    x = distinct(rng, shape) if name in ("max", "min") else point(rng, shape, 0.5, 2.0)
    reduce = getattr(T, name)
    check(lambda v: reduce(v, axis=axis, keepdims=keepdims) ** 2, x, rng=rng)


def test_reductions_of_broadcastable_inputs():
    rng = rng_for("bcast")
    check(lambda v: T.sum(v, axis=0) * T.mean(v), point(rng, (1, 4)), rng=rng)
    check(lambda v: T.max(v, axis=1) ** 2, point(rng, (3, 1)), rng=rng)


def test_prod_with_zeros():
    x = T.dmatrix("x")
    g = T.grad(T.sum(T.prod(x, axis=1)), x)
    xv = np.array([[2.0, 3.0, 4.0],     # no zero: the product of the others
                   [0.0, 3.0, 4.0],     # one zero: only the zero has a gradient
                   [0.0, 3.0, 0.0]])    # two zeros: nothing moves the product
    expected = [[12.0, 8.0, 6.0], [12.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    np.testing.assert_allclose(theano.function([x], g)(xv), expected)
    check(lambda v: T.prod(v, axis=0), np.array([[0.0, 1.5], [2.0, -1.0], [0.5, 0.7]]))


def test_max_ties_give_every_tied_element_the_gradient():
    x = T.dvector("x")
    g = T.grad(T.max(x), x)
    np.testing.assert_array_equal(theano.function([x], g)([1.0, 3.0, 3.0, 2.0]), [0, 1, 1, 0])


@pytest.mark.parametrize("fun", [T.argmax, T.argmin, T.all, T.any])
def test_index_and_logic_reductions_have_zero_gradient(fun):
    x = T.dvector("x")
    cost = T.sum(T.cast(fun(x), "float64") * x)
    g = T.grad(cost, x)
    xv = np.array([0.5, 2.0, -1.0])
    np.testing.assert_allclose(theano.function([x], g)(xv),
                               np.full(3, float(theano.function([x], fun(x))(xv))))


def test_using_argmax_as_an_index():
    x = T.dvector("x")
    g = T.grad(x[T.argmax(x)] * 3, x)
    np.testing.assert_array_equal(theano.function([x], g)([0.5, 2.0, -1.0]), [0, 3, 0])


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_cumsum_cumprod(axis):
    rng = rng_for(f"cum{axis}")
    x = point(rng, (3, 4), 0.5, 1.5)
    check(lambda v: extra_ops.cumsum(v, axis=axis) ** 2, x, rng=rng)
    check(lambda v: extra_ops.cumprod(v, axis=axis), x, rng=rng)


def test_repeat_diff_squeeze():
    rng = rng_for("repeat")
    x = point(rng, (3, 4))
    check(lambda v: extra_ops.repeat(v, 2, axis=1) ** 2, x, rng=rng)
    check(lambda v: extra_ops.repeat(v, np.array([1, 0, 3]), axis=0) ** 2, x, rng=rng)
    check(lambda v: extra_ops.repeat(v, 2) ** 2, x, rng=rng)
    check(lambda v: extra_ops.diff(v, n=2, axis=1) ** 2, x, rng=rng)
    check(lambda v: extra_ops.squeeze(v) ** 2, point(rng, (3, 1, 4)), rng=rng)
