"""The versions of an elementwise loop's inner run: contiguous, with inputs
stretched along it (stride 0: a column bias), strided; and the OpenMP split of
large runs (config.openmp).  Each must give what numpy gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as th
from minitheano import tensor as T
from minitheano.config import config
from minitheano.link.c import build, library
from minitheano.link.c.loops import OPENMP_MIN_SIZE

pytestmark = pytest.mark.skipif(build.compiler_problem() is not None, reason="no C compiler")


@pytest.fixture(scope="module")
def column_bias():
    x, c = T.matrix("x"), T.col("c")
    return th.function([x, c], T.tanh(x + c) * c)


def test_a_column_bias_is_read_once_per_run(column_bias):
    source, _ = library.module_of(column_bias.maker.fgraph)
    assert "s1 == 0" in source  # the version for the stretched input


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 9), cols=st.integers(1, 40), order=st.sampled_from("CF"),
       step=st.sampled_from([1, 2]), seed=st.integers(0, 2**16))
def test_column_bias_in_every_layout(column_bias, rows, cols, order, step, seed):
    """x in C or Fortran order, or every other column; c a column: the stretched
    version, the contiguous one (one column) and the strided one all agree with numpy."""
    rng = np.random.default_rng(seed)
    x = np.asarray(rng.normal(size=(rows, cols * step)), order=order)[:, ::step]
    c = rng.normal(size=(rows, 1)) * 3
    x_before, c_before = x.copy(), c.copy()
    np.testing.assert_allclose(column_bias(x, c), np.tanh(x + c) * c, rtol=1e-15, atol=1e-300)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(c, c_before)


@pytest.fixture(scope="module")
def with_openmp():
    x, y = T.vector("x"), T.vector("y")
    i, j = T.ivector("i"), T.ivector("j")
    # vecmath's exp: the same bits in any vector width (glibc's vector exp and its
    # scalar exp, which a loop's remainder may call, can differ in the last bit)
    with config.change_flags(openmp=True, vector_math="polynomial"):
        fused = th.function([x, y], x * y + T.exp(-x) * T.tanh(y) - T.sqrt(abs(x)))
        power = th.function([i, j], i ** j)
        source, _ = library.module_of(fused.maker.fgraph)
    assert "omp parallel for simd" in source and "-fopenmp" not in build.flags()
    x, y = T.vector("x"), T.vector("y")
    with config.change_flags(vector_math="polynomial"):
        alone = th.function([x, y], x * y + T.exp(-x) * T.tanh(y) - T.sqrt(abs(x)))
    return fused, power, alone


@pytest.mark.parametrize("n", [10, OPENMP_MIN_SIZE + 1001])
def test_openmp_gives_the_same_bits(with_openmp, n):
    """Split across threads or not, every element is computed by the same code."""
    fused, _, alone = with_openmp
    rng = np.random.default_rng(n)
    a, b = rng.normal(size=n), rng.normal(size=n)
    a[::97] = np.nan
    np.testing.assert_array_equal(fused(a, b), alone(a, b))


def test_openmp_still_reports_an_error_found_by_any_thread(with_openmp):
    _, power, _ = with_openmp
    i = np.full(OPENMP_MIN_SIZE * 2, 3, dtype="int32")
    j = np.ones_like(i)
    j[-5] = -1  # in the second half: the second thread's
    with pytest.raises(ValueError, match="negative integer powers"):
        power(i, j)
    j[-5] = 2
    np.testing.assert_array_equal(power(i, j), i ** j)
