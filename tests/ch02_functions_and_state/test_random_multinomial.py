"""RandomStreams.multinomial and shuffle_row_elements, as Theano 1.0's (chapter 2)."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.tensor.shared_randomstreams import RandomStreams


def test_multinomial_counts_add_up_and_follow_pvals():
    srng = RandomStreams(7)
    draws = srng.multinomial((4000,), n=5, pvals=[0.2, 0.3, 0.5])
    counts = theano.function([], draws)()
    assert counts.shape == (4000, 3) and counts.dtype == np.int64
    assert np.all(counts.sum(axis=1) == 5)
    # mean counts n * p, within 5 standard errors
    stderr = np.sqrt(5 * np.array([0.2, 0.3, 0.5]) * np.array([0.8, 0.7, 0.5]) / 4000)
    assert np.all(np.abs(counts.mean(axis=0) - 5 * np.array([0.2, 0.3, 0.5])) < 5 * stderr)


def test_multinomial_one_distribution_per_row():
    srng = RandomStreams(8)
    pvals = T.dmatrix("pvals")
    draws = srng.multinomial(n=3, pvals=pvals)
    f = theano.function([pvals], [draws, draws.shape])
    value, shape = f(np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]))
    assert value.shape == tuple(shape) == (3, 2)
    np.testing.assert_array_equal(value[:2], [[3, 0], [0, 3]])
    with pytest.raises(TypeError, match="integer counts n"):
        srng.multinomial(n=2.5, pvals=[0.5, 0.5])


def test_shuffle_row_elements_permutes_each_row():
    srng = RandomStreams(9)
    x = T.dmatrix("x")
    f = theano.function([x], srng.shuffle_row_elements(x))
    value = np.arange(40.0).reshape(4, 10)
    first, second = f(value), f(value)
    np.testing.assert_array_equal(np.sort(first, axis=1), value)
    assert not np.array_equal(first, second)  # a new permutation at every call
    assert not all(np.array_equal(first[0] - first[0][0], r - r[0]) for r in first[1:])
