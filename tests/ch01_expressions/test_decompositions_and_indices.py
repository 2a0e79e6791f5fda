"""svd, qr, lstsq, norm, tensorinv, tensorsolve; searchsorted, unique, unravel_index,
ravel_multi_index, compress, bartlett; topk; divmod; get_scalar_constant_value;
confusion_matrix and prepend_* -- against numpy (chapter 1)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitheano as theano
from minitheano import tensor as T
from minitheano.tensor import extra_ops, nlinalg

RNG = np.random.default_rng(13)
FAST = "FAST_COMPILE"


def run(out, inputs, *values):
    return theano.function(inputs, out, mode=FAST, on_unused_input="ignore")(*values)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4)])
def test_svd_qr_lstsq_like_numpy(shape):
    x, b = T.dmatrix("x"), T.dvector("b")
    a, rhs = RNG.normal(size=shape), RNG.normal(size=shape[0])
    u, s, v = run(nlinalg.svd(x, full_matrices=False), [x], a)
    np.testing.assert_allclose((u * s) @ v, a, atol=1e-12)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False))
    np.testing.assert_allclose(run(nlinalg.svd(x, compute_uv=False), [x], a), s)
    for mode in ("reduced", "complete"):
        q, r = run(nlinalg.qr(x, mode), [x], a)
        np.testing.assert_allclose(q @ r, a, atol=1e-12)
        assert np.allclose(np.triu(r), r)
    np.testing.assert_allclose(np.abs(run(nlinalg.qr(x, "r"), [x], a)),
                               np.abs(np.linalg.qr(a, "r")))
    for got, want in zip(run(nlinalg.lstsq(x, b), [x, b], a, rhs), np.linalg.lstsq(a, rhs)):
        np.testing.assert_allclose(got, want, atol=1e-12)


@pytest.mark.ch04  # needs chapter 4 (T.grad)
def test_svd_has_no_gradient_and_says_so():
    x = T.dmatrix("x")
    with pytest.raises(Exception, match="gave it no gradient"):
        theano.grad(nlinalg.svd(x, compute_uv=False).sum(), x)


@pytest.mark.parametrize("ord", [None, "inf", "-inf", 0, 1, 3])
def test_vector_norm_like_numpy(ord):
    v = T.dvector("v")
    a = np.array([3.0, -4.0, 0.0, 1.5])
    np_ord = {"inf": np.inf, "-inf": -np.inf}.get(ord, ord)
    np.testing.assert_allclose(run(nlinalg.norm(v, ord), [v], a), np.linalg.norm(a, np_ord))


@pytest.mark.parametrize("ord", [None, "fro", "inf", "-inf", 1, -1])
def test_matrix_norm_like_numpy(ord):
    x = T.dmatrix("x")
    a = RNG.normal(size=(3, 4))
    np_ord = {"inf": np.inf, "-inf": -np.inf}.get(ord, ord)
    np.testing.assert_allclose(run(nlinalg.norm(x, ord), [x], a), np.linalg.norm(a, np_ord))
    with pytest.raises(NotImplementedError, match="ord=2"):
        nlinalg.norm(x, 2)


def test_tensorinv_and_tensorsolve_like_numpy():
    t4, t3, m = T.dtensor4("t4"), T.dtensor3("t3"), T.dmatrix("m")
    a = RNG.normal(size=(2, 3, 3, 2)) + 0
    np.testing.assert_allclose(run(nlinalg.tensorinv(t4), [t4], a), np.linalg.tensorinv(a))
    a3, b = RNG.normal(size=(2, 3, 6)), RNG.normal(size=(2, 3))
    np.testing.assert_allclose(run(nlinalg.tensorsolve(t3, m), [t3, m], a3, b),
                               np.linalg.tensorsolve(a3, b))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays("int64", st.integers(0, 10), elements=st.integers(-3, 5)),
       hnp.arrays("int64", st.integers(0, 5), elements=st.integers(-4, 6)),
       st.sampled_from(["left", "right"]))
def test_searchsorted_and_unique_against_numpy(values, queries, side):
    x, v = T.lvector("x"), T.lvector("v")
    ordered = np.sort(values)
    got = run(extra_ops.searchsorted(x, v, side=side), [x, v], ordered, queries)
    np.testing.assert_array_equal(got, np.searchsorted(ordered, queries, side))
    outs = run(extra_ops.unique(x, True, True, True), [x], values)
    for g, want in zip(outs, np.unique(values, True, True, True)):
        np.testing.assert_array_equal(g, want.reshape(-1))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data(),
       st.sampled_from(["C", "F"]))
def test_unravel_and_ravel_are_numpys(dims, data, order):
    size = int(np.prod(dims))
    flat = np.array(data.draw(st.lists(st.integers(0, size - 1), max_size=6)), dtype="int64")
    i = T.lvector("i")
    got = run(list(extra_ops.unravel_index(i, tuple(dims), order)), [i], flat)
    want = np.unravel_index(flat, dims, order=order)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    back = run(extra_ops.ravel_multi_index(tuple(T.constant(w) for w in want), dims,
                                           order=order), [i], flat)
    np.testing.assert_array_equal(back, flat)


def test_ravel_multi_index_modes():
    i = T.lvector("i")
    for mode in ("wrap", "clip"):
        got = run(extra_ops.ravel_multi_index((i, i), (3, 3), mode=mode), [i], np.array([4, -1]))
        np.testing.assert_array_equal(got, np.ravel_multi_index(([4, -1], [4, -1]), (3, 3),
                                                                mode=mode))
    with pytest.raises(ValueError, match="invalid entry"):
        run(extra_ops.ravel_multi_index((i, i), (3, 3)), [i], np.array([4]))


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_compress_like_numpy(axis):
    x, c = T.dmatrix("x"), T.bvector("c")
    a = RNG.normal(size=(3, 4))
    cond = np.array([1, 0, 1], dtype="int8")
    np.testing.assert_array_equal(run(extra_ops.compress(c, x, axis), [x, c], a, cond),
                                  np.compress(cond, a, axis))


@pytest.mark.parametrize("m", [0, 1, 2, 5, 8])
def test_bartlett_like_numpy(m):
    n = T.lscalar("n")
    np.testing.assert_allclose(run(T.bartlett(n), [n], m), np.bartlett(m), atol=1e-15)


@pytest.mark.parametrize("kth", [1, 2, -1, -3, 4])
@pytest.mark.parametrize("axis", [0, -1])
def test_topk_like_sorting(kth, axis):
    x = T.dmatrix("x")
    a = RNG.permutation(16).reshape(4, 4).astype("float64")
    values, positions = run(list(T.topk_and_argtopk(x, kth, axis)), [x], a)
    ordered = np.sort(a, axis=axis)
    index = np.argsort(a, axis=axis, kind="stable")
    pick = slice(-1, -kth - 1, -1) if kth > 0 else slice(0, -kth)
    take = (slice(None), pick) if axis == -1 else (pick, slice(None))
    np.testing.assert_array_equal(values, ordered[take])
    np.testing.assert_array_equal(positions, index[take])
    with pytest.raises(ValueError, match="non-zero int"):
        T.topk(x, 0)


def test_divmod_like_python():
    a, b = T.lvectors("a", "b")
    q, r = run(list(T.divmod(a, b)), [a, b], np.array([7, -7, 7]), np.array([2, 2, -2]))
    np.testing.assert_array_equal(q, [3, -4, -4])
    np.testing.assert_array_equal(r, [1, 1, -1])


def test_get_scalar_constant_value():
    x, r = T.dmatrix("x"), T.drow("r")
    assert T.get_scalar_constant_value(T.constant(3.0) * 2 + 1) == 7.0
    assert T.get_scalar_constant_value(np.array([[5]])) == 5
    assert T.get_scalar_constant_value(T.shape_i(r, 0)) == 1
    for v in (x.sum(), T.constant(np.ones(2)), T.shape_i(x, 0)):
        with pytest.raises(T.NotScalarConstantError):
            T.get_scalar_constant_value(v)
    with pytest.raises(T.NotScalarConstantError, match="not a Constant"):
        T.get_scalar_constant_value(T.constant(2.0) + 1, only_process_constants=True)


def test_confusion_matrix_and_prepend():
    a, p, x = T.lvector("a"), T.lvector("p"), T.dmatrix("x")
    conf, order = run(T.nnet.confusion_matrix(a, p), [a, p], [0, 1, 2, 2, 5], [0, 2, 2, 1, 5])
    np.testing.assert_array_equal(order, [0, 1, 2, 5])
    np.testing.assert_array_equal(conf, [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    value = RNG.normal(size=(2, 3))
    for fn, first in ((T.nnet.prepend_0_to_each_row, 0.0), (T.nnet.prepend_1_to_each_row, 1.0)):
        np.testing.assert_array_equal(run(fn(x), [x], value),
                                      np.hstack([np.full((2, 1), first), value]))
    np.testing.assert_array_equal(run(T.nnet.prepend_scalar_to_each_row(7, x), [x], value)[:, 0],
                                  [7.0, 7.0])
