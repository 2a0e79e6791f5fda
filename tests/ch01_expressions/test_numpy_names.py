"""More of Theano 1.0's theano.tensor names against numpy (chapter 1): constructors of
5-7 dimensions and plurals, ptp, isclose/allclose, rounding, inverse hyperbolics, cov,
split, mgrid/ogrid, permutations, ultra_fast_sigmoid; their gradients are tested in
chapter 4 (test_linalg_grads.py)."""

import numpy as np
import pytest
from ch01_helpers import inferred_shape
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitheano as theano
from minitheano import tensor as T

RNG = np.random.default_rng(12)
FAST = "FAST_COMPILE"


def run(out, inputs, *values):
    return theano.function(inputs, out, mode=FAST)(*values)


def test_constructors_of_more_dimensions():
    assert T.dtensor5("x").type == T.TensorType("float64", (False,) * 5)
    assert T.btensor7().dtype == "int8" and T.ltensor6().ndim == 6
    assert T.tensor5(dtype="int32").dtype == "int32"
    a, b = T.ftensor3s("a", "b")
    assert (a.name, b.name, a.type) == ("a", "b", T.ftensor3)
    assert len(T.tensor7s(3)) == 3 and T.irows("r")[0].broadcastable == (True, False)
    assert T.lcols("c")[0].type == T.lcol


def test_small_numpy_functions():
    x = T.dmatrix("x")
    a = RNG.normal(size=(3, 4)) * 3
    outs = [T.ptp(x), T.ptp(x, axis=0), T.square(x), T.power(x, 2), T.largest(x, 0, x - 1),
            T.smallest(x, 0), T.trunc(x), T.round_half_away_from_zero(x), T.iround(x),
            T.deg2rad(x), T.rad2deg(x), T.ceil_intdiv(T.cast(x, "int64"), 2)]
    expected = [np.ptp(a), np.ptp(a, axis=0), a * a, a ** 2, np.maximum(a, 0),
                np.minimum(a, 0), np.trunc(a), np.sign(a) * np.floor(np.abs(a) + 0.5),
                (np.sign(a) * np.floor(np.abs(a) + 0.5)).astype("int64"), np.deg2rad(a),
                np.rad2deg(a), -((-a.astype("int64")) // 2)]
    for got, want in zip(run(outs, [x], a), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    halves = np.array([-2.5, -0.5, 0.5, 1.5])
    v = T.dvector("v")
    np.testing.assert_array_equal(run(T.iround(v), [v], halves), [-3, -1, 1, 2])
    np.testing.assert_array_equal(run(T.iround(v, "half_to_even"), [v], halves), [-2, 0, 0, 2])


def test_inverse_hyperbolics():
    v = T.dvector("v")
    big = np.array([1.0, 1.5, 10.0, 1e6])
    small = np.array([-0.99, -0.3, 0.0, 0.5, 0.9])
    wide = np.array([-1e6, -3.0, -1e-9, 0.0, 2e-8, 4.0, 1e6])
    np.testing.assert_allclose(run(T.arccosh(v), [v], big), np.arccosh(big), rtol=1e-12)
    np.testing.assert_allclose(run(T.arctanh(v), [v], small), np.arctanh(small), rtol=1e-12)
    np.testing.assert_allclose(run(T.arcsinh(v), [v], wide), np.arcsinh(wide), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays("float64", 6, elements=st.sampled_from(
    [0.0, 1.0, -1.0, 1e-9, 1.00001, np.inf, -np.inf, np.nan, 1e300])),
    hnp.arrays("float64", 6, elements=st.sampled_from(
        [0.0, 1.0, -1.0, 2e-9, 1.0, np.inf, -np.inf, np.nan, 1e300])),
    st.booleans())
def test_isclose_against_numpy(a, b, equal_nan):
    x, y = T.dvectors("x", "y")
    close, every = run([T.isclose(x, y, equal_nan=equal_nan),
                        T.allclose(x, y, equal_nan=equal_nan)], [x, y], a, b)
    np.testing.assert_array_equal(close, np.isclose(a, b, equal_nan=equal_nan))
    assert bool(every) == np.allclose(a, b, equal_nan=equal_nan)


@pytest.mark.parametrize("rowvar, bias, with_y", [(True, False, False), (False, True, False),
                                                  (True, False, True)])
def test_cov_like_numpy(rowvar, bias, with_y):
    x, y = T.dmatrices("x", "y")
    a, b = RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5))
    out = T.cov(x, y if with_y else None, rowvar=rowvar, bias=bias)
    got = theano.function([x, y], out, mode=FAST, on_unused_input="ignore")(a, b)
    np.testing.assert_allclose(got, np.cov(a, b if with_y else None, rowvar=rowvar, bias=bias))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_split_like_numpy(axis):
    x, sizes = T.dmatrix("x"), T.lvector("sizes")
    a = RNG.normal(size=(4, 4))
    pieces = T.split(x, sizes, 3, axis=axis)
    got = theano.function([x, sizes], pieces, mode=FAST)(a, np.array([1, 0, 3]))
    for g, want in zip(got, np.split(a, [1, 1], axis=axis)):
        np.testing.assert_array_equal(g, want)
    assert inferred_shape(pieces[2], [x, sizes], [a, np.array([1, 0, 3])]) == got[2].shape
    with pytest.raises(ValueError, match=r"add up to 3, but axis"):
        theano.function([x, sizes], pieces, mode=FAST)(a, np.array([1, 1, 1]))


def test_mgrid_and_ogrid_like_numpy():
    n = T.lscalar("n")
    got = theano.function([n], T.mgrid[0:n, 1:7:2], mode=FAST)(3)
    for g, want in zip(got, np.mgrid[0:3, 1:7:2]):
        np.testing.assert_array_equal(g, want)
    got = theano.function([], T.ogrid[0:2, 0:3], mode=FAST)()
    for g, want in zip(got, np.ogrid[0:2, 0:3]):
        np.testing.assert_array_equal(g, want)
    with pytest.raises(TypeError, match="expected slices"):
        T.mgrid[0:]


def test_permutations():
    x, p = T.dmatrix("x"), T.lvector("p")
    a, perm = RNG.normal(size=(2, 4)), np.array([2, 0, 3, 1])
    np.testing.assert_array_equal(run(T.inverse_permutation(p), [p], perm), np.argsort(perm))
    np.testing.assert_array_equal(run(T.permute_row_elements(x, p), [x, p], a, perm), a[:, perm])
    undone = run(T.permute_row_elements(x, p, inverse=True), [x, p], a[:, perm], perm)
    np.testing.assert_array_equal(undone, a)
    with pytest.raises(ValueError, match="not a permutation"):
        run(T.permute_row_elements(x, p), [x, p], a, np.array([0, 0, 1, 2]))


def test_ultra_fast_sigmoid_is_close_to_the_sigmoid():
    v = T.dvector("v")
    values = np.linspace(-12, 12, 2001)
    got = run(T.nnet.ultra_fast_sigmoid(v), [v], values)
    assert np.max(np.abs(got - 1 / (1 + np.exp(-values)))) < 0.03
    assert np.all((got >= 0) & (got <= 1))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays("float64", st.integers(1, 6), elements=st.floats(-30, 30)))
def test_erf_and_erfc_against_python_math(values):
    import math
    x = T.dvector("x")
    erf, erfc = theano.function([x], [T.erf(x), T.erfc(x)], mode=FAST)(values)
    np.testing.assert_allclose(erf, [math.erf(v) for v in values], rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(erfc, [math.erfc(v) for v in values], rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_erf_in_c_agrees_with_python(dtype):
    """DebugMode runs each node in C and in Python and compares them; the fused
    erf * 2 + erfc is one C loop."""
    x = T.vector("x", dtype=dtype)
    values = np.array([-3, -1, 0, 1, 2], dtype=dtype)
    out = T.erf(x) * 2 + T.erfc(x)
    got = theano.function([x], out, mode="DebugMode")(values)
    assert got.dtype == ("float64" if dtype != "float32" else "float32")
    fast = theano.function([x], out, mode="FAST_RUN")
    assert any("erf" in str(node.op) for node in fast.maker.fgraph.toposort())
    np.testing.assert_allclose(fast(values), got, rtol=1e-6)
