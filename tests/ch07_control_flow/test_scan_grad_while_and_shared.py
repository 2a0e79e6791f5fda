"""The gradient of a while loop (until) and through shared variables the loop updates
(chapter 7): each against the unrolled loop and finite differences (ch07_unrolled.py),
in FAST_COMPILE and FAST_RUN."""

import numpy as np
import pytest
from ch07_unrolled import Loop, check_against_unrolled, finite_differences

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan import until

rng = np.random.default_rng(23)


def test_while_loop_gradient_runs_the_steps_taken_backwards():
    x, w = T.dvector("x"), T.dscalar("w")

    def step(v, acc, w_):
        new = T.tanh(acc * w_ + v)
        return [new, new * v], until(new > 0.8)

    loop = Loop(step, 8, [x, w], [rng.uniform(0.1, 0.4, size=8), np.float64(1.3)],
                sequences=x, outputs_info=[T.constant(0.1), None], non_sequences=w, stops=True)
    check_against_unrolled(loop)
    assert 1 < loop.taken < 8  # it did stop early


def test_while_loop_gradient_with_two_taps_going_backwards_and_n_steps():
    X, init = T.dmatrix("X"), T.dmatrix("init")

    def step(x_prev, x_now, a, b):
        new = T.sin(a * x_now) + 0.5 * b * x_prev
        return new, until(new.sum() > 1.5)

    loop = Loop(step, 5, [X, init], [rng.uniform(0, 1, size=(7, 3)),
                                     rng.uniform(0, 0.5, size=(2, 3))],
                sequences=dict(input=X, taps=[-1, 0]),
                outputs_info=dict(initial=init, taps=[-2, -1]), go_backwards=True,
                explicit_n_steps=True, stops=True)
    check_against_unrolled(loop)


def test_while_loop_that_never_stops_early_is_the_plain_loop():
    h0 = T.dscalar("h0")
    loop = Loop(lambda h: (h * 1.1 + 0.1, until(h > 1e6)), 4, [h0], [np.float64(0.3)],
                outputs_info=h0, explicit_n_steps=True, stops=True)
    check_against_unrolled(loop)
    assert loop.taken == 4


def test_while_loop_gradient_matches_a_numpy_loop():
    """The docs' power loop with a scale: gradient of the sum of the values made."""
    scale, limit = T.dscalar("scale"), T.dscalar("limit")
    values, _ = theano.scan(lambda p, s: (p * s, until(p * s > limit)),
                            outputs_info=T.constant(1.0), non_sequences=scale, n_steps=50)
    g = T.grad(values.sum(), scale)
    f = theano.function([scale, limit], [values, g])
    got, got_g = f(1.7, 40.0)
    k = len(got)  # values are s, s^2, ..., s^k: d/ds sum = sum i s^(i-1)
    assert got[-1] > 40 and got[-2] <= 40
    assert got_g == pytest.approx(sum(i * 1.7 ** (i - 1) for i in range(1, k + 1)))


def test_gradient_through_a_weight_the_loop_updates():
    """W is read at each step and updated by the step (a tiny learning rule):
    the cost reads the states and W's final value."""
    W = theano.shared(rng.normal(size=(3, 3)) * 0.4, name="W")
    X = T.dmatrix("X")

    def step(x, h):
        new = T.tanh(T.dot(h, W) + x)
        return new, {W: 0.9 * W + 0.05 * T.outer(h, new)}

    loop = Loop(step, 4, [X], [rng.normal(size=(4, 3))], sequences=X,
                outputs_info=T.constant(np.zeros(3)), shared=[W], updated=[W])
    check_against_unrolled(loop)


def test_gradient_through_an_accumulator_updated_in_a_while_loop():
    total = theano.shared(np.float64(0.5), name="total")
    x = T.dvector("x")
    loop = Loop(lambda v: (T.sin(total) * v, {total: total + v * v}, until(total + v * v > 2.0)),
                10, [x], [rng.uniform(0.3, 0.7, size=10)], sequences=x, shared=[total],
                updated=[total], stops=True)
    check_against_unrolled(loop)
    assert loop.taken < 10


def test_updated_shared_variables_keep_their_value_after_no_steps():
    acc = theano.shared(np.array([1.0, 2.0]), name="acc")
    x = T.dmatrix("x")
    _, updates = theano.scan(lambda v: {acc: acc * v}, sequences=x)
    cost = updates[acc].sum()
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        f = theano.function([x], [cost, T.grad(cost, acc)], mode=mode)
        value, g = f(np.zeros((0, 2)))
        assert value == 3.0
        np.testing.assert_array_equal(g, [1.0, 1.0])
        value, g = f(np.array([[2.0, 3.0], [0.5, 1.0]]))
        assert value == 1.0 + 6.0
        np.testing.assert_array_equal(g, [1.0, 3.0])
    train = theano.function([x], [], updates=updates)
    train(np.array([[2.0, 3.0]]))
    np.testing.assert_array_equal(acc.get_value(), [2.0, 6.0])


def test_a_shared_update_keeps_no_history_unless_a_gradient_needs_it():
    """The forward loop carries the shared variable without a history (constant
    memory); only the gradient's loop keeps one, as a state."""
    from minitheano.scan import Scan

    acc = theano.shared(np.zeros(4), name="acc")
    x = T.dmatrix("x")
    _, updates = theano.scan(lambda v: {acc: acc + v * v}, sequences=x)
    f = theano.function([x], [], updates=updates)
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    assert (node.op.n_states, node.op.n_shared) == (0, 1)
    g = theano.function([x], T.grad(updates[acc].sum(), x))
    loops = [n.op for n in g.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    assert any(op.n_states >= 1 and op.n_shared == 0 for op in loops)
    # The value and its gradient together: the loop runs once (its results are read
    # from the states loop, rewrite/scan_memory.py), then the backward loop.
    both = theano.function([x], [updates[acc].sum(), T.grad(updates[acc].sum(), x)])
    loops = [n.op for n in both.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    assert len(loops) == 2 and loops[0].n_shared == 0
    data = rng.normal(size=(3, 4))
    value, grad_x = both(data)
    assert value == pytest.approx((data ** 2).sum())
    np.testing.assert_allclose(grad_x, 2 * data)
    assert len(both(np.zeros((0, 4)))[1]) == 0
    data = rng.normal(size=(6, 4))
    f(data)
    np.testing.assert_allclose(acc.get_value(), (data ** 2).sum(axis=0))


def test_random_generators_in_a_loop_are_still_refused_with_the_reason():
    """The numbers a random generator drew at each step are not kept: a gradient
    that needs them is refused, saying what to do."""
    srng = T.shared_randomstreams.RandomStreams(3)
    x = T.dvector("x")

    def step(v, h):
        return h * srng.uniform(low=0.5, high=1.5) + v
    h, _ = theano.scan(step, sequences=x, outputs_info=T.constant(0.0))
    with pytest.raises(NotImplementedError, match="return them as outputs of the step"):
        T.grad(h.sum(), x)


def test_finite_differences_helper_restores_its_arrays():
    a = np.array([1.0, 2.0])
    (g,) = finite_differences(lambda: (a ** 2).sum(), [a], 1e-6)
    np.testing.assert_allclose(g, [2.0, 4.0], rtol=1e-6)
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_gradients_of_a_loop_that_runs_no_step():
    """With no step the backward loop must not run (it keeps only its last step, and
    there is none): the sequence's gradient is empty, the initial state's is the
    cost's own, in every mode."""
    x, h0 = T.dvector("x"), T.dscalar("h0")
    h, _ = theano.scan(lambda v, h: h * v, sequences=x, outputs_info=h0)
    total = theano.shared(0.25, name="total")
    _, updates = theano.scan(lambda v: ({total: total + v * v}, until(total + v * v > 2.5)),
                             sequences=x)
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        f = theano.function([x, h0], T.grad(h.sum() + h0, [x, h0]), mode=mode)
        g_x, g_h0 = f(np.ones(3) * 2.0, 1.0)
        np.testing.assert_allclose(g_x, [7.0, 6.0, 4.0])  # h = 2, 4, 8: d sum / d x
        assert g_h0 == 1.0 + 14.0
        g_x, g_h0 = f(np.ones(0), 1.0)
        assert g_x.shape == (0,) and g_h0 == 1.0
        g = theano.function([x], T.grad(updates[total], [x, total]), mode=mode)
        g_x, g_total = g(np.full(6, 0.9))  # 0.25 + 0.81 k > 2.5 after k = 3 steps
        np.testing.assert_allclose(g_x, [1.8, 1.8, 1.8, 0, 0, 0])
        assert g_total == 1.0
        g_x, g_total = g(np.ones(0))
        assert g_x.shape == (0,) and g_total == 1.0


def test_an_integer_counter_the_loop_updates_is_read_at_each_step():
    c = theano.shared(np.int64(1), name="c")
    h0 = T.dscalar("h0")
    h, _ = theano.scan(lambda h: (h * T.cast(c, "float64"), {c: c + 1}), outputs_info=h0,
                       n_steps=4)
    f = theano.function([h0], [h[-1], T.grad(h[-1], h0)])
    value, g = f(2.0)
    assert value == 2.0 * 24 and g == 24.0  # h0 * 1 * 2 * 3 * 4
    assert c.get_value() == 1  # no updates given to the function


def test_a_shared_update_to_a_row_of_a_state_is_copied():
    """{s: a_tm2}: the new value is a row of a's buffer, which a later step overwrites
    when only a's last steps are kept (a ring): the loop must copy it."""
    a0, b0 = T.dmatrix("a0"), T.dmatrix("b0")
    s = theano.shared(np.array([5.0, 6.0]), name="s")

    def step(a2, b2, b1):
        return [T.tanh(a2) + 1.0, s], {s: a2}

    (a, b), updates = theano.scan(step, outputs_info=[dict(initial=a0, taps=[-2]),
                                                      dict(initial=b0, taps=[-2, -1])],
                                  n_steps=5)
    a_rows, s_value = [np.array([1.0, 2.0]), np.array([3.0, 4.0])], np.array([5.0, 6.0])
    b_last = None
    for _ in range(5):
        b_last, s_value = s_value, a_rows[-2]
        a_rows.append(np.tanh(a_rows[-2]) + 1.0)
    for mode, compiled_loop in (("FAST_COMPILE", True), ("FAST_RUN", True),
                                ("FAST_RUN", False)):
        with theano.config.change_flags(**{"scan.compiled_loop": compiled_loop}):
            f = theano.function([a0, b0], [a[-1], b[-1], updates[s]], mode=mode)
        got_a, got_b, got_s = f(np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2)))
        np.testing.assert_allclose(got_a, a_rows[-1])
        np.testing.assert_allclose(got_b, b_last)
        np.testing.assert_allclose(got_s, s_value)
