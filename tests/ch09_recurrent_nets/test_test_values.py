"""Test values (chapter 9): graphs computed on sample values as they are built."""

import warnings

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.graph.basic import TestValueError


@pytest.fixture
def raise_mode():
    with theano.config.change_flags(compute_test_value="raise"):
        yield


def test_off_by_default_computes_nothing():
    assert theano.config.compute_test_value == "off"
    x = T.matrix("x")
    x.tag.test_value = np.ones((2, 3))
    y = T.exp(x)
    with pytest.raises(TestValueError):
        y.get_test_value()


def test_values_computed_node_by_node_match_numpy(raise_mode):
    rng = np.random.default_rng(0)
    xv, wv = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    x = T.matrix("x")
    x.tag.test_value = xv
    w = theano.shared(wv, name="w")
    h = T.tanh(T.dot(x, w) + 1.5)
    s = h.sum(axis=0)
    np.testing.assert_allclose(h.tag.test_value, np.tanh(xv @ wv + 1.5))
    np.testing.assert_allclose(s.tag.test_value, np.tanh(xv @ wv + 1.5).sum(axis=0))


def test_shared_and_constant_values_are_test_values(raise_mode):
    w = theano.shared(np.arange(3.0), name="w")
    y = w * 2 + T.constant(np.ones(3))
    np.testing.assert_array_equal(y.tag.test_value, np.arange(3.0) * 2 + 1)
    w.set_value(np.zeros(3))
    assert np.array_equal(w.get_test_value(), np.zeros(3))


def test_shape_bug_raises_at_the_line_with_op_shapes_and_names(raise_mode):
    x = T.matrix("x")
    x.tag.test_value = np.ones((3, 4))
    w = theano.shared(np.ones((5, 2)), name="w")
    with pytest.raises(ValueError) as info:
        T.dot(x, w)  # the line the error must name
    msg = str(info.value)
    assert "Dot" in msg and "(3, 4)" in msg and "(5, 2)" in msg
    assert "input 0: x = float64[3, 4]" in msg and "input 1: w = float64[5, 2]" in msg
    assert "T.dot(x, w)  # the line the error must name" in msg
    assert __file__ in msg


def test_test_value_is_checked_against_the_type():
    x = T.matrix("x")
    with pytest.raises(TypeError, match="test value given for x"):
        x.tag.test_value = np.ones(3)
    with pytest.raises(TypeError):
        T.ivector("i").tag.test_value = np.ones(3) * 0.5
    x.tag.test_value = [[1, 2], [3, 4]]  # converted, as Theano's filter does
    assert x.tag.test_value.dtype == x.dtype


def test_missing_value_modes():
    x, y = T.vector("x"), T.vector("y")
    x.tag.test_value = np.ones(2)
    with theano.config.change_flags(compute_test_value="ignore"):
        z = x + y
        assert not hasattr(z.tag, "test_value")
    with theano.config.change_flags(compute_test_value="warn"):
        with pytest.warns(UserWarning, match="has no test value"):
            x + y
    with theano.config.change_flags(compute_test_value="raise"):
        with pytest.raises(ValueError, match="input y has no test value"):
            x + y


def test_a_failing_node_raises_even_in_ignore_mode():
    x = T.vector("x")
    x.tag.test_value = np.ones(2)
    with theano.config.change_flags(compute_test_value="ignore"):
        with pytest.raises(ValueError):
            x + theano.shared(np.ones(3))


def test_inplace_ops_do_not_change_test_values(raise_mode):
    from minitheano.scalar import math as smath
    from minitheano.tensor.elemwise import Elemwise

    x = T.vector("x")
    x.tag.test_value = np.ones(3)
    op = Elemwise(smath.exp, inplace_pattern={0: 0})
    y = op(x)
    np.testing.assert_allclose(y.tag.test_value, np.exp(1.0))
    np.testing.assert_array_equal(x.tag.test_value, np.ones(3))


def test_scan_step_sees_first_row_and_initial_state(raise_mode):
    rng = np.random.default_rng(1)
    xv = rng.normal(size=(5, 3))
    X = T.matrix("X")
    X.tag.test_value = xv
    W = theano.shared(rng.normal(size=(3, 4)), name="W")
    U = theano.shared(rng.normal(size=(4, 4)), name="U")
    h0 = theano.shared(np.zeros(4), name="h0")
    seen = {}

    def step(x, h_prev):
        seen["x"], seen["h"] = x.tag.test_value, h_prev.tag.test_value
        return T.tanh(T.dot(x, W) + T.dot(h_prev, U))

    hidden, _ = theano.scan(step, sequences=X, outputs_info=[h0])
    np.testing.assert_array_equal(seen["x"], xv[0])
    np.testing.assert_array_equal(seen["h"], np.zeros(4))
    # The whole loop's test value, against numpy.
    h, want = np.zeros(4), []
    for row in xv:
        h = np.tanh(row @ W.get_value() + h @ U.get_value())
        want.append(h)
    np.testing.assert_allclose(hidden.tag.test_value, np.array(want))
    # The gradient graph gets test values too, equal to the compiled gradient.
    g = T.grad(hidden[-1].sum(), W)
    f = theano.function([X], g)
    np.testing.assert_allclose(g.tag.test_value, f(xv))


def test_scan_taps_get_their_rows(raise_mode):
    X = T.vector("X")
    X.tag.test_value = np.arange(6.0)
    x0 = T.vector("x0")
    x0.tag.test_value = np.array([10.0, 20.0])
    seen = {}

    def step(a, b, p2, p1):
        seen.update(a=a.tag.test_value, b=b.tag.test_value, p2=p2.tag.test_value,
                    p1=p1.tag.test_value)
        return a + b + p2 + p1

    theano.scan(step, sequences=dict(input=X, taps=[-1, 1]),
                outputs_info=dict(initial=x0, taps=[-2, -1]))
    assert (seen["a"], seen["b"], seen["p2"], seen["p1"]) == (0.0, 2.0, 10.0, 20.0)


def test_no_warnings_when_off():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = T.vector("x")
        theano.scan(lambda v: v * 2, sequences=x)


def test_tags_survive_pickling_and_still_check_test_values():
    import pickle

    x = T.matrix("x")
    x.tag.test_value = np.ones((2, 2))
    x.tag.note = "kept"
    y = pickle.loads(pickle.dumps(x))
    assert y.tag.note == "kept" and y.tag.test_value.shape == (2, 2)
    with pytest.raises(TypeError):
        y.tag.test_value = np.ones(2)
