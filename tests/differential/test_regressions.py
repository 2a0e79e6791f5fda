"""Mismatches the differential tests found, each kept as a named test (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

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
