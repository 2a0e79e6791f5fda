"""Elemwise pads inputs on the left and stretches only dimensions declared broadcastable."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T


@pytest.mark.parametrize("make_a, make_b, expected", [
    (T.row, T.col, (False, False)),
    (T.row, T.row, (True, False)),
    (T.col, T.matrix, (False, False)),
    (T.row, T.vector, (True, False)),
    (T.scalar, T.row, (True, False)),
    (T.scalar, T.scalar, ()),
])
def test_output_pattern(make_a, make_b, expected):
    a, b = make_a(dtype="float64"), make_b(dtype="float64")
    assert (a + b).broadcastable == expected
    assert (a * b).type.ndim == len(expected)


def test_padding_on_the_left_matches_numpy():
    v, m = T.dvector("v"), T.dmatrix("m")
    out = v + m
    assert out.owner.inputs[0].broadcastable == (True, False)  # v became a row
    f = theano.function([v, m], [out, T.exp(v) * m])
    a, b = np.array([1.0, 2.0, 3.0]), np.arange(6.0).reshape(2, 3)
    s, p = f(a, b)
    np.testing.assert_array_equal(s, a + b)
    np.testing.assert_allclose(p, np.exp(a) * b, rtol=1e-15)


def test_row_plus_column_is_an_outer_sum():
    r, c = T.drow("r"), T.dcol("c")
    f = theano.function([r, c], r + c)
    a, b = np.array([[1.0, 2.0, 3.0]]), np.array([[10.0], [20.0]])
    np.testing.assert_array_equal(f(a, b), a + b)


def test_a_dimension_not_declared_broadcastable_does_not_stretch():
    x, y = T.dmatrices("x", "y")
    f = theano.function([x, y], x + y)
    with pytest.raises(ValueError):
        f(np.ones((1, 3)), np.ones((2, 3)))  # numpy would broadcast; Theano refuses
