"""Huge allocations fail with an error that names the shape (issue 16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, error, words", [
    ((10**6, 10**6), MemoryError, "7450.6 GiB of float64"),  # 10^12 elements
    ((2**40, 2**40), ValueError, "more than an array can hold"),  # 2^80: overflows int64
    ((2**31, 2**31, 2**31), ValueError, "more than an array can hold"),
    ((-1, 3), ValueError, "a negative length"),
])
def test_huge_alloc_names_its_shape(mode, shape, error, words):
    n, m = T.lscalar("n"), T.lscalar("m")
    dims = [n, m] + [T.constant(np.int64(s)) for s in shape[2:]]
    f = theano.function([n, m], T.alloc(np.float64(0.5), *dims), mode=mode)
    with pytest.raises(error, match=words) as info:
        f(shape[0], shape[1])
    assert str(tuple(shape)) in str(info.value)
    if len(shape) == 2:
        assert f(2, 3).shape == (2, 3)  # the function is still usable


@pytest.mark.parametrize("mode", MODES)
def test_huge_constant_shape(mode):
    """A constant shape may be folded while compiling: the error still names it."""
    with pytest.raises(MemoryError, match=r"\(1000000, 1000000\)"):
        theano.function([], T.zeros((10**6, 10**6)), mode=mode)()


def test_alloc_of_an_empty_shape_with_a_huge_length():
    """numpy refuses (0, 2**62) float32 too (its strides would overflow): named."""
    n = T.lscalar("n")
    f = theano.function([n], T.alloc(np.float32(1), n, 2**62))
    with pytest.raises(ValueError, match=r"\(0, 4611686018427387904\)"):
        f(0)


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    pytest.skip("no /proc/self/status here")


@pytest.mark.parametrize("calls", [10**5, pytest.param(10**6, marks=pytest.mark.slow)])
def test_many_calls_do_not_leak(calls):
    """A C function called again and again keeps its memory: the arrays it returns
    are freed or reused (an unbounded leak of even 16 bytes a call would show)."""
    x, y = T.dvectors("x", "y")
    f = theano.function([x, y], [T.exp(x) * y + 1, (x * y).sum()])
    a, b = np.arange(8.0), np.ones(8)
    for _ in range(10**4):  # warm up: buffers, caches, free lists
        f(a, b)
    before = rss_bytes()
    for _ in range(calls):
        out, total = f(a, b)
    grown = rss_bytes() - before
    assert grown < 16 * calls / 4 + 2**20, f"{grown} bytes more after {calls} calls"
    np.testing.assert_allclose(out, np.exp(a) + 1)
    assert total == a.sum()
