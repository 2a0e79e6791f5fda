"""Backpropagation through time without guards (chapter 9, issue 15): the gradient of a
non-sequence and of an initial state is the *final value* of a backward-loop state,
join(0, start[None], history)[-1], which is its start (zero) after no step.  No
`ifelse(n > 0)` is left in the compiled graph (it made the function a lazy VM and
kept the weight gradient's Gemm from writing in place), and the gradients stay exact
at 0 steps, against finite differences: generated loops (lengths 0-4, forwards and
backwards, two taps, FAST_RUN and FAST_COMPILE) and while loops (until) that stop
at once, early, or never start."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ch07_control_flow"))
from ch07_unrolled import finite_differences  # noqa: E402

import minitheano as theano
import minitheano.tensor as T
from minitheano.ifelse import IfElse
from minitheano.scan import until
from minitheano.scan.grad import final_value
from minitheano.scan.op import FINAL, Scan

N_IN, N_HID, BATCH = 3, 2, 2
EPS = 1e-6


def ops(f) -> list:
    return [node.op for node in f.maker.fgraph.toposort()]


def check_gradients(f, cost, arrays: list[np.ndarray]) -> None:
    """f(*arrays)'s gradients against central differences of cost(*arrays); the
    arrays are not modified."""
    before = [a.copy() for a in arrays]
    grads = f(*arrays)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    expected = finite_differences(lambda: cost(*arrays), arrays, EPS)
    for g, e, a in zip(grads, expected, arrays):
        assert g.shape == a.shape
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7)
        assert not np.may_share_memory(g, a)


def rnn(backwards: bool, two_taps: bool):
    """h[t] = tanh(x[t] W + (h[t-1] + h[t-2] / 2) U) on a batch; the cost of every
    state, and of W outside the loop (so that its gradient is not the loop's alone).
    (A batch: the weights' gradients are sums of matrices, which stay in the loop.)"""
    X, h0, W, U = T.dtensor3("X"), T.dtensor3("h0"), T.dmatrix("W"), T.dmatrix("U")
    if two_taps:
        h, _ = theano.scan(lambda x, h2, h1: T.tanh(T.dot(x, W) + T.dot(h1 + 0.5 * h2, U)),
                           sequences=X, outputs_info=dict(initial=h0, taps=[-2, -1]),
                           go_backwards=backwards)
    else:
        h, _ = theano.scan(lambda x, h1: T.tanh(T.dot(x, W) + T.dot(h1, U)), sequences=X,
                           outputs_info=h0[0], go_backwards=backwards)
    cost = (h * h).sum() + h.sum() + (W * W).sum()
    return [X, h0, W, U], cost


FUNCTIONS: dict = {}


def compiled(mode: str, backwards: bool, two_taps: bool):
    """(gradient function, cost function), built once per case."""
    key = (mode, backwards, two_taps)
    if key not in FUNCTIONS:
        inputs, cost = rnn(backwards, two_taps)
        FUNCTIONS[key] = (theano.function(inputs, T.grad(cost, inputs), mode=mode),
                          theano.function(inputs, cost, mode=mode))
    return FUNCTIONS[key]


def values(n: int, seed: int) -> list[np.ndarray]:
    r = np.random.default_rng(seed)
    return [r.normal(size=(n, BATCH, N_IN)), r.normal(size=(2, BATCH, N_HID)),
            r.normal(size=(N_IN, N_HID)), r.normal(size=(N_HID, N_HID))]


def test_the_compiled_gradient_has_no_guard_and_keeps_final_values():
    grad, _ = compiled("FAST_RUN", False, False)
    assert not any(isinstance(op, IfElse) for op in ops(grad))
    backward = [op for op in ops(grad) if isinstance(op, Scan) and "grad_of" in str(op)]
    assert backward and FINAL in backward[0].keep_last


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
@pytest.mark.parametrize("backwards, two_taps", [(False, False), (True, True)])
def test_gradients_at_zero_one_and_more_steps(mode, backwards, two_taps):
    grad, cost = compiled(mode, backwards, two_taps)
    for n in (0, 1, 4):
        check_gradients(grad, cost, values(n, n))
    # After no step: zero for what only the loop reads, 2W for W.
    g_X, g_h0, g_W, g_U = grad(*values(0, 5))
    assert not g_h0.any() and not g_U.any() and g_X.shape == (0, BATCH, N_IN)
    np.testing.assert_allclose(g_W, 2 * values(0, 5)[2])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mode=st.sampled_from(["FAST_RUN", "FAST_COMPILE"]), backwards=st.booleans(),
       two_taps=st.booleans(), n=st.integers(0, 4), seed=st.integers(0, 2 ** 16))
def test_generated_loops_gradients_against_finite_differences(mode, backwards, two_taps, n,
                                                              seed):
    grad, cost = compiled(mode, backwards, two_taps)
    check_gradients(grad, cost, values(n, seed))


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_while_loop_gradients_that_stop_at_once_early_never_or_do_not_start(mode):
    x, w, h0 = T.dvector("x"), T.dscalar("w"), T.dscalar("h0")

    def step(v, h, w_):
        new = T.tanh(h * w_ + v)
        return new, until(new > 0.5)

    h, _ = theano.scan(step, sequences=x, outputs_info=h0, non_sequences=w)
    cost = (h * h).sum() + h.sum()
    inputs = [x, w, h0]
    grad = theano.function(inputs, T.grad(cost, inputs), mode=mode)
    value = theano.function(inputs, cost, mode=mode)
    if mode == "FAST_RUN":
        assert not any(isinstance(op, IfElse) for op in ops(grad))
        backward = [op for op in ops(grad) if isinstance(op, Scan) and "grad_of" in str(op)]
        assert FINAL in backward[0].keep_last
    for xs in ([0.9, 0.1], [0.1, 0.1, 0.2, 0.9, 0.1], [0.01] * 4, []):
        # (0.9: the first step stops; 0.1s then 0.9: the fourth; 0.01s: never.)
        check_gradients(grad, value, [np.array(xs, dtype=float), np.array(0.7),
                                      np.array(0.1)])
    g_x, g_w, g_h0 = grad(np.zeros(0), np.array(0.7), np.array(0.1))
    assert g_x.shape == (0,) and g_w == 0 and g_h0 == 0


@pytest.mark.parametrize("step, numpy_step, handed_back", [
    (lambda h: T.tanh(h * 0.5 + 1.0), lambda h: np.tanh(h * 0.5 + 1.0), True),  # new arrays
    (lambda h: h[::-1], lambda h: h[::-1], False),  # a view of the body's input: a buffer
])
def test_a_final_value_is_the_initial_one_after_no_step(step, numpy_step, handed_back):
    """final_value(h) = join(0, h0[None], h)[-1], the value of h after the loop, keeps
    one step of h (FINAL); after no step it is h0, in an array of the loop's own."""
    h0, n = T.dvector("h0"), T.iscalar("n")
    h, _ = theano.scan(step, outputs_info=h0, n_steps=n)
    final = final_value(h)
    f = theano.function([h0, n], final)
    (scan,) = [op for op in ops(f) if isinstance(op, Scan)]
    assert scan.keep_last == (FINAL,) and scan.loop.hand_back == [handed_back]
    as_written = theano.function([h0, n], final, mode=theano.Mode("py", None))
    start = np.array([0.5, -1.0, 2.0])
    for steps in (0, 1, 2, 5):
        expected = start
        for _ in range(steps):
            expected = numpy_step(expected)
        result = f(start, steps)
        np.testing.assert_allclose(result, expected, rtol=1e-14)
        np.testing.assert_allclose(as_written(start, steps), expected, rtol=1e-14)
        assert not np.may_share_memory(result, start)
    np.testing.assert_array_equal(start, [0.5, -1.0, 2.0])
