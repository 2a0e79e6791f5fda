"""Elemwise pads inputs on the left and stretches only dimensions declared broadcastable."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.scalar import math as sm


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


def unused_widest_input(outputs):
    """Elemwise(Composite(a, b -> outputs(b))): the Composite never reads a, the
    widest input (a matrix, where b is a row)."""
    from minitheano.scalar.basic import ScalarType
    from minitheano.scalar.composite import Composite
    from minitheano.tensor.elemwise import Elemwise

    a, b = ScalarType("float64")(), ScalarType("float64")()
    return Elemwise(Composite([a, b], outputs(b)))


@pytest.mark.ch03  # needs chapter 3's Composite
@pytest.mark.parametrize("mode", [theano.Mode("py", None), theano.Mode("c", None)])
@pytest.mark.parametrize("outputs", [lambda b: [sm.exp(b)],
                                     lambda b: [sm.exp(b), b * 2]],
                         ids=["one output", "two outputs"])
def test_a_composite_that_ignores_its_widest_input_still_broadcasts(mode, outputs):
    """The output's shape is the broadcast of every input's shape, read or not:
    Elemwise.perform refused a (4, 3) matrix the Composite did not read, next to
    the (1, 3) row it did ('input 0 has length 4 in dimension 0, the result 1')."""
    op = unused_widest_input(outputs)
    x, r = T.dmatrix("x"), T.drow("r")
    f = theano.function([x, r], op(x, r), mode=mode)
    a, b = np.ones((4, 3)), np.array([[0.0, 1.0, -2.0]])
    got = f(a, b)
    got = got if isinstance(got, list) else [got]
    expected = [np.exp(b), b * 2][:op.nout]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == (4, 3) and g.flags.writeable
        np.testing.assert_allclose(g, np.broadcast_to(e, (4, 3)), rtol=1e-15)


@pytest.mark.ch03  # needs chapter 3's Composite
@pytest.mark.parametrize("mode", [theano.Mode("py", None), theano.Mode("c", None)])
def test_an_unread_input_of_the_wrong_length_is_still_refused(mode):
    op = unused_widest_input(lambda b: [sm.exp(b)])
    x, y = T.dmatrices("x", "y")
    f = theano.function([x, y], op(x, y), mode=mode)
    with pytest.raises(ValueError, match="Input dimension mismatch"):
        f(np.ones((4, 3)), np.ones((2, 3)))
