"""Theano's loop page (doc/tutorial/loop.txt), its examples run unchanged (chapter 7)."""

import numpy as np

import minitheano as theano
import minitheano.tensor as T


def test_reversed_sequence_with_an_initial_state():
    # x(t) = tanh(x(t - 1).dot(W) + y(t).dot(U) + p(T - t).dot(V))
    X, W, U, Y, V, P = (T.vector("X"), T.matrix("W"), T.matrix("U"), T.matrix("Y"),
                        T.matrix("V"), T.matrix("P"))
    results, updates = theano.scan(
        lambda y, p, x_tm1: T.tanh(T.dot(x_tm1, W) + T.dot(y, U) + T.dot(p, V)),
        sequences=[Y, P[::-1]], outputs_info=[X])
    compute_seq = theano.function(inputs=[X, W, Y, U, P, V], outputs=results)
    x = np.zeros(2)
    x[1] = 1
    w, u, v = np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2))
    y = np.ones((5, 2))
    y[0, :] = -3
    p = np.ones((5, 2))
    p[0, :] = 3
    x_res = np.zeros((5, 2))
    x_res[0] = np.tanh(x.dot(w) + y[0].dot(u) + p[4].dot(v))
    for i in range(1, 5):
        x_res[i] = np.tanh(x_res[i - 1].dot(w) + y[i].dot(u) + p[4 - i].dot(v))
    np.testing.assert_allclose(compute_seq(x, w, y, u, p, v), x_res, rtol=1e-12)


def test_norms_of_rows_and_columns():
    X = T.matrix("X")
    rows, _ = theano.scan(lambda x_i: T.sqrt((x_i ** 2).sum()), sequences=[X])
    cols, _ = theano.scan(lambda x_i: T.sqrt((x_i ** 2).sum()), sequences=[X.T])
    f = theano.function([X], [rows, cols])
    x = np.diag(np.arange(1, 6, dtype=theano.config.floatX), 1)
    r, c = f(x)
    np.testing.assert_allclose(r, np.sqrt((x ** 2).sum(1)))
    np.testing.assert_allclose(c, np.sqrt((x ** 2).sum(0)))


def test_trace_with_two_index_sequences():
    floatX = "float32"
    X = T.matrix("X")
    results, updates = theano.scan(lambda i, j, t_f: T.cast(X[i, j] + t_f, floatX),
                                   sequences=[T.arange(X.shape[0]), T.arange(X.shape[1])],
                                   outputs_info=np.asarray(0., dtype=floatX))
    compute_trace = theano.function(inputs=[X], outputs=results[-1])
    x = np.eye(5, dtype=theano.config.floatX)
    x[0] = np.arange(5, dtype=theano.config.floatX)
    assert compute_trace(x) == np.diagonal(x).sum()


def test_power_keeps_the_last_step():
    k = T.iscalar("k")
    A = T.vector("A")
    result, updates = theano.scan(fn=lambda prior_result, B: prior_result * B,
                                  outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    power = theano.function(inputs=[A, k], outputs=result[-1], updates=updates)
    np.testing.assert_allclose(power(range(10), 2), np.arange(10.0) ** 2)


def test_polynomial_with_arange():
    coefficients = theano.tensor.vector("coefficients")
    x = T.scalar("x")
    full_range = theano.tensor.arange(10000)
    components, updates = theano.scan(fn=lambda coeff, power, free_var: coeff * (free_var ** power),
                                      outputs_info=None, sequences=[coefficients, full_range],
                                      non_sequences=x)
    calculate_polynomial = theano.function(inputs=[coefficients, x], outputs=components.sum())
    test_coeff = np.asarray([1, 0, 2], dtype=np.float32)
    assert calculate_polynomial(test_coeff, 3) == 19.0


def test_polynomial_with_the_reduction_done_by_scan():
    # The page's exercise: accumulate inside the loop instead of summing after it.
    coefficients, x = T.vector("coefficients"), T.scalar("x")
    total, _ = theano.scan(lambda coeff, power, acc, free_var: acc + coeff * free_var ** power,
                           sequences=[coefficients, T.arange(10000)],
                           outputs_info=T.constant(0.0), non_sequences=x)
    f = theano.function([coefficients, x], total[-1])
    assert f(np.asarray([1, 0, 2], dtype="float64"), 3) == 19.0


def binomial_scan(non_sequence):
    X, W, b_sym = T.matrix("X"), T.matrix("W"), T.vector("b_sym")
    trng = T.shared_randomstreams.RandomStreams(1234)
    d = trng.binomial(size=W[1].shape)
    if non_sequence:
        results, updates = theano.scan(lambda v, dd: T.tanh(T.dot(v, W) + b_sym) * dd,
                                       sequences=X, non_sequences=d)
    else:
        results, updates = theano.scan(lambda v: T.tanh(T.dot(v, W) + b_sym) * d, sequences=X)
    return theano.function(inputs=[X, W, b_sym], outputs=results, updates=updates,
                           allow_input_downcast=True)


def test_random_draws_inside_the_loop():
    # Theano's loop page: tanh(v.dot(W) + b) * d where d is binomial, drawn at each step.
    x, w, b = np.eye(10, 2), np.ones((2, 2)), np.ones(2)
    f = binomial_scan(non_sequence=False)
    first, second = f(x, w, b), f(x, w, b)
    clean = np.tanh(x @ w + b)
    for out in (first, second):
        masks = np.where(out == 0, 0, 1)
        np.testing.assert_allclose(out, clean * masks)
        assert len({tuple(m) for m in masks}) > 1  # a new draw at each step
    assert not np.array_equal(first, second)  # and the generator moved on
    np.testing.assert_array_equal(binomial_scan(non_sequence=False)(x, w, b), first)


def test_random_draw_as_a_non_sequence_is_drawn_once():
    x, w, b = np.eye(10, 2), np.ones((2, 2)), np.ones(2)
    out = binomial_scan(non_sequence=True)(x, w, b)
    masks = np.where(out == 0, 0, 1)
    assert len({tuple(m) for m in masks}) == 1
    np.testing.assert_allclose(out, np.tanh(x @ w + b) * masks[0])
