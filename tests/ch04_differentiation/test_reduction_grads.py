"""Gradients of the reductions and scans over an axis, against finite differences,
plus the special cases: zeros in prod, ties in max, argmax and friends."""

import numpy as np
import pytest
from gradcheck import check, op_grad, point, random_shape, rng_for

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


# -- each op's own gradient graph (its L_op) against an independent numpy derivation --

def product_of_others(row):
    return np.array([np.prod(np.delete(row, i)) for i in range(len(row))])


@pytest.mark.parametrize("row", [
    [2.0, 3.0, 5.0, 7.0],        # no zero: prod / x
    [2.0, 0.0, 5.0, 7.0],        # one zero: only it gets a gradient
    [0.0, 3.0, 0.0, 7.0],        # two zeros: nothing changes the product
    [0.0, 0.0, 0.0, 0.0]])
def test_prod_grad_with_zeros(row):
    x = T.dmatrix("x")
    value = np.array([row, [1.5, -2.0, 0.5, 3.0]])
    gz = np.array([2.0, -1.0])
    got = op_grad(T.prod(x, axis=1), x, value, gz)
    expected = np.stack([g * product_of_others(r) for g, r in zip(gz, value)])
    np.testing.assert_allclose(got, expected)


def test_prod_grad_over_several_axes_with_a_zero():
    x = T.dtensor3("x")
    value = rng_for("prod over (0, 2)").uniform(-2, 2, (2, 3, 2))
    value[1, 2, 0] = 0.0
    gz = np.array([1.0, 3.0, -2.0])
    got = op_grad(T.prod(x, axis=(0, 2)), x, value, gz)
    for j in range(3):
        group = value[:, j, :].reshape(-1)
        np.testing.assert_allclose(got[:, j, :].reshape(-1), gz[j] * product_of_others(group))


def test_max_grad_goes_to_every_maximum():
    x = T.dmatrix("x")
    value = np.array([[1.0, 5.0, 5.0], [4.0, 0.0, 2.0]])
    got = op_grad(T.max(x, axis=1), x, value, np.array([2.0, 3.0]))
    np.testing.assert_array_equal(got, [[0, 2, 2], [3, 0, 0]])
    got = op_grad(T.min(x, axis=0), x, value, np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(got, [[1, 0, 0], [0, 1, 1]])


def test_argmax_all_any_grads_are_zero():
    x = T.dmatrix("x")
    value = rng_for("argmax all any").uniform(-2, 2, (2, 3))
    for out in (T.argmax(x, axis=1), T.all(x, axis=1), T.any(x, axis=1)):
        got = op_grad(out, x, value, np.ones(2))
        np.testing.assert_array_equal(got, np.zeros((2, 3)))


def test_sum_grad_of_empty_axes_is_identity():
    x = T.dvector("x")
    value = np.array([1.0, 2.0])
    got = op_grad(T.sum(x, axis=[]), x, value, np.array([3.0, 4.0]))
    np.testing.assert_array_equal(got, [3.0, 4.0])


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


def lower_triangular_jacobian(entry, v):
    """J[j, i] = d out[j] / d v[i] of a cumulative op along a 1-d fiber, from the
    hand-derived rule entry(v, i, j) for i <= j (later inputs do not reach out[j])."""
    n = len(v)
    jac = np.zeros((n, n))
    for j in range(n):
        for i in range(j + 1):
            jac[j, i] = entry(v, i, j)
    return jac


def cumprod_entry(v, i, j):
    return np.prod(np.delete(v[:j + 1], i))


def test_cumsum_and_cumprod_op_grads_match_their_jacobians():
    rng = rng_for("cum L_op")
    x = T.dmatrix("x")
    xv, gv = rng.uniform(0.5, 2, (3, 4)), rng.normal(size=(3, 4))
    got_sum = op_grad(T.cumsum(x, axis=1), x, xv, gv)
    got_prod = op_grad(T.cumprod(x, axis=1), x, xv, gv)
    for r in range(3):
        jac_sum = lower_triangular_jacobian(lambda v, i, j: 1.0, xv[r])
        np.testing.assert_allclose(got_sum[r], gv[r] @ jac_sum)
        np.testing.assert_allclose(got_prod[r], gv[r] @ lower_triangular_jacobian(cumprod_entry,
                                                                                 xv[r]))


def test_cumulative_op_grads_with_axis_none():
    rng = rng_for("cum L_op axis None")
    v = T.dvector("v")
    xv, gv = rng.normal(size=5), rng.normal(size=5)
    np.testing.assert_allclose(op_grad(T.cumsum(v), v, xv, gv), np.cumsum(gv[::-1])[::-1])
    x = T.dmatrix("x")
    xv, gv = rng.uniform(0.5, 2, (2, 3)), rng.normal(size=6)
    got = op_grad(T.cumsum(x), x, xv, gv)
    np.testing.assert_allclose(got, np.cumsum(gv[::-1])[::-1].reshape(2, 3))
    got = op_grad(T.cumprod(x), x, xv, gv)
    jac = lower_triangular_jacobian(cumprod_entry, xv.reshape(-1))
    np.testing.assert_allclose(got, (gv @ jac).reshape(2, 3))


def test_cumsum_r_op():
    rng = rng_for("cumsum R_op")
    x, e = T.dmatrix("x"), T.dmatrix("e")
    (jv,) = T.cumsum(x, axis=0).owner.op.R_op([x], [e])
    xv, ev = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    np.testing.assert_allclose(theano.function([x, e], jv, on_unused_input="ignore")(xv, ev),
                               np.cumsum(ev, axis=0))


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("repeats", [0, 1, 3, "vector"])
def test_repeat_op_grad_sums_the_gradients_of_all_copies(axis, repeats):
    rng = rng_for(f"repeat L_op {axis} {repeats}")
    value = rng.normal(size=(2, 3))
    length = value.size if axis is None else value.shape[axis]
    counts = np.arange(length) % 3 if repeats == "vector" else np.full(length, repeats)
    x = T.dmatrix("x")
    out = extra_ops.repeat(x, counts if repeats == "vector" else repeats, axis=axis)
    gzv = rng.normal(size=np.repeat(value, counts, axis=axis).shape)
    got = op_grad(out, x, value, gzv)
    along = 0 if axis is None else axis
    segments = np.split(gzv, np.cumsum(counts)[:-1], axis=along)
    expected = np.stack([seg.sum(axis=along) for seg in segments], axis=along)
    np.testing.assert_allclose(got, expected.reshape(value.shape), atol=1e-12)
