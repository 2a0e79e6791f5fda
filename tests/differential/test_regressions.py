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
