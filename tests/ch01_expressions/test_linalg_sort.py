"""nlinalg, slinalg, sort and the array helpers of Theano 1.0 (diag, eye, tril, roll,
bincount, fill_diagonal, batched_tensordot, ...) against numpy: values, dtypes,
shapes from infer_shape, and clear errors (chapter 1).  Their gradients are tested
in chapter 4 (test_linalg_grads.py)."""

import numpy as np
import pytest
from ch01_helpers import inferred_shape
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitheano as theano
from minitheano import tensor as T
from minitheano.tensor import nlinalg, slinalg

RNG = np.random.default_rng(11)
FAST = "FAST_COMPILE"


def well_conditioned(n: int) -> np.ndarray:
    return RNG.normal(size=(n, n)) + n * np.eye(n)


def spd(n: int) -> np.ndarray:
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def run(out, inputs, *values, mode=FAST):
    return theano.function(inputs, out, mode=mode)(*values)


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_nlinalg_values_like_numpy(mode):
    x = T.dmatrix("x")
    a = well_conditioned(4)
    before = a.copy()
    outs = [nlinalg.matrix_inverse(x), nlinalg.det(x), nlinalg.pinv(x[:, :3]),
            nlinalg.trace(x), nlinalg.matrix_dot(x, x.T, x), nlinalg.matrix_power(x, 3),
            nlinalg.matrix_power(x, 0)]
    got = run(outs, [x], a, mode=mode)
    expected = [np.linalg.inv(a), np.linalg.det(a), np.linalg.pinv(a[:, :3]), np.trace(a),
                a @ a.T @ a, np.linalg.matrix_power(a, 3), np.eye(4)]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_reads_one_triangle_like_numpy(uplo):
    x = T.dmatrix("x")
    a = RNG.normal(size=(4, 4))  # not symmetric: only one triangle is read
    w, v = run(nlinalg.eigh(x, uplo), [x], a)
    w_np, v_np = np.linalg.eigh(a, uplo)
    np.testing.assert_allclose(w, w_np)
    np.testing.assert_allclose(np.abs(v), np.abs(v_np), atol=1e-12)


@pytest.mark.parametrize("offset", [-2, -1, 0, 1, 3])
def test_diag_both_ways(offset):
    x, v = T.dmatrix("x"), T.dvector("v")
    a, b = RNG.normal(size=(3, 5)), RNG.normal(size=4)
    np.testing.assert_array_equal(run(T.diag(x, offset), [x], a), np.diag(a, offset))
    np.testing.assert_array_equal(run(T.diag(v, offset), [v], b), np.diag(b, offset))
    out = nlinalg.extract_diag(x, offset)
    assert inferred_shape(out, [x], [a]) == np.diag(a, offset).shape
    out = nlinalg.alloc_diag(v, offset)
    assert inferred_shape(out, [v], [b]) == np.diag(b, offset).shape


def test_linalg_errors_name_the_op():
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="MatrixInverse: expected a square matrix"):
        run(nlinalg.matrix_inverse(x), [x], np.ones((2, 3)))
    with pytest.raises(TypeError, match="Det: expected a matrix"):
        nlinalg.det(T.dvector())
    with pytest.raises(ValueError, match="not positive definite"):
        run(slinalg.cholesky(x), [x], -np.eye(2))
    with pytest.raises(ValueError, match="A must be square with as many rows as b"):
        b = T.dvector("b")
        run(slinalg.solve(x, b), [x, b], np.eye(2), np.ones(3))
    with pytest.raises(TypeError, match="expected a vector or a matrix"):
        T.diag(T.dtensor3())


@pytest.mark.parametrize("structure", ["general", "symmetric", "lower_triangular",
                                       "upper_triangular"])
@pytest.mark.parametrize("b_ndim", [1, 2])
def test_solve_like_numpy(structure, b_ndim):
    a_var, b_var = T.dmatrix("a"), T.tensor("float64", (False,) * b_ndim, name="b")
    a = spd(4) if structure == "symmetric" else well_conditioned(4)
    b = RNG.normal(size=(4, 3)[:b_ndim])
    masked = {"lower_triangular": np.tril(a), "upper_triangular": np.triu(a)}.get(structure, a)
    got = run(slinalg.Solve(structure)(a_var, b_var), [a_var, b_var], a, b)
    np.testing.assert_allclose(got, np.linalg.solve(masked, b), rtol=1e-10)


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_like_numpy(lower):
    x = T.dmatrix("x")
    a = spd(4)
    chol = run(slinalg.Cholesky(lower)(x), [x], a)
    expected = np.linalg.cholesky(a)
    np.testing.assert_allclose(chol, expected if lower else expected.T, rtol=1e-12)


def test_kron_like_numpy():
    x, y = T.dmatrices("x", "y")
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 2))
    np.testing.assert_allclose(run(slinalg.kron(x, y), [x, y], a, b), np.kron(a, b))


@pytest.mark.parametrize("k", [-1, 0, 2])
def test_eye_tri_tril_triu_like_numpy(k):
    x = T.dmatrix("x")
    a = RNG.normal(size=(3, 5))
    n, m = T.lscalars("n", "m")
    np.testing.assert_array_equal(run(T.eye(n, m, k), [n, m], 3, 5), np.eye(3, 5, k))
    np.testing.assert_array_equal(run(T.tri(n, m, k, dtype="int32"), [n, m], 3, 5),
                                  np.tri(3, 5, k, dtype="int32"))
    np.testing.assert_array_equal(run(T.tril(x, k), [x], a), np.tril(a, k))
    np.testing.assert_array_equal(run(T.triu(x, k), [x], a), np.triu(a, k))
    np.testing.assert_array_equal(run(T.identity_like(x), [x], a), np.eye(3, 5))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (5, 2), (3, 3, 3)])
def test_fill_diagonal_like_numpy(shape):
    x, v = T.tensor("float64", (False,) * len(shape), name="x"), T.dscalar("v")
    a = RNG.normal(size=shape)
    expected = a.copy()
    np.fill_diagonal(expected, 7.0)
    np.testing.assert_array_equal(run(T.fill_diagonal(x, v), [x, v], a, 7.0), expected)
    assert not np.any(a == 7.0)  # the caller's array is not written


@pytest.mark.parametrize("offset", [-3, -1, 0, 1, 4, 9])
def test_fill_diagonal_offset_like_numpy(offset):
    x, v, k = T.dmatrix("x"), T.dscalar("v"), T.lscalar("k")
    a = RNG.normal(size=(4, 5))
    expected = a.copy()
    rows = np.arange(4)
    cols = rows + offset
    keep = (cols >= 0) & (cols < 5)
    expected[rows[keep], cols[keep]] = 2.0
    got = run(T.fill_diagonal_offset(x, v, k), [x, v, k], a, 2.0, offset)
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays("float64", hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-5, 5)),
       st.integers(-7, 7), st.data())
def test_sort_argsort_roll_against_numpy(value, shift, data):
    axis = data.draw(st.sampled_from([None, *range(-value.ndim, value.ndim)]))
    x = T.tensor("float64", (False,) * value.ndim, name="x")
    s = T.lscalar("s")
    f = theano.function([x, s], [T.sort(x, axis), T.argsort(x, axis, kind="stable"),
                                 T.roll(x, s, axis)], mode=FAST)
    got_sort, got_argsort, got_roll = f(value, shift)
    np.testing.assert_array_equal(got_sort, np.sort(value, axis))
    np.testing.assert_array_equal(got_argsort, np.argsort(value, axis, kind="stable"))
    np.testing.assert_array_equal(got_roll, np.roll(value, shift, axis))


def test_sort_errors_and_names():
    x = T.dmatrix("x")
    assert str(T.sort(x).owner.op) == "SortOp{quicksort, axis=1}"
    assert T.argsort(x).dtype == "int64"
    with pytest.raises(ValueError, match="kind must be one of"):
        T.sort(x, kind="bogo")
    with pytest.raises(NotImplementedError, match="order"):
        T.sort(x, order="f")


@settings(max_examples=25, deadline=None)
@given(hnp.arrays("int64", st.integers(0, 8), elements=st.integers(0, 6)),
       st.integers(0, 9), st.booleans())
def test_bincount_against_numpy(value, minlength, weighted):
    x = T.lvector("x")
    w = T.dvector("w")
    weights = np.linspace(0.5, 2.0, len(value))
    out = T.bincount(x, w if weighted else None, minlength=minlength)
    f = theano.function([x, w], out, mode=FAST, on_unused_input="ignore")
    expected = np.bincount(value, weights if weighted else None, minlength=minlength)
    got = f(value, weights)
    np.testing.assert_allclose(got, expected)
    # (numpy gives int64 for no values even with weights; minitheano float64)
    assert got.dtype == expected.dtype or (weighted and len(value) == 0)
    assert inferred_shape(out, [x, w], [value, weights]) == expected.shape


def test_bincount_refuses_negative_values():
    x = T.lvector("x")
    with pytest.raises(ValueError, match="must be non-negative"):
        theano.function([x], T.bincount(x), mode=FAST)(np.array([1, -1]))


@pytest.mark.parametrize("x_shape, y_shape, axes", [
    ((3, 2, 4), (3, 4, 5), 1),
    ((3, 2, 4), (3, 4, 2), [[1, 2], [2, 1]]),
    ((2, 3), (2, 3), [[1], [1]]),
    ((2, 3, 4, 5), (2, 4, 5, 6), 2),
])
def test_batched_tensordot_like_a_loop_of_tensordot(x_shape, y_shape, axes):
    x = T.tensor("float64", (False,) * len(x_shape), name="x")
    y = T.tensor("float64", (False,) * len(y_shape), name="y")
    a, b = RNG.normal(size=x_shape), RNG.normal(size=y_shape)
    if isinstance(axes, int):
        np_axes = [list(range(a.ndim - 1 - axes, a.ndim - 1)), list(range(axes))]
    else:
        np_axes = [[d - 1 for d in axes[0]], [d - 1 for d in axes[1]]]
    expected = np.stack([np.tensordot(a[i], b[i], np_axes) for i in range(len(a))])
    got = run(T.batched_tensordot(x, y, axes), [x, y], a, b)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_stacking_helpers():
    x, y = T.dmatrices("x", "y")
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    np.testing.assert_array_equal(run(T.horizontal_stack(x, y), [x, y], a, b), np.hstack([a, b]))
    np.testing.assert_array_equal(run(T.vertical_stack(x, y), [x, y], a, b), np.vstack([a, b]))
    p, q = T.dscalars("p", "q")
    np.testing.assert_array_equal(run(T.stacklists([[p, q], [q, p]]), [p, q], 1.0, 2.0),
                                  [[1.0, 2.0], [2.0, 1.0]])
    t = T.dtensor3("t")
    c = RNG.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(run(T.swapaxes(t, 0, -1), [t], c), np.swapaxes(c, 0, -1))
    with pytest.raises(TypeError, match="argument 1 is not a matrix"):
        T.horizontal_stack(x, T.dvector())
