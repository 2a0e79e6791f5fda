"""Issue 10's reproducers: every path a gradient takes through a loop's step, and
the loop rewrites of sequence taps (chapter 7).

Each loop is compared with the same loop unrolled into a plain graph, and its
gradient with finite differences, in FAST_COMPILE and FAST_RUN
(ch07_unrolled.check_against_unrolled).
"""

import numpy as np
import pytest
from ch07_unrolled import MODES, Loop, check_against_unrolled, finite_differences

import minitheano as theano
import minitheano.tensor as T

rng = np.random.default_rng(10)


def test_a_state_also_read_by_another_output_of_its_step():
    # c is returned (a state) and read by h in the same step: h's path to c was dropped.
    x = T.dvector("x")
    zero = T.as_tensor_variable(np.float64(0.0))

    def step(x_t, h_, c_):
        c = c_ + x_t
        return h_ + T.tanh(c), c
    (h, _), _ = theano.scan(step, sequences=x, outputs_info=[zero, zero])
    xv = np.array([0.3, -0.2, 0.5])
    cost = theano.function([x], h[-1])
    numeric = finite_differences(lambda: cost(xv), [xv], 1e-6)[0]
    np.testing.assert_allclose(numeric, [2.6167810152, 1.7016440534, 0.7115777626], rtol=1e-8)
    for mode in MODES:
        g = theano.function([x], T.grad(h[-1], x), mode=mode)(xv)
        np.testing.assert_allclose(g, numeric, rtol=1e-8)
    check_against_unrolled(Loop(step, 3, [x], [xv], sequences=x, outputs_info=[zero, zero]))


def test_sequence_taps_minus_one_and_zero_after_the_loop_rewrites():
    # c0 * x[t] + x[t], with x[t-1] unread: pruning the unread tap shifted x[t] a row.
    x, h0 = T.dvector("x"), T.dscalar("h0")
    c0 = T.constant(np.array(-0.25))

    def step(x_tm1, x_t, h_tm1):
        return c0 * x_t + x_t
    seqs = [dict(input=x, taps=[-1, 0])]
    ys, _ = theano.scan(step, sequences=seqs, outputs_info=[h0])
    xv = np.array([-0.3, 0.2, 0.5, -1.0])
    for mode in MODES:
        np.testing.assert_allclose(theano.function([x, h0], ys, mode=mode)(xv, 0.0),
                                   0.75 * xv[1:])
    check_against_unrolled(Loop(step, 3, [x, h0], [xv, np.float64(0.0)], sequences=seqs,
                                outputs_info=[h0]))


def test_sequence_taps_zero_and_one_keep_the_number_of_steps():
    # x[t+1] unread: pruning it made the loop one step longer.
    x, h0 = T.dvector("x"), T.dscalar("h0")

    def step(x_t, x_tp1, h_tm1):
        return T.tanh(x_t + h_tm1)
    seqs = [dict(input=x, taps=[0, 1])]
    ys, _ = theano.scan(step, sequences=seqs, outputs_info=[h0])
    xv = np.array([0.4, -0.1])
    for mode in MODES:
        assert theano.function([x, h0], ys, mode=mode)(xv, 0.2).shape == (1,)
    check_against_unrolled(Loop(step, 1, [x, h0], [xv, np.float64(0.2)], sequences=seqs,
                                outputs_info=[h0]))


@pytest.mark.parametrize("backwards", [False, True])
def test_sequence_taps_with_one_read_tap_and_gradients(backwards):
    x, w = T.dvector("x"), T.dscalar("w")
    for taps, read in [([-1, 0], 1), ([0, 1], 0), ([-2, 0, 1], 1), ([-1, 0, 2], 2)]:
        def step(*args, read=read):
            h_tm1, w_ = args[-2], args[-1]
            return T.sin(args[read] * w_ + h_tm1)
        seqs = [dict(input=x, taps=taps)]
        n = 6 - (max(max(taps), 0) - min(min(taps), 0))
        check_against_unrolled(Loop(step, n, [x, w], [rng.normal(size=6), np.float64(0.7)],
                                    sequences=seqs, outputs_info=[T.constant(0.1)],
                                    non_sequences=[w], go_backwards=backwards))


def test_a_step_returning_one_variable_twice():
    # Keras 2's recurrent layers: outputs_info=[None] + states, the step returns h, [h].
    X, W, U, h0 = T.dmatrix("X"), T.dmatrix("W"), T.dmatrix("U"), T.dvector("h0")

    def step(x_t, h_tm1, W_, U_):
        h = T.tanh(T.dot(x_t, W_) + T.dot(h_tm1, U_))
        return h, h
    values = [rng.normal(size=(4, 3)), rng.normal(size=(3, 2)) * 0.5,
              rng.normal(size=(2, 2)) * 0.5, rng.normal(size=2)]
    check_against_unrolled(Loop(step, 4, [X, W, U, h0], values, sequences=X,
                                outputs_info=[None, h0], non_sequences=[W, U]))
    # The same with the state first and the plain output second.
    check_against_unrolled(Loop(step, 4, [X, W, U, h0], values, sequences=X,
                                outputs_info=[h0, None], non_sequences=[W, U]))


def test_the_gradient_of_a_loop_with_no_sequences():
    # No sequences, n_steps=1: building the gradient asked `if results` of a Variable.
    s = T.dscalar("s")
    out, _ = theano.scan(lambda h: T.tanh(h) * 2, outputs_info=[s], n_steps=1)
    for mode in MODES:
        g = theano.function([s], T.grad(out[-1], s), mode=mode)(0.3)
        np.testing.assert_allclose(g, 2 * (1 - np.tanh(0.3) ** 2))
    check_against_unrolled(Loop(lambda h: T.tanh(h) * 2, 1, [s], [np.float64(0.3)],
                                outputs_info=[s], explicit_n_steps=True))
    v = T.dvector("v")
    check_against_unrolled(Loop(lambda h, v_: T.tanh(h * v_), 3, [s, v],
                                [np.float64(0.3), np.array([0.5, -1.2])],
                                outputs_info=[T.fill(v, s)], non_sequences=[v],
                                explicit_n_steps=True))


def lstm_step(x_t, m_t, h_tm1, c_tm1, W, U, b, masked=True):
    """An LSTM cell; with a mask, where m_t is 0 the states are carried unchanged."""
    n = h_tm1.shape[0]
    z = T.dot(x_t, W) + T.dot(h_tm1, U) + b
    i, f = T.nnet.sigmoid(z[:n]), T.nnet.sigmoid(z[n:2 * n])
    o, g = T.nnet.sigmoid(z[2 * n:3 * n]), T.tanh(z[3 * n:])
    c = f * c_tm1 + i * g
    h = o * T.tanh(c)  # h reads c, which is also returned
    if masked:
        c = m_t * c + (1 - m_t) * c_tm1
        h = m_t * h + (1 - m_t) * h_tm1
    return h, c


def unmasked_lstm_step(x_t, m_t, h_tm1, c_tm1, W, U, b):
    return lstm_step(x_t, m_t, h_tm1, c_tm1, W, U, b, masked=False)


@pytest.mark.parametrize("step", [lstm_step, unmasked_lstm_step])
def test_an_lstm_cell(step):
    X, M = T.dmatrix("X"), T.dvector("M")
    W, U, b = T.dmatrix("W"), T.dmatrix("U"), T.dvector("b")
    h0, c0 = T.dvector("h0"), T.dvector("c0")
    n_in, n_hid, n_steps = 3, 2, 5
    values = [rng.normal(size=(n_steps, n_in)), np.array([1.0, 1.0, 0.0, 1.0, 0.0]),
              rng.normal(size=(n_in, 4 * n_hid)) * 0.6, rng.normal(size=(n_hid, 4 * n_hid)) * 0.6,
              rng.normal(size=4 * n_hid) * 0.3, rng.normal(size=n_hid), rng.normal(size=n_hid)]
    inputs = [X, M, W, U, b, h0, c0]
    loop = Loop(step, n_steps, inputs, values, sequences=[X, M],
                outputs_info=[h0, c0], non_sequences=[W, U, b])
    check_against_unrolled(loop)  # finite differences to 1e-6 in float64
    # The gates' gradients are not small: the path through c is there.
    (h, c), _ = theano.scan(step, sequences=[X, M], outputs_info=[h0, c0],
                            non_sequences=[W, U, b])
    gW = theano.function(inputs, T.grad(h[-1].sum(), W), on_unused_input="ignore")(*values)
    assert np.abs(gW).max() > 0.05


def test_a_sum_over_the_steps_that_is_also_another_output():
    # Found by the generated bodies: in the backward loop of h + w, the carry of h
    # and the term summed into w's gradient are one variable, c + g[t].  Taking the
    # carry's sum out of the loop left the other output reading a dropped state
    # (MissingInputError in FAST_RUN).
    x, h0, w = T.dmatrix("x"), T.dvector("h0"), T.dvector("w")

    def step(x_tp1, h, w_):
        return h + w_
    seqs = [dict(input=x, taps=[1])]
    values = [rng.normal(size=(5, 2)), rng.normal(size=2), rng.normal(size=2)]
    for backwards in (False, True):
        check_against_unrolled(Loop(step, 3, [x, h0, w], values, sequences=seqs,
                                    outputs_info=[h0], non_sequences=[w],
                                    explicit_n_steps=True, go_backwards=backwards))


def test_jacobian_rows_through_a_state_read_by_another_output():
    # Each row of a jacobian is a gradient through the loop: every row seeds the
    # backward step, and none may drop the path from h back to c.
    from minitheano.scan import jacobian

    x = T.dvector("x")
    zero = T.as_tensor_variable(np.float64(0.0))

    def step(x_t, h_, c_):
        c = c_ + x_t
        return h_ + T.tanh(c), c
    (h, _), _ = theano.scan(step, sequences=x, outputs_info=[zero, zero])
    xv = np.array([0.3, -0.2, 0.5])
    forward = theano.function([x], h)
    rows = []
    for i in range(3):
        rows.append(finite_differences(lambda i=i: forward(xv)[i], [xv], 1e-6)[0])
    for mode in MODES:
        got = theano.function([x], jacobian(h, x), mode=mode)(xv)
        np.testing.assert_allclose(got, np.array(rows), rtol=1e-7, atol=1e-9)
