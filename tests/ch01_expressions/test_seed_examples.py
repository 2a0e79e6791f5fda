"""The first seed's opening examples, as a reader types them (chapter 1)."""

import numpy as np

import minitheano as theano
from minitheano import tensor


def test_add_two_scalars():
    x = tensor.dscalar()
    y = tensor.dscalar()
    z = x + y
    f = theano.function([x, y], z)
    out = f(1.5, 2.5)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == ()
    assert out == 4.0


def test_logistic():
    x = tensor.dmatrix("x")
    s = 1 / (1 + tensor.exp(-x))
    logistic = theano.function([x], s)
    data = np.array([[0, 1], [-1, -2]], dtype=float)
    np.testing.assert_allclose(logistic([[0, 1], [-1, -2]]), 1 / (1 + np.exp(-data)), rtol=1e-15)


def test_several_results_at_once():
    x, y = tensor.dmatrices("x", "y")
    diff = x - y
    abs_diff = abs(diff)
    diff_squared = diff**2
    f = theano.function([x, y], [diff, abs_diff, diff_squared])
    a, b = np.ones((2, 2)), np.array([[0.0, 1], [2, 3]])
    d, ad, d2 = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    np.testing.assert_array_equal(d, a - b)
    np.testing.assert_array_equal(ad, np.abs(a - b))
    np.testing.assert_array_equal(d2, (a - b) ** 2)
