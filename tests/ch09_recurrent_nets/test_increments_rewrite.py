"""Sums of increments of zeros become one array incremented in turn, in place; constant
non-sequences go into the loop body (issue 15, item 5: the LSTM's backward step).

Each checked against numpy on generated slices (hypothesis), and the rewrites are
seen to fire."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as theano
import minitheano.tensor as T
from minitheano.graph.basic import Constant
from minitheano.rewrite import rewrite_record
from minitheano.scan.op import Scan
from minitheano.tensor.subtensor import IncSubtensor

COLS = 6
# At most 5 terms of size O(1), each rounded to ~1e-16: the sum is good to this.
SUM_ROUNDING = 1e-14


@st.composite
def column_slices(draw):
    """2-4 column slices of a COLS-wide matrix, overlapping or not."""
    slices = []
    for _ in range(draw(st.integers(2, 4))):
        a = draw(st.integers(0, COLS - 1))
        b = draw(st.integers(a + 1, COLS))
        slices.append(slice(a, b))
    return slices


@settings(max_examples=20, deadline=None)
@given(column_slices(), st.booleans(), st.integers(0, 2**31 - 1))
def test_sum_of_increments_of_zeros_against_numpy(slices, with_base, seed):
    rng = np.random.default_rng(seed)
    a = T.dmatrix("a")
    ys = [T.dmatrix(f"y{k}") for k in range(len(slices))]
    terms = [T.inc_subtensor(T.zeros_like(a)[:, s], y) for s, y in zip(slices, ys)]
    total = sum(terms[1:], a * 2 if with_base else terms[0])
    if with_base:
        total = total + terms[0]
    f = theano.function([a, *ys], total, on_unused_input="ignore")
    av = rng.normal(size=(3, COLS))
    yv = [rng.normal(size=(3, s.stop - s.start)) for s in slices]
    before = [v.copy() for v in [av, *yv]]
    got = f(av, *yv)
    parts = []
    for s, y in zip(slices, yv):
        z = np.zeros_like(av)
        z[:, s] += y
        parts.append(z)
    want = sum(parts[1:], av * 2 if with_base else parts[0])
    if with_base:
        want = want + parts[0]
    # The rewrite adds the same terms in another order: where they cancel, the
    # rounding (a few ulp of the O(1) terms) is large relative to the result.
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=SUM_ROUNDING)
    for v, b in zip([av, *yv], before):  # no caller array written in place
        np.testing.assert_array_equal(v, b)
    assert rewrite_record(f).counts["add_of_increments"] >= 1


def test_the_gradient_of_gate_slices_adds_into_one_array_in_place():
    x = T.dmatrix("x")
    gates = [T.tanh(x[:, 0:2]), T.exp(x[:, 2:4]) * 3, T.sqr(x[:, 4:6])]
    g = T.grad(sum(gate.sum() for gate in gates), x)
    f = theano.function([x], g)
    xv = np.random.default_rng(1).normal(size=(4, 6))
    want = np.c_[1 - np.tanh(xv[:, :2]) ** 2, 3 * np.exp(xv[:, 2:4]), 2 * xv[:, 4:]]
    np.testing.assert_allclose(f(xv), want, rtol=1e-13)
    nodes = f.maker.fgraph.toposort()
    incs = [n for n in nodes if isinstance(n.op, IncSubtensor)]
    assert len(incs) == 3 and sum(n.op.inplace for n in incs) >= 2
    assert not any(str(n.op).startswith("Elemwise{add") for n in nodes)


def test_an_input_is_never_incremented_in_place():
    x, y = T.dmatrix("x"), T.dvector("y")
    f = theano.function([x, y], T.inc_subtensor(x[0], y))
    xv, yv = np.ones((2, 3)), np.arange(3.0)
    np.testing.assert_array_equal(f(xv, yv), [[1, 2, 3], [1, 1, 1]])
    np.testing.assert_array_equal(xv, np.ones((2, 3)))


def test_a_constant_non_sequence_goes_into_the_body():
    h0, w = T.dvector("h0"), T.dvector("w")
    k = T.constant(np.array(0.5))
    h, _ = theano.scan(lambda hp, c: T.tanh(hp * w + c), outputs_info=h0,
                       non_sequences=[k], n_steps=4)
    f = theano.function([h0, w], h)
    h0v, wv = np.array([0.1, -0.2]), np.array([1.5, 0.7])
    want, hv = [], h0v
    for _ in range(4):
        hv = np.tanh(hv * wv + 0.5)
        want.append(hv)
    np.testing.assert_allclose(f(h0v, wv), want, rtol=1e-13)
    (scan,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    assert not any(isinstance(v, Constant) for v in scan.inputs[1:]
                   if v.ndim == 0 and v.dtype == "float64")
