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
