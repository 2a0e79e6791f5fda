"""jacobian and hessian against derivatives worked out by hand; Rop and Lop
against products with a Jacobian computed by finite differences."""

import numpy as np
import pytest
from gradcheck import rng_for

import minitheano as theano
from minitheano import tensor as T
from minitheano.gradient import DisconnectedInputError, JacobianLoop


def numeric_jacobian(f, x, eps=1e-6):
    """d f(x) / d x by central differences: shape f(x).shape + x.shape."""
    y = np.asarray(f(x))
    J = np.zeros(y.shape + x.shape)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        J[(...,) + index] = (np.asarray(f(up)) - np.asarray(f(down))) / (2 * eps)
    return J


def test_jacobian_of_tanh_of_a_matrix_vector_product():
    rng = rng_for("jac")
    A, x = T.dmatrix("A"), T.dvector("x")
    z = T.tanh(T.dot(A, x))
    jA, jx = T.jacobian(z, [A, x])
    assert isinstance(jx.owner.op, JacobianLoop)
    a, xv = rng.normal(size=(3, 2)), rng.normal(size=2)
    ra, rx = theano.function([A, x], [jA, jx])(a, xv)
    d = 1 - np.tanh(a @ xv) ** 2
    np.testing.assert_allclose(rx, d[:, None] * a)                    # diag(1 - z**2) A
    expected = np.einsum("i,ik,l->ikl", d, np.eye(3), xv)              # (1 - z_i**2) d_ik x_l
    np.testing.assert_allclose(ra, expected)


def test_jacobian_of_a_matrix_expression_is_flattened_and_of_a_scalar_is_the_gradient():
    X = T.dmatrix("X")
    J = T.jacobian(X ** 2, X)
    xv = np.arange(6.0).reshape(2, 3)
    r = theano.function([X], J)(xv)
    assert r.shape == (6, 2, 3)
    np.testing.assert_allclose(r, numeric_jacobian(lambda v: (v ** 2).ravel(), xv), atol=1e-6)
    g = T.jacobian(T.sum(X ** 2), X)
    np.testing.assert_allclose(theano.function([X], g)(xv), 2 * xv)


def test_jacobian_uses_shared_variables_and_handles_empty_expressions():
    w = theano.shared(np.array([1.0, 2.0, 3.0]), "w")
    x = T.dvector("x")
    J = T.jacobian(w * x, x)
    f = theano.function([x], J)
    np.testing.assert_allclose(f(np.ones(3)), np.diag([1.0, 2.0, 3.0]))
    w.set_value(np.array([4.0, 5.0, 6.0]))
    np.testing.assert_allclose(f(np.ones(3)), np.diag([4.0, 5.0, 6.0]))
    y = T.dvector("y")
    r = theano.function([y], T.jacobian(y * 2, y))(np.zeros(0))
    assert r.shape == (0, 0)


def test_jacobian_disconnected():
    x, y = T.dvectors("x", "y")
    with pytest.raises(DisconnectedInputError):
        T.jacobian(x * 2, y)
    J = T.jacobian(x * 2, y, disconnected_inputs="ignore")
    np.testing.assert_array_equal(
        theano.function([x, y], J)(np.ones(2), np.ones(3)), np.zeros((2, 3)))


def test_hessians_worked_out_by_hand():
    rng = rng_for("hess")
    x = T.dvector("x")
    M = T.dmatrix("M")
    xv, mv = rng.normal(size=3), rng.normal(size=(3, 3))
    # sum(x**3): diag(6 x)
    H = theano.function([x], T.hessian(T.sum(x ** 3), x))(xv)
    np.testing.assert_allclose(H, np.diag(6 * xv))
    # x^T M x: M + M^T
    H = theano.function([x, M], T.hessian(T.dot(x, T.dot(M, x)), x))(xv, mv)
    np.testing.assert_allclose(H, mv + mv.T)
    # log(sum(exp(x))): diag(p) - p p^T with p the softmax
    H = theano.function([x], T.hessian(T.log(T.sum(T.exp(x))), x))(xv)
    p = np.exp(xv) / np.exp(xv).sum()
    np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), atol=1e-12)


def test_hessian_of_several_vectors_and_bad_arguments():
    x, y = T.dvectors("x", "y")
    cost = T.sum(x ** 2 * y ** 2)
    hx, hy = T.hessian(cost, [x, y])
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    rx, ry = theano.function([x, y], [hx, hy])(xv, yv)
    np.testing.assert_allclose(rx, np.diag(2 * yv ** 2))
    np.testing.assert_allclose(ry, np.diag(2 * xv ** 2))
    with pytest.raises(DisconnectedInputError):
        T.hessian(T.sum(x * y), x)  # linear in x: the gradient does not depend on x
    with pytest.raises(TypeError, match="scalar"):
        T.hessian(x ** 2, x)
    with pytest.raises(TypeError, match="vector"):
        T.hessian(T.sum(T.dmatrix() ** 2), T.dmatrix())


# Functions of (x: vector or matrix) -> vector or matrix, with ops that have a native
# R_op (dot, dimshuffle, sum, indexing) and ops that use the double-L_op trick.
FUNCTIONS = {
    "elemwise": (lambda x: T.tanh(x) * x ** 2 + T.exp(-x), (4,)),
    "dot": (lambda x: T.dot(np.arange(12.0).reshape(3, 4) / 10, T.sin(x)), (4,)),
    "matrix": (lambda X: T.dot(X, X.T) + T.sum(X ** 2, axis=0)[:2], (2, 3)),
    "indexing": (lambda x: x[1:] * x[:-1] + x[::-1][1:], (5,)),
    "broadcast": (lambda X: X * T.sum(X, axis=1, keepdims=True) / X[0], (3, 2)),
    "maximum": (lambda x: T.maximum(x, 0.1) * T.minimum(x, 2 * x), (5,)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_rop_is_the_jacobian_times_a_vector(name):
    rng = rng_for("rop" + name)
    fun, shape = FUNCTIONS[name]
    x = T.tensor("float64", [False] * len(shape), name="x")
    v = x.type("v")
    f = theano.function([x], fun(x))
    jv = theano.function([x, v], T.Rop(fun(x), x, v))
    xv, vv = rng.normal(size=shape), rng.normal(size=shape)
    J = numeric_jacobian(f, xv)
    out_ndim = J.ndim - len(shape)
    expected = np.tensordot(J, vv, axes=len(shape))
    np.testing.assert_allclose(jv(xv, vv), expected, rtol=1e-6, atol=1e-8)
    assert out_ndim == f(xv).ndim


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_lop_is_a_vector_times_the_jacobian(name):
    rng = rng_for("lop" + name)
    fun, shape = FUNCTIONS[name]
    x = T.tensor("float64", [False] * len(shape), name="x")
    y = fun(x)
    u = y.type("u")
    f = theano.function([x], y)
    uj = theano.function([x, u], T.Lop(y, x, u))
    xv = rng.normal(size=shape)
    J = numeric_jacobian(f, xv)
    uv = rng.normal(size=f(xv).shape)
    expected = np.tensordot(uv, J, axes=uv.ndim)
    np.testing.assert_allclose(uj(xv, uv), expected, rtol=1e-6, atol=1e-8)


def test_rop_of_several_inputs_and_outputs():
    x, y = T.dvectors("x", "y")
    vx, vy = T.dvectors("vx", "vy")
    a, b = x * y, T.sum(T.exp(x))
    ra, rb = T.Rop([a, b], [x, y], [vx, vy])
    xv, yv, vxv, vyv = (np.array([0.5, 1.5]), np.array([2.0, -1.0]),
                        np.array([1.0, 3.0]), np.array([-2.0, 0.5]))
    out = theano.function([x, y, vx, vy], [ra, rb])(xv, yv, vxv, vyv)
    np.testing.assert_allclose(out[0], vxv * yv + xv * vyv)
    np.testing.assert_allclose(out[1], np.sum(np.exp(xv) * vxv))


def test_rop_errors():
    x, y = T.dvectors("x", "y")
    with pytest.raises(ValueError, match="dimensions"):
        T.Rop(x * 2, x, T.dmatrix())
    with pytest.raises(DisconnectedInputError):
        T.Rop(y * 2, x, T.dvector())
    r = T.Rop(y * 2, x, T.dvector(), disconnected_outputs="ignore")
    np.testing.assert_array_equal(
        theano.function([y], r, on_unused_input="ignore")(np.ones(2)), np.zeros(2))


def test_lop_of_several_outputs():
    x = T.dvector("x")
    a, b = T.sin(x), T.sum(x ** 2)
    ua, ub = T.dvector("ua"), T.dscalar("ub")
    g = T.Lop([a, b], x, [ua, ub])
    xv, uav = np.array([0.3, -1.2]), np.array([2.0, 5.0])
    np.testing.assert_allclose(theano.function([x, ua, ub], g)(xv, uav, 3.0),
                               uav * np.cos(xv) + 3.0 * 2 * xv)
