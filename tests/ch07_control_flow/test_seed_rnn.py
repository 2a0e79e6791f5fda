"""The second seed's recurrent pattern, with its shapes corrected (chapter 7; chapter 9
shows the seed's own bug and the error it gives)."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T

input_size, hidden_size, output_size = 10, 20, 5


def rnn_numpy(x, w, u, v, b, h0):
    h, hs = h0, []
    for x_t in x:
        h = np.tanh(x_t @ w + h @ u)
        hs.append(h)
    z = hs[-1] @ v + b
    e = np.exp(z - z.max())
    return np.array(hs), e / e.sum()


def build(scan):
    rng = np.random.default_rng(3)
    W = theano.shared(rng.normal(size=(input_size, hidden_size)) * 0.3, name="W")
    U = theano.shared(rng.normal(size=(hidden_size, hidden_size)) * 0.3, name="U")
    V = theano.shared(rng.normal(size=(hidden_size, output_size)), name="V")
    b = theano.shared(np.zeros(output_size), name="b")
    h0 = theano.shared(np.zeros(hidden_size), name="h0")
    X = T.matrix("X")

    def step(x, h_prev):
        return T.tanh(T.dot(x, W) + T.dot(h_prev, U))  # the seed wrote V: (hidden, output)

    hidden, _ = scan(step, sequences=X, outputs_info=[h0])
    # Theano's softmax makes a vector a 1 x n row: its one row is the prediction.
    output = T.nnet.softmax(T.dot(hidden[-1], V) + b)[0]
    predict = theano.function(inputs=[X], outputs=[hidden, output])
    return predict, [p.get_value() for p in (W, U, V, b, h0)], (X, output, [W, U, V, b])


SCANS = {"theano.scan": theano.scan, "theano.tensor.extra_ops.scan": T.extra_ops.scan}


@pytest.mark.parametrize("which", list(SCANS))
def test_seed_rnn_forward(which):
    predict, (w, u, v, b, h0), _ = build(SCANS[which])
    x = np.random.default_rng(0).normal(size=(7, input_size))
    hidden, output = predict(x)
    expected_hidden, expected_output = rnn_numpy(x, w, u, v, b, h0)
    np.testing.assert_allclose(hidden, expected_hidden, rtol=1e-12)
    np.testing.assert_allclose(output, expected_output, rtol=1e-12)


@pytest.mark.parametrize("which", list(SCANS))
def test_seed_rnn_trains(which):
    _, _, (X, output, params) = build(SCANS[which])
    y = T.dvector("y")
    loss = T.nnet.categorical_crossentropy(output, y)
    grads = T.grad(loss, params)
    train = theano.function([X, y], loss,
                            updates=[(p, p - 0.1 * g) for p, g in zip(params, grads)])
    rng = np.random.default_rng(1)
    x, target = rng.normal(size=(6, input_size)), np.eye(output_size)[2]
    losses = [float(train(x, target)) for _ in range(40)]
    assert losses[-1] < 0.2 * losses[0]


def test_map_reduce_foldl_foldr():
    v = T.dvector("v")
    squares, _ = theano.map(lambda x: x ** 2, sequences=v)
    total, _ = theano.reduce(lambda x, acc: acc + x, sequences=v, outputs_info=T.constant(0.0))
    left, _ = theano.foldl(lambda x, acc: acc * 2 + x, sequences=v, outputs_info=T.constant(0.0))
    right, _ = theano.foldr(lambda x, acc: acc * 2 + x, sequences=v,
                            outputs_info=T.constant(0.0))
    f = theano.function([v], [squares, total, left, right])
    data = np.array([1.0, 2.0, 3.0])
    sq, tot, lft, rgt = f(data)
    np.testing.assert_array_equal(sq, data ** 2)
    assert tot == 6.0
    assert lft == ((0 * 2 + 1) * 2 + 2) * 2 + 3
    assert rgt == ((0 * 2 + 3) * 2 + 2) * 2 + 1
