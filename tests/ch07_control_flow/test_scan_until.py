"""while loops: a step that returns `until(condition)` ends the loop after that step;
each case against a numpy loop, in FAST_RUN and as written (chapter 7)."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan import Scan, until

AS_WRITTEN = theano.Mode("py", None)
rng = np.random.default_rng(17)


def both_modes(inputs, outputs, **kwargs):
    return [theano.function(inputs, outputs, mode=mode, **kwargs)
            for mode in (None, AS_WRITTEN)]


def test_theano_docs_powers_of_two():
    def power_of_2(previous_power, max_value):
        return previous_power * 2, theano.scan_module.until(previous_power * 2 > max_value)

    max_value = T.dscalar("max_value")
    values, _ = theano.scan(power_of_2, outputs_info=T.constant(1.0),
                            non_sequences=max_value, n_steps=1024)
    for f in both_modes([max_value], values):
        np.testing.assert_array_equal(f(45), [2, 4, 8, 16, 32, 64])
        np.testing.assert_array_equal(f(1), [2])          # true at the first step
    few, _ = theano.scan(power_of_2, outputs_info=T.constant(1.0),
                         non_sequences=max_value, n_steps=5)
    for f in both_modes([max_value], few):
        np.testing.assert_array_equal(f(1e6), [2, 4, 8, 16, 32])  # never true: n_steps


def test_a_sequence_read_until_a_running_total_passes_a_limit():
    x, limit = T.dvector("x"), T.dscalar("limit")
    (total, seen), _ = theano.scan(lambda v, acc: [acc + v, v * 10, until(acc + v > limit)],
                                   sequences=x, outputs_info=[T.constant(0.0), None])
    data = rng.uniform(0, 1, size=20)
    for f in both_modes([x, limit], [total, seen, total[-1], total.shape[0]]):
        for lim in (0.0, 3.0, 100.0):
            got_total, got_seen, last, steps = f(data, lim)
            running = np.cumsum(data)
            n = min(int(np.argmax(running > lim)) + 1 if (running > lim).any() else 20, 20)
            np.testing.assert_allclose(got_total, running[:n])
            np.testing.assert_allclose(got_seen, data[:n] * 10)
            assert last == pytest.approx(running[n - 1]) and steps == n


def test_going_backwards_stops_early_too():
    x = T.dvector("x")
    h, _ = theano.scan(lambda v, acc: [acc + v, until(acc + v > 10)], sequences=x,
                       outputs_info=T.constant(0.0), go_backwards=True)
    for f in both_modes([x], h):
        np.testing.assert_array_equal(f(np.arange(10.0)), [9, 17])  # 9, then 9 + 8


def test_fibonacci_with_two_taps_until_it_passes_100():
    init = T.lvector("init")
    fib, _ = theano.scan(lambda a, b: [a + b, until(a + b > 100)],
                         outputs_info=dict(initial=init, taps=[-2, -1]), n_steps=50)
    expected, (a, b) = [], (0, 1)
    while not expected or expected[-1] <= 100:
        a, b = b, a + b
        expected.append(b)
    for f in both_modes([init], fib):
        np.testing.assert_array_equal(f([0, 1]), expected)


def test_shared_updates_count_only_the_steps_taken():
    counter = theano.shared(np.int64(0), name="counter")
    h0, n = T.dscalar("h0"), T.lscalar("n")

    def step(h):
        return h * 3, {counter: counter + 1}, until(h * 3 > 50)

    h, updates = theano.scan(step, outputs_info=h0, n_steps=n)
    f = theano.function([h0, n], h, updates=updates)
    np.testing.assert_array_equal(f(1.0, 10), [3, 9, 27, 81])
    assert counter.get_value() == 4
    np.testing.assert_array_equal(f(1.0, 2), [3, 9])
    assert counter.get_value() == 6
    assert len(f(1.0, 0)) == 0 and counter.get_value() == 6


def test_a_step_returning_only_updates_and_until():
    total = theano.shared(0.0, name="total")
    x = T.dvector("x")
    out, updates = theano.scan(lambda v: ({total: total + v}, until(total + v > 2.5)),
                               sequences=x)
    assert out is None
    f = theano.function([x], [], updates=updates)
    f(np.ones(10))
    assert total.get_value() == 3.0


def test_the_condition_may_read_captured_variables():
    limit = T.dscalar("limit")  # not passed in non_sequences: found in the graph
    h, _ = theano.scan(lambda h: [h + 1.0, until(h + 1.0 >= limit)],
                       outputs_info=T.constant(0.0), n_steps=100)
    f = theano.function([limit], h)
    np.testing.assert_array_equal(f(3.0), [1, 2, 3])


def test_rewrites_leave_a_while_loop_as_written():
    x = T.dvector("x")
    h, _ = theano.scan(lambda v, acc: [acc * 0.5 + v, until(acc > 1.0)],
                       sequences=x, outputs_info=T.constant(0.0))
    f = theano.function([x], h[-1])
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    assert node.op.until and node.op.keep_last == (False,)
    data = rng.uniform(0.5, 1.5, size=30)
    acc, expected = 0.0, None
    for v in data:
        stop = acc > 1.0
        acc = acc * 0.5 + v
        expected = acc
        if stop:
            break
    assert f(data) == pytest.approx(expected)


def test_until_forms_and_errors():
    h0 = T.dscalar("h0")
    with pytest.raises(TypeError, match="the condition must be a scalar"):
        until(T.dvector("v") > 0)
    with pytest.raises(TypeError, match=r"returned until\(\.\.\.\) in the wrong place"):
        theano.scan(lambda h: [until(h > 0), h + 1], outputs_info=h0, n_steps=3)
    with pytest.raises(ValueError, match="with until"):
        theano.scan(lambda h: [h + 1, until(h > 0)], outputs_info=h0)


def test_buffers_grow_with_the_steps_taken_not_with_n_steps():
    import tracemalloc

    init = T.dmatrix("init")
    # Two taps, and an output not fed back: every kind of history buffer grows.
    (x, y), _ = theano.scan(lambda a, b: [a + b, (a * b).sum(), until(T.sum(b) > 1e45)],
                            outputs_info=[dict(initial=init, taps=[-2, -1]), None],
                            n_steps=10 ** 9)  # a bound, not an allocation
    start = rng.uniform(0, 1, size=(2, 50))
    a, b, xs, ys = start[0], start[1], [], []
    for _ in range(1000):
        xs.append(a + b)
        ys.append((a * b).sum())
        stop = b.sum() > 1e45
        a, b = b, xs[-1]
        if stop:
            break
    assert len(xs) > 200  # several doublings of the first 64 rows
    for f in both_modes([init], [x, y]):
        tracemalloc.start()
        got_x, got_y = f(start)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        np.testing.assert_allclose(got_x, xs, rtol=1e-12)
        np.testing.assert_allclose(got_y, ys, rtol=1e-12)
        assert peak < 20 * len(xs) * 50 * 8  # rows taken, not 10**9
