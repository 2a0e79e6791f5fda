"""Gradients of the linear algebra, sorting and array helpers of Theano 1.0 against
finite differences (chapter 4): matrix_inverse, det, pinv, eigh, cholesky, solve
(each structure), diagonals, sort, roll, fill_diagonal, bincount's weights,
batched_tensordot, kron."""

import numpy as np
import pytest
from gradcheck import check, rng_for

import minitheano as theano
from minitheano import tensor as T
from minitheano.tensor import nlinalg, slinalg

FAST = "FAST_COMPILE"


def well_conditioned(rng, n):
    return rng.normal(size=(n, n)) + n * np.eye(n)


def spd(rng, n):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


@pytest.mark.parametrize("name, fn", [
    ("matrix_inverse", nlinalg.matrix_inverse),
    ("det", nlinalg.det),
    ("trace", nlinalg.trace),
    ("matrix_power", lambda x: nlinalg.matrix_power(x, 3)),
    ("extract_diag", lambda x: nlinalg.extract_diag(x, 1)),
    ("extract_diag_below", lambda x: nlinalg.extract_diag(x, -1)),
    ("tril", lambda x: T.tril(x, 1)),
    ("triu", T.triu),
    ("fill_diagonal", lambda x: T.fill_diagonal(x, 3.0) * x),
])
def test_square_matrix_functions(name, fn):
    rng = rng_for(name)
    check(fn, well_conditioned(rng, 3), rng=rng, mode=FAST)


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3)])
def test_pinv(shape):
    rng = rng_for(f"pinv{shape}")
    check(nlinalg.pinv, rng.normal(size=shape), rng=rng, mode=FAST)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_values_and_vectors(uplo):
    rng = rng_for(f"eigh{uplo}")
    a = spd(rng, 3) + rng.normal(size=(3, 3)) * 0.1  # one triangle is read
    weights = rng.normal(size=(3, 3))

    def cost(x):
        w, v = nlinalg.eigh(x, uplo)
        # Eigenvectors are defined up to their sign: use the sign-free v ** 2.
        return T.sum(w * w) + T.sum((v ** 2) * weights)
    check(cost, a, rng=rng, mode=FAST)


def test_eigh_values_only():
    rng = rng_for("eigh-values")
    check(lambda x: nlinalg.eigh(x)[0], spd(rng, 4), rng=rng, mode=FAST)


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky(lower):
    rng = rng_for(f"cholesky{lower}")
    check(slinalg.Cholesky(lower), spd(rng, 4), rng=rng, mode=FAST)


def test_cholesky_of_a_product():
    rng = rng_for("cholesky-product")
    check(lambda x: slinalg.cholesky(T.dot(x, x.T) + T.eye(3)), rng.normal(size=(3, 3)),
          rng=rng, mode=FAST)


@pytest.mark.parametrize("structure", ["general", "symmetric", "lower_triangular",
                                       "upper_triangular"])
@pytest.mark.parametrize("b_shape", [(3,), (3, 2)])
def test_solve(structure, b_shape):
    rng = rng_for(f"solve{structure}{b_shape}")
    a = spd(rng, 3) if structure == "symmetric" else well_conditioned(rng, 3)
    if structure == "symmetric":
        # The symmetric solve reads the whole matrix: keep it symmetric.
        check(lambda x, b: slinalg.Solve(structure)(x + x.T, b), a / 2, rng.normal(size=b_shape),
              rng=rng, mode=FAST)
    else:
        check(slinalg.Solve(structure), a, rng.normal(size=b_shape), rng=rng, mode=FAST)


def test_alloc_diag_and_kron():
    rng = rng_for("alloc_diag")
    check(lambda v: nlinalg.alloc_diag(v, -2), rng.normal(size=3), rng=rng, mode=FAST)
    check(slinalg.kron, rng.normal(size=(2, 3)), rng.normal(size=(3, 2)), rng=rng, mode=FAST)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_sort(axis):
    rng = rng_for(f"sort{axis}")
    x = rng.permutation(12).reshape(3, 4) + rng.uniform(0, 0.3, (3, 4))  # no ties
    check(lambda v: T.sort(v, axis) ** 2, x, rng=rng, mode=FAST)


def test_roll_and_fill_diagonal_offset():
    rng = rng_for("roll")
    check(lambda v: T.roll(v, 2, axis=1), rng.normal(size=(2, 5)), rng=rng, mode=FAST)
    check(lambda v: T.roll(v, -1), rng.normal(size=(2, 3)), rng=rng, mode=FAST)
    check(lambda a, v: T.fill_diagonal_offset(a, v, 1) ** 2, rng.normal(size=(3, 4)),
          np.array(1.5), rng=rng, mode=FAST)


def test_bincount_weights():
    rng = rng_for("bincount")
    index = np.array([0, 3, 3, 1, 0])
    check(lambda w: T.bincount(T.constant(index), w, minlength=6) ** 2,
          rng.normal(size=5), rng=rng, mode=FAST)


def test_bincount_has_no_gradient_for_its_values():
    x, w = T.lvector("x"), T.dvector("w")
    g = theano.grad(T.sum(T.bincount(x, w)), w)
    np.testing.assert_array_equal(theano.function([x, w], g, mode=FAST)(
        np.array([2, 0]), np.array([1.0, 1.0])), [1.0, 1.0])


@pytest.mark.parametrize("axes", [1, [[1, 2], [2, 1]]])
def test_batched_tensordot(axes):
    rng = rng_for(f"btd{axes}")
    y_shape = (2, 3, 4) if axes == 1 else (2, 4, 3)
    check(lambda x, y: T.batched_tensordot(x, y, axes), rng.normal(size=(2, 2, 3)) if axes == 1
          else rng.normal(size=(2, 3, 4)), rng.normal(size=y_shape), rng=rng, mode=FAST)


@pytest.mark.parametrize("name, fn, low, high", [
    ("ptp", lambda x: T.ptp(x, axis=1), -2, 2),
    ("cov", T.cov, -2, 2),
    ("arcsinh", T.arcsinh, -3, 3),
    ("arccosh", T.arccosh, 1.2, 4),
    ("arctanh", T.arctanh, -0.8, 0.8),
    ("ultra_fast_sigmoid", T.nnet.ultra_fast_sigmoid, 0.2, 3.2),  # no knee of the pieces
    ("largest", lambda x: T.largest(x, 0.5 * x, T.ones_like(x)), -2, 2),
    ("deg2rad", T.deg2rad, -2, 2),
])
def test_numpy_names(name, fn, low, high):
    rng = rng_for(name)
    check(fn, rng.uniform(low, high, size=(3, 4)), rng=rng, mode=FAST)


def test_split_and_permute_row_elements():
    rng = rng_for("split")
    sizes = T.constant(np.array([1, 3]))
    check(lambda x: T.split(x, sizes, 2, axis=1)[1] ** 2, rng.normal(size=(2, 4)), rng=rng,
          mode=FAST)
    perm = T.constant(np.array([2, 0, 1]))
    check(lambda x: T.permute_row_elements(x, perm, inverse=True) * T.arange(3),
          rng.normal(size=(2, 3)), rng=rng, mode=FAST)


def test_consider_constant_stops_the_gradient():
    x = T.dscalar("x")
    cost = x * T.consider_constant(x ** 2) + theano.gradient.consider_constant(x)
    g = theano.function([x], theano.grad(cost, x), mode=FAST)
    assert g(3.0) == 9.0  # only the first factor x is differentiated


@pytest.mark.parametrize("ord", [None, "inf", 3])
def test_vector_norm(ord):
    rng = rng_for(f"norm{ord}")
    check(lambda v: nlinalg.norm(v, ord), np.array([0.5, -2.0, 1.25]), rng=rng, mode=FAST)


@pytest.mark.parametrize("ord", ["fro", "inf", -1])
def test_matrix_norm(ord):
    rng = rng_for(f"mnorm{ord}")
    check(lambda x: nlinalg.norm(x, ord), np.array([[0.5, -2.0], [1.25, 3.0]]), rng=rng,
          mode=FAST)


def test_tensorinv_and_tensorsolve():
    rng = rng_for("tensorinv")
    a = (np.eye(6) * 3 + rng.normal(size=(6, 6))).reshape(2, 3, 3, 2)
    check(nlinalg.tensorinv, a, rng=rng, mode=FAST)
    check(nlinalg.tensorsolve, a.reshape(2, 3, 6), rng.normal(size=(2, 3)), rng=rng, mode=FAST)


def test_topk():
    rng = rng_for("topk")
    x = rng.permutation(12).reshape(3, 4) + rng.uniform(0, 0.3, (3, 4))
    check(lambda v: T.topk(v, 2) ** 2, x, rng=rng, mode=FAST)
    check(lambda v: T.topk(v, -1, axis=0) ** 2, x, rng=rng, mode=FAST)


@pytest.mark.parametrize("axes", ["per-activation", "spatial"])
def test_batch_normalization_train(axes):
    rng = rng_for(f"bn{axes}")
    kept = 3

    def out(x, gamma, beta):
        return T.nnet.bn.batch_normalization_train(x, gamma, beta, axes)[0] ** 2
    check(out, rng.normal(size=(4, kept, 2)), rng.uniform(0.5, 2, size=kept if axes == "spatial"
                                                           else (kept, 2)),
          rng.normal(size=kept if axes == "spatial" else (kept, 2)), rng=rng, mode=FAST)


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_error_functions(name):
    rng = rng_for(name)
    check(getattr(T, name), rng.uniform(-2.5, 2.5, size=(3, 4)), rng=rng, mode=FAST)
