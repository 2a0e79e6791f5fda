"""Bad input gets a clear error naming what was wrong and where, never a wrong answer
(API.md, "Bad input"; chapter 2)."""

import inspect

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano import In, function, shared
from minitheano.compile import MissingInputError, UnusedInputError


def here() -> int:
    """The line number of the caller: where a test builds the node it expects in a message."""
    return inspect.currentframe().f_back.f_lineno


@pytest.fixture
def f():
    x, y = T.dvectors("x", "y")
    return function([x, y], x + y, name="add")


def test_too_many_arguments(f):
    with pytest.raises(TypeError, match=r"function add takes at most 2 argument\(s\), got 3"):
        f(np.ones(2), np.ones(2), np.ones(2))


def test_too_few_arguments_names_the_missing_input(f):
    with pytest.raises(TypeError) as info:
        f(np.ones(2))
    assert "function add is missing required input(s): y (index 1)" in str(info.value)
    with pytest.raises(TypeError, match=r"missing required input\(s\): x \(index 0\), y "
                                        r"\(index 1\)"):
        f()


def test_unknown_keyword(f):
    with pytest.raises(TypeError, match=r"function add has no input named 'z' "
                                        r"\(named inputs: x, y\)"):
        f(np.ones(2), z=np.ones(2))


def test_missing_input_with_a_keyword(f):
    with pytest.raises(TypeError, match=r"missing required input\(s\): x \(index 0\)"):
        f(y=np.ones(2))


def test_wrong_ndim_names_the_input_and_its_index(f):
    with pytest.raises(TypeError) as info:
        f(np.ones(2), np.ones((2, 2)))
    msg = str(info.value)
    assert "argument 'y' (index 1, 0-based) to function add" in msg
    assert "expected 1, got 2" in msg
    with pytest.raises(TypeError, match=r"argument 'x' \(index 0, 0-based\).*expected 1, got 0"):
        f(1.0, np.ones(2))


def test_an_unnamed_input_is_named_by_its_index():
    x = T.dvector()
    g = function([x], x * 2)
    with pytest.raises(TypeError, match=r"argument 'input 0' \(index 0, 0-based\)"):
        g(np.ones((1, 1)))


def test_a_wider_dtype_needs_allow_input_downcast():
    x = T.fvector("x")
    g = function([x], x * 2)
    with pytest.raises(TypeError) as info:
        g(np.array([1.0, 2.0]))
    msg = str(info.value)
    assert "argument 'x'" in msg and "float64" in msg and "allow_input_downcast=True" in msg
    with pytest.raises(TypeError, match="argument 'x'"):
        g(np.array([1, 2], dtype=np.int64))  # int64 does not fit float32 exactly either
    np.testing.assert_array_equal(g(np.array([1, 2], dtype=np.int16)), [2.0, 4.0])


def test_exact_python_lists_and_floats_are_accepted():
    # The seed's call: an fvector and an fscalar fed Python floats.
    x, t = T.fvector("x"), T.fscalar("t")
    g = function([x, t], x * t)
    out = g([1.0, 1.0], 20.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [20.0, 20.0])
    i = T.ivector("i")
    ints = function([i], i * 2)
    np.testing.assert_array_equal(ints([1.0, 3.0]), [2, 6])  # whole floats fit an int32
    with pytest.raises(TypeError, match=r"cannot store accurately the value \[1.5\]"):
        ints([1.5])


def test_inexact_python_floats_are_rejected_as_in_theano():
    t = T.fscalar("t")
    g = function([t], t * 2)
    with pytest.raises(TypeError, match=r"argument 't'.*cannot store accurately the value 0.1"):
        g(0.1)  # 0.1 is not a float32; with floatX=float64 that is an error ...
    with theano.config.change_flags(floatX="float32"):
        assert g(0.1) == np.float32(0.1) * 2  # ... with floatX=float32 Theano accepts it
    assert function([t], t * 2, allow_input_downcast=True)(0.1) == np.float32(0.1) * 2


def test_a_broadcastable_dimension_needs_length_one():
    r = T.drow("r")
    g = function([r], r * 2)
    np.testing.assert_array_equal(g(np.ones((1, 3))), 2 * np.ones((1, 3)))
    with pytest.raises(TypeError, match=r"argument 'r'.*Non-unit length 2 in dimension 0"):
        g(np.ones((2, 3)))


def test_a_shape_mismatch_names_the_op_the_shapes_and_the_user_line():
    x, y = T.dvectors("x", "y")
    z = x + y; line = here()  # noqa: E702
    g = function([x, y], z)
    with pytest.raises(ValueError) as info:
        g(np.ones(3), np.ones(4))
    msg = str(info.value)
    assert "Elemwise{add,no_inplace}(x, y)" in msg
    assert "float64[3], float64[4]" in msg
    assert f'File "{__file__}", line {line}' in msg and "z = x + y" in msg
    assert msg.count("Apply node that caused the error") == 1


def test_seed_rnn_dot_of_a_10_vector_and_a_20x20_matrix():
    rng = np.random.default_rng(0)
    x = T.vector("x")
    W = shared(rng.standard_normal((20, 20)), name="W")
    h = T.tanh(T.dot(x, W)); line = here()  # noqa: E702
    g = function([x], h)
    with pytest.raises(ValueError) as info:
        g(np.ones(10))
    msg = str(info.value)
    assert "Dot(x, W)" in msg
    assert "(10,)" in msg and "(20, 20)" in msg
    assert "float64[10], float64[20, 20]" in msg
    assert f"line {line}" in msg and "T.dot(x, W)" in msg
    # The right size works and agrees with numpy.
    v = rng.standard_normal(20)
    np.testing.assert_allclose(g(v), np.tanh(v @ W.get_value()), rtol=1e-14)


def test_inputs_are_never_modified_by_a_call():
    x, y = T.dvectors("x", "y")
    g = function([x, y], [x + y, x * 2, -y, x])
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    a_before, b_before = a.copy(), b.copy()
    outs = g(a, b)
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)
    for out in outs:
        assert not np.shares_memory(out, a) and not np.shares_memory(out, b)
        out[...] = 0.0
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)


def test_missing_input_error_names_the_variable_and_its_line():
    x, y = T.dscalars("x", "y"); line = here()  # noqa: E702
    with pytest.raises(MissingInputError) as info:
        function([x], x + y)
    msg = str(info.value)
    assert "the outputs need the value of y (TensorType(float64, scalar)" in msg
    assert f"line {line}" in msg and "givens" in msg
    assert info.value.variable is y


def test_unused_input_error_names_the_input():
    x, y = T.dscalars("x", "y")
    with pytest.raises(UnusedInputError, match=r"input 1 \(y\) of the function is not needed"):
        function([x, y], x * 2)


@pytest.mark.parametrize("bad,expected", [
    (lambda: shared(1.0, name="s"), "input 0 (s) is a shared variable"),
    (lambda: T.constant(1.0), "is a constant"),
    (lambda: T.dscalar("a") * 2, "is computed from other variables"),
])
def test_inputs_must_be_free_variables(bad, expected):
    v = bad()
    with pytest.raises(TypeError) as info:
        function([v], v + 1)
    assert expected in str(info.value)


def test_inputs_must_be_a_list_of_variables():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match=r"given in a list.*function\(\[x\], \.\.\.\)"):
        function(x, x * 2)
    with pytest.raises(TypeError, match="must be symbolic variables, got 3"):
        function([3], x)
    with pytest.raises(TypeError, match="outputs must be symbolic variables, got 'y'"):
        function([x], ["y"])


def test_an_input_given_twice():
    x = T.dscalar("x")
    with pytest.raises(ValueError, match=r"input 1 \(x\) is given twice"):
        function([x, x], x)


def test_symbolic_variables_and_none_are_not_values(f):
    with pytest.raises(TypeError, match=r"argument 'y' .index 1.*symbolic variable v.*values"):
        f(np.ones(2), T.dvector("v"))
    w = shared(np.ones(2), name="w")
    with pytest.raises(TypeError, match=r"symbolic variable w.*get_value\(\)"):
        f(w, np.ones(2))
    with pytest.raises(TypeError, match=r"argument 'x' .index 0.*got None"):
        f(None, np.ones(2))


@pytest.mark.parametrize("bad", ["abc", [1, "a"], [[1], [2, 3]], np.ones(2, dtype=complex)])
def test_values_that_are_not_numbers_of_the_type(f, bad):
    with pytest.raises(TypeError, match=r"argument 'x' \(index 0, 0-based\) to function add"):
        f(bad, np.ones(2))


def test_a_bad_default_value():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="default value of input x"):
        function([In(x, value=np.ones((2, 2)))], x)


def test_a_failed_call_leaves_the_function_usable(f):
    with pytest.raises(ValueError):
        f(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(f(np.ones(2), np.ones(2)), [2.0, 2.0])
