"""x[:n] -> x when n is x's own length (rewrite/shape.py `useless_slice`, issue 15): a
scan's sequence windows make X[:X.shape[0]] and dot(X, W)[:X.shape[0]].  Checked: the
slices go, others stay (a shorter stop, a start, a step, a length of another array), and
generated slices of generated shapes give numpy's values with and without rewrites."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as theano
import minitheano.tensor as T
from minitheano.tensor.subtensor import Subtensor

NO_REWRITES = theano.Mode("py", None)


def slices(f) -> list:
    return [node for node in f.maker.fgraph.toposort() if isinstance(node.op, Subtensor)
            and isinstance(node.op.idx_list[0], slice)]


def test_a_slice_to_its_own_length_goes_through_a_product_too():
    X, W = T.dmatrix("X"), T.dmatrix("W")
    n = X.shape[0]
    f = theano.function([X, W], [X[:n] * 2, T.dot(X[:n], W)[:n], T.dot(X, W)[0:n]])
    assert slices(f) == []
    x, w = np.arange(6.0).reshape(3, 2), np.ones((2, 4))
    a, b, c = f(x, w)
    np.testing.assert_array_equal(a, x * 2)
    np.testing.assert_array_equal(b, x @ w)
    np.testing.assert_array_equal(c, x @ w)


def test_other_slices_stay():
    X, Y = T.dmatrix("X"), T.dmatrix("Y")
    n = X.shape[0]
    f = theano.function([X, Y], [X[:n - 1], X[1:n], X[:n:2], Y[:n], X.T[:n]])
    assert len(slices(f)) == 5
    x, y = np.arange(12.0).reshape(4, 3), np.arange(10.0).reshape(5, 2)
    for got, want in zip(f(x, y), [x[:3], x[1:4], x[:4:2], y[:4], x.T[:4]]):
        np.testing.assert_array_equal(got, want)


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(0, 4), cols=st.integers(1, 4), other=st.integers(0, 5),
       stop=st.sampled_from(["x0", "x1", "y0", "x0-1", "3"]), through_dot=st.booleans())
def test_generated_slices_against_numpy(rows, cols, other, stop, through_dot):
    X, Y = T.dmatrix("X"), T.dmatrix("Y")
    lengths = {"x0": X.shape[0], "x1": X.shape[1], "y0": Y.shape[0], "x0-1": X.shape[0] - 1,
               "3": 3}
    base = T.dot(X, X.T) if through_dot else X
    out = base[:lengths[stop]] + 1
    r = np.random.default_rng(rows * 10 + cols)
    x, y = r.normal(size=(rows, cols)), r.normal(size=(other, 2))
    ref_base = x @ x.T if through_dot else x
    ref_stop = {"x0": rows, "x1": cols, "y0": other, "x0-1": rows - 1, "3": 3}[stop]
    expected = ref_base[:ref_stop] + 1
    for mode in ("FAST_RUN", NO_REWRITES):
        got = theano.function([X, Y], out, mode=mode, on_unused_input="ignore")(x, y)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
