"""The seed's 10-step training loop, with the gradient written by hand (chapter 2)."""

import numpy as np

import minitheano as theano


def test_training_loop_hand_gradient():
    x = theano.tensor.fvector("x")
    target = theano.tensor.fscalar("target")
    W = theano.shared(np.asarray([0.2, 0.7]), "W")
    y = (x * W).sum()
    # d(target - y)**2 / dW = -2 (target - y) x
    grad_W = -2 * (target - y) * x
    f = theano.function([x, target], y, updates=[(W, W - 0.1 * grad_W)])
    results = [float(f([1.0, 1.0], 20.0)) for _ in range(10)]
    # The same loop in numpy.
    w, expected = np.array([0.2, 0.7]), []
    for _ in range(10):
        out = w.sum()
        expected.append(out)
        w = w - 0.1 * (-2 * (20.0 - out) * np.ones(2))
    np.testing.assert_allclose(results, expected, rtol=1e-12)
    np.testing.assert_allclose(results[:3], [0.9, 8.54, 13.124], rtol=1e-12)
    assert results[-1] > 19.8
