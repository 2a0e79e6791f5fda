"""The compiled loop (chapter 9) against chapter 7's Python loop: the same values and
gradients, on generated bodies (chapter 7's generator, test_scan_generated.py) and on named
cases (taps, several outputs, outputs not fed back, shared variables, 0 and 1 steps, going
backwards, until, the recurrent layers of this chapter), and a fall back to Python that
says why."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ch07_control_flow"))
from ch07_unrolled import _cost_weights, weighted_cost  # noqa: E402
from test_scan_generated import bodies, build_loop  # noqa: E402

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan import until
from minitheano.scan.op import Scan

GENERATED_BODIES = 25
TOL = {"float64": 1e-12, "float32": 1e-5}


def both_loops(inputs, outputs, **kwargs):
    """The function compiled with the compiled loop, and with the Python loop only."""
    compiled = theano.function(inputs, outputs, mode="FAST_RUN", **kwargs)
    with theano.config.change_flags(**{"scan.compiled_loop": False}):
        python = theano.function(inputs, outputs, mode="FAST_RUN", **kwargs)
    return compiled, python


def scans(f) -> list:
    return [node.op for node in f.maker.fgraph.toposort() if isinstance(node.op, Scan)]


def steps_in_c(f) -> int:
    return sum(op.loop.steps_in_c for op in scans(f) if op.loop is not None)


def assert_same(got, want, dtype="float64", what=""):
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{what} result {k}: shape {a.shape} != {b.shape}"
        scale = max(1.0, float(np.abs(b).max(initial=0.0)))
        np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=TOL[dtype] * scale,
                                   err_msg=f"{what} result {k}")


def check_loops_agree(inputs, values, outputs, wrt, dtype="float64", min_steps_in_c=1):
    """Values and gradients (of a weighted cost) of both loops agree, and the compiled
    loop ran at least `min_steps_in_c` steps in C."""
    compiled, python = both_loops(inputs, outputs, on_unused_input="ignore")
    want = python(*values)
    weights = _cost_weights(want)
    cost = weighted_cost(outputs, weights)
    grads = T.grad(cost, wrt, disconnected_inputs="ignore")
    g_compiled, g_python = both_loops(inputs, grads, on_unused_input="ignore")
    assert_same(compiled(*values), want, dtype, "value")
    assert_same(g_compiled(*values), g_python(*values), dtype, "gradient")
    # Twice: the second call reuses the first one's buffers.
    assert_same(compiled(*values), want, dtype, "value, second call")
    assert steps_in_c(compiled) + steps_in_c(g_compiled) >= min_steps_in_c
    return compiled, g_compiled


# -- generated bodies ------------------------------------------------------------------
@settings(max_examples=GENERATED_BODIES, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(bodies())
def test_generated_bodies_agree(body):
    loop = build_loop(body)
    outputs = loop.scan_outputs()
    values = loop.values
    compiled, python = both_loops(loop.inputs, outputs, on_unused_input="ignore")
    want = python(*values)
    assert_same(compiled(*values), want, body.dtype, "value")
    cost = weighted_cost(outputs, _cost_weights(want))
    grads = T.grad(cost, list(loop.inputs) + list(loop.shared), disconnected_inputs="ignore")
    g_compiled, g_python = both_loops(loop.inputs, grads, on_unused_input="ignore")
    assert_same(g_compiled(*values), g_python(*values), body.dtype, "gradient")


@pytest.mark.slow
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(bodies())
def test_generated_bodies_agree_many(body):
    test_generated_bodies_agree.hypothesis.inner_test(body)


def test_generated_bodies_mostly_compile():
    """Most generated bodies do run in C (else the test above would prove little)."""
    ran = []

    @settings(max_examples=10, derandomize=True, phases=[Phase.generate],
              suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(bodies())
    def count(body):
        loop = build_loop(body)
        f = theano.function(loop.inputs, loop.scan_outputs(), on_unused_input="ignore")
        f(*loop.values)
        if body.n_steps > 1 and body.stop_at is None:  # else it may take one step: none in C
            ran.append(steps_in_c(f) == body.n_steps - 1)

    count()
    assert len(ran) >= 3 and sum(ran) >= 0.75 * len(ran), ran  # all 4 of these


# -- named cases ---------------------------------------------------------------------
rng = np.random.default_rng(7)


def test_taps_and_sequence_offsets():
    x, h0 = T.dmatrix("x"), T.dmatrix("h0")
    W = theano.shared(rng.normal(size=(3, 3)) / 3, name="W")

    def step(x_prev, x_now, x_ahead, h2, h1):
        return T.tanh(T.dot(h1, W) + 0.5 * h2 + x_prev * x_ahead + x_now)

    h, _ = theano.scan(step, sequences=dict(input=x, taps=[-1, 0, 2]),
                       outputs_info=dict(initial=h0, taps=[-2, -1]))
    xs, h0s = rng.normal(size=(12, 3)), rng.normal(size=(2, 3))
    compiled, _ = check_loops_agree([x, h0], [xs, h0s], [h], [x, h0, W], min_steps_in_c=8)
    # and against numpy
    hs = list(h0s)
    for t in range(9):
        hs.append(np.tanh(hs[-1] @ W.get_value() + 0.5 * hs[-2] + xs[t] * xs[t + 3]
                          + xs[t + 1]))
    np.testing.assert_allclose(compiled(xs, h0s)[0], np.array(hs[2:]), rtol=1e-12)


def test_several_outputs_and_outputs_not_fed_back():
    x, a0, b0 = T.dmatrix("x"), T.dvector("a0"), T.dvector("b0")

    def step(x_t, a, b):
        new_a = T.tanh(a * x_t + b)
        new_b = T.nnet.sigmoid(new_a - b)
        return new_a, new_b, new_a.sum() * x_t, (new_b ** 2).sum()

    outs, _ = theano.scan(step, sequences=x, outputs_info=[a0, b0, None, None])
    values = [rng.normal(size=(7, 4)), rng.normal(size=4), rng.normal(size=4)]
    check_loops_agree([x, a0, b0], values, outs, [x, a0, b0], min_steps_in_c=6)


def test_last_step_only_and_going_backwards():
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    W = theano.shared(rng.normal(size=(4, 4)) / 2, name="W")
    h, _ = theano.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, W)), sequences=x,
                       outputs_info=[h0], go_backwards=True)
    values = [rng.normal(size=(9, 4)), rng.normal(size=4)]
    check_loops_agree([x, h0], values, [h[-1]], [x, h0, W], min_steps_in_c=8)


def test_shared_variable_the_loop_updates():
    acc = theano.shared(np.zeros(3), name="acc")
    x = T.dmatrix("x")
    _, updates = theano.scan(lambda x_t: {acc: acc * 0.5 + x_t}, sequences=x)
    xs = rng.normal(size=(6, 3))
    compiled, python = both_loops([x], [], updates=updates)
    compiled(xs)
    got = acc.get_value()
    acc.set_value(np.zeros(3))
    python(xs)
    np.testing.assert_allclose(got, acc.get_value(), rtol=1e-14)
    assert steps_in_c(compiled) == 5


@pytest.mark.parametrize("n", [0, 1, 2])
def test_zero_one_and_two_steps(n):
    h0, k = T.dvector("h0"), T.iscalar("k")
    W = theano.shared(rng.normal(size=(3, 3)), name="W")
    h, _ = theano.scan(lambda h: T.tanh(T.dot(W, h)), outputs_info=[h0], n_steps=k)
    compiled, python = both_loops([h0, k], h)
    h0s = rng.normal(size=3)
    assert_same([compiled(h0s, n)], [python(h0s, n)])
    assert compiled(h0s, n).shape == (n, 3)
    assert steps_in_c(compiled) == 2 * max(0, n - 1)  # two calls; steps_in_c never counts step 0


def test_until_stops_in_c_and_beyond_the_first_buffers():
    h0, limit = T.dscalar("h0"), T.dscalar("limit")
    h, _ = theano.scan(lambda h: [h + 1.0, until(h + 1.0 >= limit)], outputs_info=[h0],
                       n_steps=1000)
    compiled, python = both_loops([h0, limit], h)
    for stop in (5, 150):  # 150 steps: more than the first buffers hold
        before = steps_in_c(compiled)
        assert_same([compiled(0.0, stop)], [python(0.0, stop)])
        assert steps_in_c(compiled) - before == stop - 1  # all but step 0
        assert len(compiled(0.0, stop)) == stop


def test_float32():
    x, h0 = T.fmatrix("x"), T.fvector("h0")
    W = theano.shared(rng.normal(size=(5, 5)).astype("float32") / 3, name="W")
    h, _ = theano.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, W)), sequences=x,
                       outputs_info=[h0])
    values = [rng.normal(size=(6, 5)).astype("float32"), rng.normal(size=5).astype("float32")]
    check_loops_agree([x, h0], values, [h], [x, h0, W], dtype="float32", min_steps_in_c=5)


@pytest.mark.parametrize("layer_name", ["SimpleRNN", "LSTM", "GRU"])
def test_chapter9_layers_compile_forward_and_backward(layer_name):
    from minitheano.examples import recurrent

    layer = getattr(recurrent, layer_name)(np.random.default_rng(3), 4, 6, dtype="float64")
    x = T.tensor3("x")
    h = layer(x)
    xs = rng.normal(size=(5, 3, 4))
    compiled, g_compiled = check_loops_agree([x], [xs], [h], [x, *layer.params],
                                             min_steps_in_c=8)
    kinds = [op.loop_kind for op in scans(compiled) + scans(g_compiled)]
    assert kinds and all(k == "compiled loop" for k in kinds), kinds


def test_a_step_that_fails_in_c_is_run_again_in_python_and_explained():
    x, h0 = T.lvector("x"), T.lscalar("h0")
    h, _ = theano.scan(lambda x_t, h: h + x_t ** (x_t - 3), sequences=x, outputs_info=[h0])
    f = theano.function([x, h0], h)
    assert f(np.array([3, 4, 5, 6]), 0).tolist() == [1, 5, 30, 246]
    with pytest.raises(ValueError, match="iteration 2"):
        f(np.array([3, 4, 1, 6]), 0)  # 1 ** -2: negative integer powers are an error


def test_the_name_says_which_loop_and_why():
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    h, _ = theano.scan(lambda x_t, h: T.tanh(x_t * h), sequences=x, outputs_info=[h0])
    assert "compiled loop" in str(scans(theano.function([x, h0], h))[0])
    # T.arange has no C: the loop stays in Python and its name says why
    r, _ = theano.scan(lambda x_t, h: x_t * h * T.arange(h.shape[0]), sequences=x,
                       outputs_info=[h0])
    op = scans(theano.function([x, h0], r))[0]
    assert "python loop: " in str(op) and "has no C" in str(op)
    with theano.config.change_flags(**{"scan.compiled_loop": False}):
        op = scans(theano.function([x, h0], h))[0]
    assert "config.scan.compiled_loop is off" in str(op)
    f = theano.function([x, h0], h, mode="FAST_COMPILE")
    assert "python loop" in str(scans(f)[0])


def test_the_program_is_reused_or_rewritten_as_the_arrays_change():
    x, h0 = T.tensor3("x"), T.dmatrix("h0")
    W = theano.shared(rng.normal(size=(4, 4)) / 2, name="W")
    h, _ = theano.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, W)), sequences=x,
                       outputs_info=[h0])
    compiled, python = both_loops([x, h0], h)
    (op,) = scans(compiled)

    def check(xs, h0s):
        assert_same([compiled(xs, h0s)], [python(xs, h0s)])
        return op.loop.program

    first = check(rng.normal(size=(6, 3, 4)), rng.normal(size=(3, 4)))
    assert check(rng.normal(size=(6, 3, 4)), rng.normal(size=(3, 4))) is first
    assert check(rng.normal(size=(9, 3, 4)), rng.normal(size=(3, 4))) is not first  # longer
    wider = check(rng.normal(size=(6, 5, 4)), rng.normal(size=(5, 4)))  # another batch
    strided = check(rng.normal(size=(12, 5, 4))[::2], rng.normal(size=(5, 4)))
    assert strided is not wider
    assert op.loop.steps_in_c == 4 * 5 + 8  # step 0 of each call runs in Python


def test_slices_set_and_incremented_in_the_body():
    x, h0 = T.dmatrix("x"), T.dmatrix("h0")

    def step(x_t, h):
        h = T.set_subtensor(h[:, 0:2], T.tanh(h[:, 1:3] + x_t[0:2]))
        return T.inc_subtensor(h[1:, 2:], x_t[2:] * h[:-1, :2])

    h, _ = theano.scan(step, sequences=x, outputs_info=[h0])
    values = [rng.normal(size=(6, 4)), rng.normal(size=(3, 4))]
    check_loops_agree([x, h0], values, [h], [x, h0], min_steps_in_c=5)


def test_a_reversed_sequence():
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    W = theano.shared(rng.normal(size=(3, 3)) / 2, name="W")
    h, _ = theano.scan(lambda x_t, h: T.tanh(x_t + T.dot(W, h)), sequences=x,
                       outputs_info=[h0])
    compiled, python = both_loops([x, h0], h)
    xs, h0s = rng.normal(size=(7, 3))[::-1], rng.normal(size=3)  # negative strides
    assert_same([compiled(xs, h0s)], [python(xs, h0s)])
    assert steps_in_c(compiled) == 6
