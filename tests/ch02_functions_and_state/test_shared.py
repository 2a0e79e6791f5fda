"""theano.shared: values that live between calls, and when they are copied (chapter 2).

Borrowing as Theano's "Understanding Memory Aliasing" page states it:
shared(v) copies v unless borrow=True; get_value() returns a copy unless
borrow=True; set_value(v) stores a copy unless borrow=True.
"""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano import function, shared


def test_shared_copies_unless_borrow():
    np_array = np.ones(2, dtype='float32')
    s_default = theano.shared(np_array)
    s_false = theano.shared(np_array, borrow=False)
    s_true = theano.shared(np_array, borrow=True)
    np_array += 1  # now it is an array of 2.0 s
    np.testing.assert_array_equal(s_default.get_value(), [1.0, 1.0])
    np.testing.assert_array_equal(s_false.get_value(), [1.0, 1.0])
    np.testing.assert_array_equal(s_true.get_value(), [2.0, 2.0])


def test_get_value_copies_unless_borrow():
    s = shared(np.array([1.0, 2.0]))
    internal = s.get_value(borrow=True)
    assert s.get_value(borrow=True) is internal
    copy = s.get_value()
    assert not np.shares_memory(copy, internal)
    copy[0] = 50.0
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0])


def test_set_value_copies_unless_borrow():
    s = shared(np.zeros(2))
    v = np.array([3.0, 4.0])
    s.set_value(v)
    v[0] = -1.0
    np.testing.assert_array_equal(s.get_value(), [3.0, 4.0])
    s.set_value(v, borrow=True)
    assert s.get_value(borrow=True) is v


def test_functions_see_set_value():
    s = shared(np.array([1.0, 2.0]), name="s")
    f = function([], s * 2)
    np.testing.assert_array_equal(f(), [2.0, 4.0])
    s.set_value(np.array([5.0, 6.0]))
    np.testing.assert_array_equal(f(), [10.0, 12.0])
    s.set_value(np.arange(4.0))  # the shape may change; the type may not
    np.testing.assert_array_equal(f(), [0.0, 2.0, 4.0, 6.0])


def test_set_value_checks_the_type():
    s = shared(np.zeros(2), name="s")
    with pytest.raises(TypeError, match="set_value of shared variable s.*dimensions"):
        s.set_value(np.zeros((2, 2)))
    f32 = shared(np.zeros(2, dtype=np.float32), name="f32")
    with pytest.raises(TypeError, match="float64"):
        f32.set_value(np.ones(2))  # a float64 array loses precision in float32
    f32.set_value(np.ones(2, dtype=np.int8))  # a narrower dtype is converted
    assert f32.get_value().dtype == np.float32
    s.set_value([1.0, 2.0])  # a list of floats is exact
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0])


def test_the_type_comes_from_the_value():
    assert shared(0).type == T.lscalar
    assert shared(0.5).type == T.dscalar
    assert shared(np.zeros((2, 3), dtype=np.float32)).type == T.fmatrix
    assert shared(np.zeros((1, 3))).broadcastable == (False, False)
    assert shared(np.zeros((1, 3)), broadcastable=(True, False)).broadcastable == (True, False)
    assert shared(np.float32(1.5)).dtype == "float32"
    s = shared(np.zeros(3), name="w")
    assert s.name == "w" and str(s) == "w"


def test_shared_rejects_what_it_cannot_hold():
    with pytest.raises(TypeError, match="does not know how to hold a value of type list"):
        shared([1.0, 2.0])
    with pytest.raises(TypeError, match="not the symbolic variable"):
        shared(T.dscalar("x"))
    with pytest.raises(TypeError, match="float16"):
        shared(np.zeros(2, dtype=np.float16))


def test_a_shared_variable_is_usable_anywhere_a_tensor_is():
    w = shared(np.array([[1.0, 2.0], [3.0, 4.0]]), name="W")
    x = T.dvector("x")
    f = function([x], [T.dot(x, w), w.T, w.sum(axis=1), -w])
    v = np.array([1.0, -1.0])
    wv = w.get_value()
    for got, expected in zip(f(v), [v @ wv, wv.T, wv.sum(axis=1), -wv]):
        np.testing.assert_array_equal(got, expected)


def test_two_functions_share_one_value():
    s = shared(0.0)
    inc = function([], [], updates=[(s, s + 1)])
    read = function([], s)
    inc()
    inc()
    assert read() == 2.0


def test_a_function_never_returns_a_shared_buffer_unless_borrowed():
    s = shared(np.array([1.0, 2.0]))
    out = function([], s)()
    assert not np.shares_memory(out, s.get_value(borrow=True))
    view = function([], s.T)()
    assert not np.shares_memory(view, s.get_value(borrow=True))


def test_aliasing_page_internal_type_and_in_place_pattern():
    s = shared(np.ones(2, dtype="float32"))
    internal = s.get_value(borrow=True, return_internal_type=True)
    assert internal is s.get_value(borrow=True)
    assert not np.shares_memory(s.get_value(borrow=False, return_internal_type=True), internal)

    def some_inplace_fn(v):
        v *= 3
        return v
    s.set_value(some_inplace_fn(s.get_value(borrow=True)), borrow=True)
    np.testing.assert_array_equal(s.get_value(), [3.0, 3.0])
    assert s.get_value(borrow=True) is internal  # no copy anywhere


def test_aliasing_page_borrowed_function():
    x = T.matrix()
    y = 2 * x
    f = theano.function([theano.In(x, borrow=True)], theano.Out(y, borrow=True))
    m = np.arange(4.0).reshape(2, 2)
    np.testing.assert_array_equal(f(m), 2 * m)
    np.testing.assert_array_equal(m, np.arange(4.0).reshape(2, 2))
