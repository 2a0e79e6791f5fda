"""updates=: simultaneous, applied after the outputs, type-checked (chapter 2)."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano import function, shared


def test_tutorial_shared_variables_accumulator():
    # Theano tutorial, "Using Shared Variables", verbatim with its printed outputs.
    state = shared(0)
    inc = T.iscalar('inc')
    accumulator = function([inc], state, updates=[(state, state+inc)])
    assert state.get_value() == 0
    out = accumulator(1)
    assert out == 0 and out.dtype == np.int64
    assert state.get_value() == 1
    assert accumulator(300) == 1
    assert state.get_value() == 301
    state.set_value(-1)
    assert accumulator(3) == -1
    assert state.get_value() == 2
    decrementor = function([inc], state, updates=[(state, state-inc)])
    assert decrementor(2) == 2
    assert state.get_value() == 0
    fn_of_state = state * 2 + inc
    # The type of foo must match the shared variable we are replacing
    # with the ``givens``
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
    assert skip_shared(1, 3) == 7  # we're using 3 for the state, not state.value
    assert state.get_value() == 0  # old state still there, but we didn't use it


@pytest.mark.parametrize("as_dict", [False, True])
def test_updates_as_pairs_or_dict(as_dict):
    w = shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    pairs = [(w, w * x)]
    f = function([x], w.sum(), updates=dict(pairs) if as_dict else pairs)
    assert f(np.array([2.0, 3.0])) == 3.0  # the output sees the old value
    np.testing.assert_array_equal(w.get_value(), [2.0, 6.0])


def test_updates_are_simultaneous_swap():
    a = shared(np.array([1.0, 2.0]), name="a")
    b = shared(np.array([3.0, 4.0]), name="b")
    f = function([], [a + 0, b + 0], updates=[(a, b), (b, a)])
    out_a, out_b = f()
    np.testing.assert_array_equal(out_a, [1.0, 2.0])  # outputs computed before any update
    np.testing.assert_array_equal(out_b, [3.0, 4.0])
    np.testing.assert_array_equal(a.get_value(), [3.0, 4.0])
    np.testing.assert_array_equal(b.get_value(), [1.0, 2.0])
    f()
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0])
    np.testing.assert_array_equal(b.get_value(), [3.0, 4.0])
    # After the swap the two variables never share a buffer.
    assert not np.shares_memory(a.get_value(borrow=True), b.get_value(borrow=True))


def test_every_update_sees_the_old_values():
    a, b, c = shared(1.0), shared(10.0), shared(100.0)
    f = function([], a + b + c, updates=[(a, a + b), (b, b + c), (c, a + b + c)])
    assert f() == 111.0
    assert (a.get_value(), b.get_value(), c.get_value()) == (11.0, 110.0, 111.0)


def test_an_update_never_aliases_another_shared_buffer_nor_an_output():
    a = shared(np.array([1.0, 2.0]), name="a")
    b = shared(np.array([5.0, 6.0]), name="b")
    x = T.dvector("x")
    f = function([x], [a * 1], updates=[(b, a), (a, x)])
    arg = np.array([7.0, 8.0])
    (out,) = f(arg)
    av, bv = a.get_value(borrow=True), b.get_value(borrow=True)
    assert not np.shares_memory(av, bv)
    assert not np.shares_memory(av, arg)  # a's new value is not the caller's array
    assert not np.shares_memory(out, bv)
    arg[:] = 0.0
    np.testing.assert_array_equal(a.get_value(), [7.0, 8.0])


def test_an_update_equal_to_an_output_is_a_separate_buffer():
    w = shared(np.array([1.0, 2.0]))
    new = w * 2
    f = function([], new, updates=[(w, new)])
    out = f()
    np.testing.assert_array_equal(out, [2.0, 4.0])
    assert not np.shares_memory(out, w.get_value(borrow=True))
    out[:] = -1.0
    np.testing.assert_array_equal(w.get_value(), [2.0, 4.0])


def test_updating_a_variable_to_itself_changes_nothing():
    w = shared(np.array([1.0, 2.0]))
    f = function([], w * 1, updates=[(w, w)])
    np.testing.assert_array_equal(f(), [1.0, 2.0])
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])


def test_seed_training_loop_update_float64_shared_with_float32_inputs():
    x = T.fvector("x")
    target = T.fscalar("target")
    W = shared(np.asarray([0.2, 0.7]), "W")
    y = (x * W).sum()
    f = function([x, target], y, updates=[(W, W - 0.1 * (-2 * (target - y) * x))])
    assert [round(float(f([1.0, 1.0], 20.0)), 6) for _ in range(3)] == [0.9, 8.54, 13.124]
    assert W.get_value().dtype == np.float64


def test_update_type_mismatch_is_a_type_error_naming_both_types():
    w = shared(np.zeros(2), name="w")
    x = T.fvector("x")
    with pytest.raises(TypeError) as info:
        function([x], [], updates=[(w, x)])
    msg = str(info.value)
    assert "TensorType(float64, vector)" in msg and "TensorType(float32, vector)" in msg
    assert "w" in msg and "T.cast" in msg and "'float64'" in msg
    with pytest.raises(TypeError, match="TensorType\\(float64, matrix\\)"):
        function([], [], updates=[(w, T.dmatrix("m"))])


def test_a_broadcastable_compatible_update_is_accepted():
    w = shared(np.zeros((1, 3)), name="w")  # pattern (False, False)
    r = T.drow("r")  # pattern (True, False): length 1 is a length
    f = function([r], [], updates=[(w, r)])
    f(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(w.get_value(), [[1.0, 2.0, 3.0]])


def test_an_update_of_a_non_shared_variable_is_a_type_error():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="x is not a shared variable"):
        function([x], x, updates=[(x, x + 1)])


def test_the_same_variable_updated_twice_is_an_error():
    w = shared(0.0, name="w")
    with pytest.raises(ValueError, match="w is updated twice"):
        function([], [], updates=[(w, w + 1), (w, w + 2)])


def test_updates_must_be_pairs():
    w = shared(0.0, name="w")
    with pytest.raises(TypeError, match="pairs"):
        function([], [], updates=[w])
    with pytest.raises(TypeError, match="pairs"):
        function([], [], updates=w)


def test_a_python_number_update_is_converted():
    w = shared(5.0, name="w")
    f = function([], [], updates=[(w, 0.5)])
    f()
    assert w.get_value() == 0.5 and w.get_value().dtype == np.float64


def test_updates_apply_after_all_outputs_even_for_shared_outputs():
    w = shared(np.array([1.0]))
    f = function([], [w, w + 1, w * 10], updates=[(w, w + 100)])
    outs = f()
    np.testing.assert_array_equal(np.concatenate(outs), [1.0, 2.0, 10.0])
    np.testing.assert_array_equal(w.get_value(), [101.0])


def test_a_failed_call_updates_nothing():
    w = shared(np.array([1.0, 2.0]))
    x = T.dvector("x")
    f = function([x], w + x, updates=[(w, w + x)])
    with pytest.raises(ValueError):
        f(np.ones(3))
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])


def test_default_updates_of_shared_variables():
    counter = shared(0, name="counter")
    counter.default_update = counter + 1
    x = T.lscalar("x")
    f = function([x], x + counter)
    assert [int(f(10)) for _ in range(3)] == [10, 11, 12]
    g = function([x], x + counter, no_default_updates=True)
    assert g(0) == 3 and g(0) == 3
    h = function([x], x + counter, no_default_updates=[counter])
    assert h(0) == 3 and counter.get_value() == 3
    # An explicit update wins over the default one.
    k = function([x], x + counter, updates=[(counter, counter - 1)])
    assert k(0) == 3 and counter.get_value() == 2


def test_theano_namespace_has_function_and_shared():
    assert theano.function is function and theano.shared is shared
