"""Mismatches the differential tests found, each kept as a named test (issue 16)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_a_folded_nan_constant_can_be_fused(mode):
    """The mean of an empty constant folds to a float32 NaN; fusion then makes it a
    scalar constant, which ScalarType.filter refused ('cannot hold nan without
    losing precision': NaN != NaN)."""
    x = T.fvector("x")
    nan = T.mean(T.constant(np.zeros(0, dtype="float32")))
    f = theano.function([x], T.exp(x) * nan + x * 2, mode=mode)
    out = f(np.ones(2, dtype="float32"))
    assert out.dtype == np.float32 and np.isnan(out).all()


def test_a_nan_scalar_constant_is_held_exactly():
    from minitheano.scalar.basic import ScalarType

    for dtype in ("float32", "float64"):
        assert np.isnan(ScalarType(dtype).filter(np.float64("nan")))
    with pytest.raises(TypeError, match="losing precision"):
        ScalarType("int8").filter(0.5)  # still refused: not the same number


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_mean_of_large_integers_does_not_wrap_around(mode):
    """sum(x, dtype='float64') summed int64s in int64 (wrapping around) and then cast;
    mean, which sums integers as float64, gave 1.4 for [2**63-1, 2**63-1, 3, 4, 2]
    where numpy gives 3.7e18."""
    x = T.lvector("x")
    big = np.array([2**63 - 1, 2**63 - 1, 3, 4, 2], dtype="int64")
    f = theano.function([x], [T.mean(x), T.sum(x, dtype="float64"), T.sum(x)], mode=mode)
    mean, total, wrapped = f(big)
    assert mean == np.mean(big) and total == np.sum(big, dtype="float64")
    assert wrapped == np.sum(big) == 7  # int64 sums wrap around, as numpy's
    y = T.bvector("y")  # a narrower accumulator wraps as numpy's does
    g = theano.function([y], T.sum(y, dtype="int8"), mode=mode)
    assert g(np.array([100, 100], dtype="int8")) == np.sum(np.array([100, 100], "int8"),
                                                          dtype="int8")


INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("dtype, value", [("int8", 300), ("int8", -129), ("uint8", -1),
                                          ("uint8", 256), ("int64", 2**63), ("uint64", -1),
                                          ("int32", 2**70), ("int16", 1e300)])
def test_an_out_of_range_number_is_a_clear_type_error(dtype, value):
    """ScalarType('int8').filter(300) raised numpy's raw OverflowError ('Python
    integer 300 out of bounds for int8'): now a TypeError naming the type, the
    value and the range."""
    from minitheano.scalar.basic import ScalarType

    info = np.iinfo(dtype)
    message = (rf"ScalarType\({dtype}\) cannot hold {re.escape(repr(value))}: it is out of "
               rf"the range of {dtype} \(from {info.min} to {info.max}\)")
    for downcast in (False, True):  # out of range is not a loss of precision
        with pytest.raises(TypeError, match=message):
            ScalarType(dtype).filter(value, allow_downcast=downcast)


@given(st.sampled_from(INT_DTYPES), st.integers(-2**65, 2**65))
@settings(max_examples=200, deadline=None)
def test_an_integer_is_held_exactly_or_refused_clearly(dtype, value):
    """Every Python integer: kept exactly when the dtype's range holds it, else a
    TypeError naming the type and the value (never OverflowError, never wrapped)."""
    from minitheano.scalar.basic import ScalarType

    info = np.iinfo(dtype)
    if info.min <= value <= info.max:
        held = ScalarType(dtype).filter(value)
        assert held.dtype == np.dtype(dtype) and int(held) == value
    else:
        with pytest.raises(TypeError, match=rf"ScalarType\({dtype}\) cannot hold {value}"):
            ScalarType(dtype).filter(value)


@pytest.mark.ch06  # chapter 6's CUDA linker, run by the emulator here
def test_a_cuda_kernel_may_hold_a_nan_constant():
    """The CUDA linker described each node's kernel twice and looked the second
    description up among the first ones: a kernel holding a NaN constant is not
    equal to itself (NaN != NaN), so compiling raised '... is not in list'."""
    import warnings

    x = T.fvector("x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "the CUDA kernels are emulated"
        f = theano.function([x], T.switch(x >= 0, x, np.float32("nan")) + 1,
                            mode=theano.Mode("cuda", "fast_run"))
    out = f(np.array([1.0, -1.0, 0.0], dtype="float32"))
    np.testing.assert_array_equal(out, np.array([2.0, np.nan, 1.0], dtype="float32"))
    assert out.dtype == np.float32


@pytest.mark.parametrize("build", [lambda z, d: z + d, lambda z, d: z - 2 * d,
                                   lambda z, d: d - z * 3],
                         ids=["z + dot", "z - 2 dot", "dot - z 3"])
def test_a_float32_product_added_to_a_float64_matrix_compiles(build):
    """Found by the slow run: FAST_RUN's gemm rewrite made Gemm(Z, a, X, Y, b) of a
    float64 Z and a float32 dot(X, Y), which Gemm refuses ('Z, X and Y must share
    one float dtype'): the function could not be compiled.  The add upcasts the
    product, so no Gemm; with one dtype the Gemm is still made."""
    rng = np.random.default_rng(0)
    for z_dtype in ("float64", "float32"):
        x, y, z = T.fmatrix("x"), T.fmatrix("y"), T.matrix("z", dtype=z_dtype)
        f = theano.function([x, y, z], build(z, T.dot(x, y)), mode="FAST_RUN")
        a, b = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(3, 4)).astype(
            "float32")
        c = rng.normal(size=(2, 4)).astype(z_dtype)
        expected = build(c, a.astype(z_dtype) @ b.astype(z_dtype))
        got = f(a, b, c)
        assert got.dtype == np.dtype(z_dtype)
        np.testing.assert_allclose(got, expected, rtol=1e-5)
        gemm = [n for n in f.maker.fgraph.toposort() if "Gemm" in type(n.op).__name__]
        assert bool(gemm) == (z_dtype == "float32")


@pytest.mark.parametrize("shapes", [((1, 3), (3, 1)), ((3, 1), (1, 3))], ids=["row", "col"])
def test_a_product_that_broadcasts_against_z_is_no_gemm(shapes):
    """Found by the slow run: `x + dot(x, x.T)` for a float32 row x.  The product is
    1 by 1 and broadcasts along Z's columns in the add; the gemm rewrite made
    Gemm(x, 1, x, x.T, 1), which refused at run time ('shapes do not fit').  A
    product known to be narrower than Z is left to the add."""
    x = T.frow("x") if shapes[0][0] == 1 else T.fcol("x")
    out = x + T.dot(x, x.T) if shapes[0][0] == 1 else x + T.dot(x.T, x)
    v = np.arange(1, 4, dtype="float32").reshape(shapes[0])
    want = v + (v @ v.T if shapes[0][0] == 1 else v.T @ v)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        got = theano.function([x], out, mode=mode)(v)
        assert got.dtype == np.float32 and got.shape == want.shape, mode
        np.testing.assert_allclose(got, want, rtol=1e-6)
    z, a, b = T.fmatrix("z"), T.fmatrix("a"), T.fmatrix("b")  # a product as wide as Z
    f = theano.function([z, a, b], z + T.dot(a, b), mode="FAST_RUN")
    assert any("Gemm" in type(n.op).__name__ for n in f.maker.fgraph.toposort())


def test_terms_that_cancel_are_held_to_the_finite_assumption():
    """Found by the slow run: sqr(minimum(switch(ge(x2 - x2, x0), x0, x1), x0)) at
    x2 = -inf.  The simplifier makes x2 - x2 zero, as Theano did and as its
    docstring says (canonicalize.py), where numpy's inf - inf is NaN; the switch
    then picks the other branch.  The harness holds rewritten graphs to the bounds
    of `reference(assume_finite=True)`, where that element is unbounded, and the
    unrewritten graph to numpy's exact NaN."""
    from differential_graphs import (
        BINARY_ANY,
        COMPARE,
        COMPARE_NP,
        elemwise,
        input_term,
        reference,
        switch_term,
    )
    from test_differential import Mismatch, compare

    x0, x1, x2 = (input_term(f"x{k}", "float64", (3,), (False,)) for k in range(3))
    sub = elemwise("sub", *BINARY_ANY["sub"], [x2, x2])
    ge = elemwise("ge", COMPARE["ge"], COMPARE_NP["ge"], [sub, x0])
    out = elemwise("minimum", *BINARY_ANY["minimum"], [switch_term(ge, x0, x1), x0])
    values = {"x0": np.array([-1.0, -1.0, 2.0]), "x1": np.array([-5.0, 5.0, 5.0]),
              "x2": np.array([-np.inf, 3.0, 1.0])}
    (want, exact), = reference([out], values)
    (_, assumed), = reference([out], values, assume_finite=True)
    np.testing.assert_array_equal(want, [-5.0, -1.0, 2.0])  # NaN >= -1 is False: x1
    assert np.all(exact < 1e-14)  # a few roundings: well-conditioned
    assert np.isinf(assumed[0]) and np.all(assumed[1:] < 1e-14)  # only where x2 is -inf
    inputs = [x0.sym, x1.sym, x2.sym]
    plain = theano.function(inputs, out.sym, mode=theano.Mode("py", None))
    rewritten = theano.function(inputs, out.sym, mode="FAST_COMPILE")
    got_plain, got_rewritten = plain(*values.values()), rewritten(*values.values())
    np.testing.assert_array_equal(got_plain, want)
    np.testing.assert_array_equal(got_rewritten, [-1.0, -1.0, 2.0])  # 0 >= -1: x0
    compare(got_rewritten, want, assumed, "float64", False, "rewritten")
    with pytest.raises(Mismatch):  # a wrong number where numpy's answer holds is caught
        compare(got_rewritten + [0, 1, 0], want, assumed, "float64", False, "off by one")
    with pytest.raises(Mismatch):  # and the exact bounds do not excuse the cancellation
        compare(got_rewritten, want, exact, "float64", True, "unrewritten")
