"""In (defaults, keyword arguments, internal state, strict) and Out (borrow) (chapter 2)."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano import In, Out, function


def test_tutorial_default_value():
    # Theano tutorial, "Setting a Default Value for an Argument", verbatim.
    x, y = T.dscalars('x', 'y')
    z = x + y
    f = function([x, In(y, value=1)], z)
    assert f(33) == 34.0
    assert f(33, 2) == 35.0
    assert f(33).dtype == np.float64


def test_tutorial_defaults_by_position_and_by_name():
    x, y, w = T.dscalars('x', 'y', 'w')
    z = (x + y) * w
    f = function([x, In(y, value=1), In(w, value=2, name='w_by_name')], z)
    assert f(33) == 68.0
    assert f(33, 2) == 70.0
    assert f(33, 0, 1) == 33.0
    assert f(33, w_by_name=1) == 34.0
    assert f(33, w_by_name=1, y=0) == 33.0
    # The variable's own name works too, and a required input by keyword.
    assert f(33, w=1) == 34.0
    assert f(x=33, y=0, w_by_name=1) == 33.0


def test_a_default_comes_back_after_a_call_that_overrode_it():
    x, y = T.dvectors('x', 'y')
    f = function([x, In(y, value=np.array([10.0, 20.0]))], x + y)
    np.testing.assert_array_equal(f(np.ones(2), np.zeros(2)), [1.0, 1.0])
    np.testing.assert_array_equal(f(np.ones(2)), [11.0, 21.0])
    # Even after a call that failed half-way with the default overridden.
    with pytest.raises(ValueError):
        f(np.ones(3), y=np.ones(2))
    np.testing.assert_array_equal(f(np.ones(2)), [11.0, 21.0])


def test_a_default_is_not_changed_by_mutating_the_original_value():
    x, y = T.dvectors('x', 'y')
    default = np.array([1.0, 2.0])
    f = function([x, In(y, value=default)], x + y)
    default[:] = 100.0
    np.testing.assert_array_equal(f(np.zeros(2)), [1.0, 2.0])


def test_keyword_errors():
    x, y = T.dscalars('x', 'y')
    f = function([x, In(y, value=1)], x + y, name="f")
    with pytest.raises(TypeError, match=r"no input named 'z' \(named inputs: x, y\)"):
        f(1, z=2)
    with pytest.raises(TypeError, match=r"input 'x' \(index 0\) is given twice"):
        f(1, x=2)


def test_internal_state_with_a_per_input_update():
    # An In with a value and an update is state kept inside the function.
    x = T.dscalar('x')
    acc = T.dscalar('acc')
    f = function([x, In(acc, value=0.0, update=acc + x)], acc)
    assert [float(f(v)) for v in (1.0, 2.0, 3.0)] == [0.0, 1.0, 3.0]
    assert f(0.0) == 6.0
    # Passing the state explicitly uses it for this call, then updates it.
    assert f(1.0, 100.0) == 100.0
    assert f(0.0) == 101.0


def test_an_input_update_must_have_a_value_and_the_right_type():
    acc = T.dscalar('acc')
    with pytest.raises(ValueError, match="has an update but no value"):
        function([In(acc, update=acc + 1)], acc)
    with pytest.raises(TypeError, match=r"float32.*float64|float64.*float32"):
        function([In(acc, value=0.0, update=T.cast(acc, 'float32'))], acc)


def test_mutable_defaults_to_whether_the_input_is_updated():
    x, s = T.dscalars('x', 's')
    assert In(x).mutable is False
    assert In(s, value=0.0, update=s + 1).mutable is True
    assert In(x, mutable=True).mutable is True
    f = function([In(x, mutable=True), In(s, value=0.0, update=s + x)], s * 1)
    fg = f.maker.fgraph
    # Only non-mutable inputs are protected from in-place rewrites.
    assert fg.protected == set()
    g = function([x], x * 2)
    assert g.maker.fgraph.protected == {g.maker.fgraph.inputs[0]}


def test_strict_requires_the_exact_type():
    x = T.dvector('x')
    f = function([In(x, strict=True)], x * 2)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])
    with pytest.raises(TypeError, match="argument 'x' .index 0.*float64"):
        f([1.0, 2.0])
    with pytest.raises(TypeError, match="argument 'x'"):
        f(np.array([1, 2], dtype=np.int32))
    # Not strict: the list and the int32 array are converted without loss.
    g = function([x], x * 2)
    np.testing.assert_array_equal(g(np.array([1, 2], dtype=np.int32)), [2.0, 4.0])


def test_outputs_are_fresh_arrays_unless_borrowed():
    x = T.dvector('x')
    f = function([x], x + 1)
    a = f(np.zeros(2))
    b = f(np.ones(2))
    assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(a, [1.0, 1.0])
    np.testing.assert_array_equal(b, [2.0, 2.0])


def test_out_borrow_of_an_input_needs_in_borrow_too():
    x = T.dvector('x')
    arg = np.array([1.0, 2.0])
    both = function([In(x, borrow=True)], Out(x, borrow=True))
    assert both(arg) is arg  # nothing copied: both sides agreed to share
    only_out = function([x], Out(x, borrow=True))
    out = only_out(arg)
    assert not np.shares_memory(out, arg)
    np.testing.assert_array_equal(out, arg)


def test_out_borrow_of_a_shared_variable_returns_its_buffer():
    w = theano.shared(np.array([1.0, 2.0]))
    borrowed = function([], Out(w, borrow=True))()
    assert np.shares_memory(borrowed, w.get_value(borrow=True))
    copied = function([], w)()
    assert not np.shares_memory(copied, w.get_value(borrow=True))
    # Returning a borrowed shared value does not lose it.
    f = function([], Out(w, borrow=True))
    f()
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])
    np.testing.assert_array_equal(f(), [1.0, 2.0])


def test_in_and_out_reject_non_variables():
    with pytest.raises(TypeError, match="In.. needs a symbolic Variable"):
        In(3.0)
    with pytest.raises(TypeError, match="Out.. needs a symbolic Variable"):
        Out(np.zeros(2))
