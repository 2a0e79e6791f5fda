"""scan's errors: each names the step function, the output and, at run time, the iteration."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan.loop import ScanStepError


def test_the_seeds_shape_bug_names_the_step_and_the_iteration():
    # The second seed's RNN: T.dot(h_prev, V) with V of shape (hidden, output).  V is
    # an input here, so its shape is known only when the function runs (a shared V
    # is caught when the graph is built: tests/ch09_recurrent_nets).
    X, V = T.dmatrix("X"), T.dmatrix("V")
    W = theano.shared(np.zeros((3, 4)), name="W")

    def step(x, h_prev):
        return T.tanh(T.dot(x, W) + T.dot(h_prev, V))

    hidden, _ = theano.scan(step, sequences=X, outputs_info=[T.zeros((4,), "float64")])
    f = theano.function([X, V], hidden)
    with pytest.raises(ValueError) as info:
        f(np.ones((5, 3)), np.zeros((4, 2)))
    msg = str(info.value)
    assert "iteration 0 (of 5)" in msg
    assert "the step function step (defined at" in msg and "test_scan_errors.py" in msg
    assert "return T.tanh(T.dot(x, W) + T.dot(h_prev, V))" in msg  # the inner node's line


def test_a_step_returning_the_wrong_shape():
    h0, v = T.dvector("h0"), T.dvector("v")

    def step(h, v):
        return v * 2  # v has its own length: wrong whenever len(v) != len(h0)

    out, _ = theano.scan(step, outputs_info=h0, non_sequences=v, n_steps=3)
    f = theano.function([h0, v], out)
    np.testing.assert_allclose(f(np.zeros(2), np.ones(2)), np.full((3, 2), 2.0))
    with pytest.raises(ScanStepError) as info:
        f(np.zeros(1), np.ones(3))
    msg = str(info.value)
    assert "the step function step" in msg and "output 0" in msg
    assert "shape (3,) at iteration 0" in msg and "initial state had shape (1,)" in msg


def test_a_non_fed_back_output_changing_shape():
    lengths = T.lvector("lengths")
    out, _ = theano.scan(lambda n: T.zeros((n,), "float64"), sequences=lengths)
    f = theano.function([lengths], out)
    assert f(np.array([2, 2])).shape == (2, 2)
    with pytest.raises(ScanStepError, match=r"output 0, a value of shape \(3,\) at iteration 1"):
        f(np.array([2, 3]))


def test_dtype_of_fed_back_output_must_match():
    h0 = T.fvector("h0")
    with pytest.raises(TypeError, match=r"step function <lambda> .* output 0.*float64.*float32"):
        theano.scan(lambda h: h * T.dscalar("s"), outputs_info=h0, n_steps=2)


def test_ndim_of_fed_back_output_must_match():
    with pytest.raises(TypeError, match="output 0"):
        theano.scan(lambda h: h.sum(), outputs_info=T.dvector("h0"), n_steps=2)


def test_broadcastable_initial_state_is_explained():
    with pytest.raises(TypeError, match="unbroadcast"):
        theano.scan(lambda x, h: h + x, sequences=T.dmatrix("X"),
                    outputs_info=T.TensorType("float64", (True,))("r"))


def test_wrong_number_of_outputs():
    with pytest.raises(ValueError, match="returned 2 output.* outputs_info describes 1"):
        theano.scan(lambda h: [h, h], outputs_info=T.dvector("h0"), n_steps=2)


def test_n_steps_needed_without_sequences():
    with pytest.raises(ValueError, match="n_steps"):
        theano.scan(lambda h: h, outputs_info=T.dvector("h0"))


def test_n_steps_must_be_an_integer_and_not_negative():
    with pytest.raises(TypeError, match="integer scalar"):
        theano.scan(lambda h: h, outputs_info=T.dvector("h0"), n_steps=T.dscalar())
    with pytest.raises(ValueError, match="negative"):
        theano.scan(lambda h: h, outputs_info=T.dvector("h0"), n_steps=-1)
    n, h0 = T.iscalar("n"), T.dvector("h0")
    out, _ = theano.scan(lambda h: h, outputs_info=h0, n_steps=n)
    f = theano.function([h0, n], out)
    with pytest.raises(ValueError, match="negative"):
        f(np.zeros(2), -3)


def test_output_taps_must_be_negative():
    with pytest.raises(ValueError, match="must be negative"):
        theano.scan(lambda h: h, outputs_info=dict(initial=T.dmatrix(), taps=[0]), n_steps=1)


def test_initial_value_too_short_for_its_taps():
    init = T.dmatrix("init")
    out, _ = theano.scan(lambda a, b: a + b, outputs_info=dict(initial=init, taps=[-3, -1]),
                         n_steps=2)
    f = theano.function([init], out)
    with pytest.raises(ValueError, match=r"at least 3 rows"):
        f(np.zeros((2, 4)))


def test_bad_argument_forms():
    with pytest.raises(TypeError, match="'input'"):
        theano.scan(lambda x: x, sequences=dict(taps=[0]))
    with pytest.raises(TypeError, match="scalar"):
        theano.scan(lambda x: x, sequences=T.dscalar())
    with pytest.raises(TypeError, match="not a shared variable"):
        theano.scan(lambda x: (x, {T.dscalar(): x}), sequences=T.dvector())


def test_strict_requires_every_variable_to_be_passed():
    W = T.dmatrix("W")
    with pytest.raises(ValueError, match=r"strict=True.* uses W"):
        theano.scan(lambda x: T.dot(x, W), sequences=T.dmatrix("X"), strict=True)
    out, _ = theano.scan(lambda x, w: T.dot(x, w), sequences=T.dmatrix("X"),
                         non_sequences=W, strict=True)
    assert out.ndim == 2


def test_an_update_of_another_type_names_the_step_and_the_shared_variable():
    counter = theano.shared(np.int64(0), name="counter")

    def count(x):
        return x * 2, {counter: counter + 0.5}

    with pytest.raises(TypeError) as info:
        theano.scan(count, sequences=T.dvector("x"))
    msg = str(info.value)
    assert "scan: the step function count (defined at" in msg
    assert "updates the shared variable counter: counter has type TensorType(int64, scalar)" \
        in msg and "T.cast(value, 'int64')" in msg
