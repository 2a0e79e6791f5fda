"""The compiled loop's gemv multiplies by a copy of its matrix that starts on a cache line
(scan/aligned_copy.py, issue 15): the same states as a numpy loop for matrices starting
anywhere, stored transposed or not, float32 and float64; a matrix changed in place
between calls (an SGD step) is copied again; one of another shape gets a new program."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan.aligned_copy import CACHE_LINE, AlignedCopy, aligned_empty, needs_copy
from minitheano.scan.op import Scan
from minitheano.tensor.blas import address

TOL = {"float64": 1e-12, "float32": 1e-5}


def placed(value: np.ndarray, offset: int, transposed: bool = False) -> np.ndarray:
    """`value`, in memory that starts `offset` bytes after a cache line (C order, or
    stored transposed: a Fortran-order array of the same values)."""
    stored = value.T if transposed else value
    flat = aligned_empty((stored.size + CACHE_LINE,), value.dtype)
    start = offset // value.itemsize
    out = flat[start:start + stored.size].reshape(stored.shape)
    out[...] = stored
    return out.T if transposed else out


def rnn(W: np.ndarray, dtype: str):
    """h[t] = tanh(x[t] + h[t-1] . W): a step is one gemv."""
    X, h0 = T.matrix("X", dtype=dtype), T.vector("h0", dtype=dtype)
    Ws = theano.shared(W, borrow=True)
    h, _ = theano.scan(lambda x, h: T.tanh(x + T.dot(h, Ws)), sequences=X, outputs_info=h0)
    return theano.function([X, h0], h), Ws


def numpy_rnn(xs: np.ndarray, h0: np.ndarray, W: np.ndarray) -> np.ndarray:
    hs, h = [], h0
    for x in xs:
        h = np.tanh(x + h @ W)
        hs.append(h)
    return np.array(hs).reshape(len(xs), len(h0))


def the_program(f):
    (op,) = [n.op for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    return op.loop.program


def copies(f) -> list[AlignedCopy]:
    return [s for s in the_program(f).sources if isinstance(s, AlignedCopy)]


def test_aligned_empty_starts_on_a_cache_line_and_needs_copy_says_when():
    for shape in [(3,), (5, 7), (128, 128)]:
        a = aligned_empty(shape, np.float64)
        assert a.shape == shape and a.flags.c_contiguous and address(a) % CACHE_LINE == 0
    assert not needs_copy(placed(np.ones((8, 8)), 0))
    assert needs_copy(placed(np.ones((8, 8)), 16))
    assert not needs_copy(placed(np.ones((1024, 1024)), 16))  # 8 MB: from memory anyway


@pytest.mark.parametrize("offset, copied", [(0, False), (8, True), (16, True), (32, True)])
def test_a_matrix_off_a_cache_line_is_multiplied_from_an_aligned_copy(offset, copied):
    r = np.random.default_rng(offset)
    W = placed(r.normal(size=(16, 16)) / 4, offset)
    f, _ = rnn(W, "float64")
    xs, h0 = r.normal(size=(9, 16)), r.normal(size=16)
    for _ in range(3):  # the first call writes the program, the later ones bind it
        np.testing.assert_allclose(f(xs, h0), numpy_rnn(xs, h0, W), rtol=1e-12)
    assert len(copies(f)) == copied
    for copy in copies(f):
        assert address(copy.buffer) % CACHE_LINE == 0


def test_a_matrix_changed_in_place_between_calls_is_copied_again():
    r = np.random.default_rng(1)
    W = placed(r.normal(size=(12, 12)) / 4, 16)
    f, Ws = rnn(W, "float64")
    xs, h0 = r.normal(size=(6, 12)), r.normal(size=12)
    f(xs, h0)
    f(xs, h0)
    W -= 0.1 * r.normal(size=W.shape)  # an SGD step, in place (borrow=True)
    np.testing.assert_allclose(f(xs, h0), numpy_rnn(xs, h0, W), rtol=1e-12)
    Ws.set_value(placed(r.normal(size=(12, 12)) / 4, 8), borrow=True)  # another array
    np.testing.assert_allclose(f(xs, h0), numpy_rnn(xs, h0, Ws.get_value()), rtol=1e-12)


def test_a_matrix_of_another_shape_gets_a_new_program():
    r = np.random.default_rng(2)
    f, Ws = rnn(placed(r.normal(size=(12, 12)) / 4, 16), "float64")
    f(r.normal(size=(5, 12)), r.normal(size=12))
    f(r.normal(size=(5, 12)), r.normal(size=12))
    W = placed(r.normal(size=(7, 7)) / 4, 24)
    Ws.set_value(W, borrow=True)
    xs, h0 = r.normal(size=(5, 7)), r.normal(size=7)
    for _ in range(2):
        np.testing.assert_allclose(f(xs, h0), numpy_rnn(xs, h0, W), rtol=1e-12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 40), steps=st.integers(0, 6), offset=st.sampled_from([0, 8, 16, 24, 48]),
       transposed=st.booleans(), dtype=st.sampled_from(["float64", "float32"]),
       seed=st.integers(0, 2 ** 16))
def test_generated_matrices_against_a_numpy_loop(n, steps, offset, transposed, dtype, seed):
    r = np.random.default_rng(seed)
    offset -= offset % np.dtype(dtype).itemsize
    W = placed((r.normal(size=(n, n)) / np.sqrt(n)).astype(dtype), offset, transposed)
    before = W.copy()
    f, _ = rnn(W, dtype)
    xs, h0 = r.normal(size=(steps, n)).astype(dtype), r.normal(size=n).astype(dtype)
    want = numpy_rnn(xs.astype("float64"), h0.astype("float64"), W.astype("float64"))
    for _ in range(2):
        got = f(xs, h0)
        assert got.dtype == dtype and got.shape == (steps, n)
        np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])
    np.testing.assert_array_equal(W, before)  # the caller's matrix is not modified


def test_a_matrix_the_loop_updates_or_computes_is_not_copied():
    """Only a constant or a non-sequence keeps its values through the loop: a shared
    matrix the loop updates, or one a step computes, changes between steps."""
    r = np.random.default_rng(4)
    W0 = placed(r.normal(size=(6, 6)) / 3, 16)
    X, h0, s = T.dmatrix("X"), T.dvector("h0"), T.dvector("s")
    Ws = theano.shared(W0.copy(), borrow=True)

    def step(x, s_t, h):
        return T.tanh(x + T.dot(h, Ws) + T.dot(h, Ws * s_t)), {Ws: Ws * 0.9}

    h, updates = theano.scan(step, sequences=[X, s], outputs_info=h0)
    f = theano.function([X, s, h0], h, updates=updates)
    xs, ss, start = r.normal(size=(5, 6)), r.normal(size=5), r.normal(size=6)
    got = f(xs, ss, start)
    assert copies(f) == []
    W, hv, want = W0.copy(), start, []
    for x, s_t in zip(xs, ss):
        hv = np.tanh(x + hv @ W + hv @ (W * s_t))
        want.append(hv)
        W = W * 0.9
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12)
    np.testing.assert_allclose(Ws.get_value(), W, rtol=1e-12)
