"""The C call path (compile/fastcall.py), by default every function's without updates: the same
results and errors as the Python path `Function._call_python`, and a fallback to
it for everything it does not cover."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitheano
import minitheano.tensor as T
from minitheano.compile import fastcall
from minitheano.compile.function import Function

needs_extension = pytest.mark.skipif(fastcall.problem() is not None,
                                     reason=f"no fastcall extension: {fastcall.problem()}")


def _pair(make, expr):
    """(the Python path, the C path) of one function."""
    x, y = make("x"), make("y")
    f = minitheano.function([x, y], expr(x, y))
    return f._call_python, fastcall.fast_function(f)


@needs_extension
def test_a_scalar_call_goes_through_the_extension():
    f, g = _pair(T.dscalar, lambda x, y: x + y)
    assert g is not f and type(g).__name__ == "FastCall"
    a, b = np.array(1.5), np.array(2.5)
    assert g(a, b) == f(a, b) == 4.0


finite = st.floats(-1e3, 1e3, allow_nan=False)


@needs_extension
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float64", "float32"]))
def test_matrices_give_what_the_python_path_gives(data, dtype):
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=5))
    elements = st.floats(-1e3, 1e3, allow_nan=False, width=32 if dtype == "float32" else 64)
    a = data.draw(hnp.arrays(dtype, shape, elements=elements))
    b = data.draw(hnp.arrays(dtype, shape, elements=elements))
    f, g = _pair(lambda n: T.matrix(n, dtype=dtype), lambda x, y: x * y + T.exp(-abs(x)))
    a_before, b_before = a.copy(), b.copy()
    np.testing.assert_array_equal(g(a, b), f(a, b))
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)


@needs_extension
def test_each_call_returns_a_new_array():
    f, g = _pair(T.dvector, lambda x, y: x + y)
    first = g(np.ones(3), np.ones(3))
    second = g(np.zeros(3), np.zeros(3))
    np.testing.assert_array_equal(first, 2 * np.ones(3))
    np.testing.assert_array_equal(second, np.zeros(3))


@needs_extension
@pytest.mark.parametrize("args, kwargs", [((1.0, 2.0), {}), (([1.0], [2.0]), {}),
                                          ((), {"x": 1.0, "y": 2.0}),
                                          ((np.float32(1), np.array(2.0)), {})])
def test_other_arguments_take_the_python_path(args, kwargs):
    x, y = T.dscalars("x", "y")
    f = minitheano.function([x, y], x + y)
    g = f  # by default, the C path
    f = f._call_python
    if isinstance(args[0] if args else None, list):
        with pytest.raises(TypeError) as expected:
            f(*args, **kwargs)
        with pytest.raises(TypeError) as got:
            g(*args, **kwargs)
        assert str(got.value) == str(expected.value)
    else:
        assert g(*args, **kwargs) == f(*args, **kwargs) == 3.0


@needs_extension
def test_errors_are_the_python_paths():
    f, g = _pair(T.dvector, lambda x, y: x + y)
    for args in [(np.ones(2),), (np.ones(2), np.ones(2), np.ones(2)), (np.ones(2), np.ones(3)),
                 (np.ones((2, 2)), np.ones(2))]:
        with pytest.raises(Exception) as expected:
            f(*args)
        with pytest.raises(Exception) as got:
            g(*args)
        assert type(got.value) is type(expected.value)
        assert str(got.value) == str(expected.value)


@needs_extension
def test_a_broadcastable_input_is_not_covered():
    r = T.row("r")
    f = minitheano.function([r], r + 1)
    assert fastcall.fast_function(f) is f


@needs_extension
def test_several_outputs_and_no_output():
    x = T.dvector("x")
    g = minitheano.function([x], [x + 1, x * 2])
    f = g._call_python
    a = np.arange(3.0)
    got, want = g(a), f(a)
    assert isinstance(got, list) and len(got) == 2
    for u, v in zip(got, want):
        np.testing.assert_array_equal(u, v)
    W = minitheano.shared(np.zeros(3))
    h = fastcall.fast_function(minitheano.function([x], [], updates=[(W, W + x)]))
    assert h(a) == []
    np.testing.assert_array_equal(W.get_value(), a)


def _training_step(seed):
    rng = np.random.default_rng(seed)
    params = [minitheano.shared(rng.normal(size=(4, 6)) / 2, name="W1"),
              minitheano.shared(np.zeros(6), name="b1"),
              minitheano.shared(rng.normal(size=(6, 3)) / 2, name="W2")]
    W1, b1, W2 = params
    x, y = T.dmatrix("x"), T.lvector("y")
    p = T.nnet.softmax(T.dot(T.tanh(T.dot(x, W1) + b1), W2))
    loss = T.mean(T.nnet.categorical_crossentropy(p, y))
    updates = [(q, q - 0.1 * g) for q, g in zip(params, T.grad(loss, params))]
    return minitheano.function([x, y], loss, updates=updates), params


@needs_extension
def test_a_training_step_updates_as_the_python_path_does():
    f, f_params = _training_step(0)
    g_python, g_params = _training_step(0)
    assert g_python.__call__ == g_python._call_python  # updates: the Python path by default
    g = fastcall.fast_function(g_python)
    assert type(g).__name__ == "FastCall"
    rng = np.random.default_rng(1)
    X, labels = rng.normal(size=(5, 4)), rng.integers(0, 3, size=5)
    for _ in range(3):
        np.testing.assert_array_equal(g(X, labels), f(X, labels))
    for q, r in zip(g_params, f_params):
        np.testing.assert_array_equal(q.get_value(), r.get_value())


@needs_extension
def test_no_reference_is_leaked():
    f, g = _pair(T.dvector, lambda x, y: x + y)
    a, b = np.ones(3), np.ones(3)
    g(a, b)
    before = sys.getrefcount(a), sys.getrefcount(b)
    for _ in range(1000):
        g(a, b)
    assert (sys.getrefcount(a), sys.getrefcount(b)) == before

    def references_to_a_result(fn):
        out = fn(a, b)
        return sys.getrefcount(out)
    assert references_to_a_result(g) == references_to_a_result(f)


def test_without_a_compiler_the_function_comes_back_unchanged(monkeypatch):
    monkeypatch.setattr(fastcall, "_module", None)
    monkeypatch.setattr(fastcall, "_problem", None)
    monkeypatch.setattr(fastcall.build, "compiler_problem", lambda: "no compiler (test)")
    x, y = T.dscalars("x", "y")
    f = minitheano.function([x, y], x + y)
    assert fastcall.fast_function(f) is f and fastcall.problem() == "no compiler (test)"
    assert f.__call__ == f._call_python  # the Python path, without a word


def test_without_a_compiler_functions_are_called_in_python_silently(recwarn):
    """cxx='' (no compiler): every function takes the Python path, with no warning
    about the call path (the linker's own note about C kernels aside)."""
    with minitheano.config.change_flags(cxx=""):
        x = T.dvector("x")
        f = minitheano.function([x], x * 2)
        assert f.__call__ == f._call_python
        np.testing.assert_array_equal(f(np.arange(3.0)), [0.0, 2.0, 4.0])
    assert not [w for w in recwarn if "fastcall" in str(w.message).lower()]


@needs_extension
def test_every_function_takes_the_c_path_by_default_and_is_freed():
    import gc
    import weakref

    x, y = T.dscalars("x", "y")
    f = minitheano.function([x, y], x + y)
    assert type(f.__call__).__name__ == "FastCall"
    assert f(np.array(1.5), np.array(2.5)) == 4.0
    assert isinstance(f, Function) and f.maker is not None
    gone = weakref.ref(f)
    # The FastCall holds the Function weakly: no cycle, so the function (and the
    # arrays it keeps) goes as soon as its user drops it, not at the next collection.
    gc.disable()
    try:
        del f
        assert gone() is None
    finally:
        gc.enable()


@needs_extension
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_both_paths_agree_on_generated_training_steps(data):
    """Values, updates, and the caller's arrays left alone, on the same step
    called through both paths alternately."""
    seed = data.draw(st.integers(0, 2**16))
    step, params = _training_step(seed)
    fast = fastcall.fast_function(step)
    slow, params_slow = _training_step(seed)
    rng = np.random.default_rng(seed)
    rows = data.draw(st.integers(1, 6))
    X, labels = rng.normal(size=(rows, 4)), rng.integers(0, 3, size=rows)
    X_before, labels_before = X.copy(), labels.copy()
    for _ in range(2):
        np.testing.assert_array_equal(fast(X, labels), slow._call_python(X, labels))
        for p, q in zip(params, params_slow):
            np.testing.assert_array_equal(p.get_value(), q.get_value())
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(labels, labels_before)
    bad = [(X[:, :3], labels), (X, labels.astype("float64")), (X[None], labels),
           (X, labels[:, None])]
    for args in bad:
        with pytest.raises(Exception) as expected:
            slow._call_python(*args)
        with pytest.raises(Exception) as got:
            fast(*args)
        assert type(got.value) is type(expected.value)
        assert str(got.value) == str(expected.value)
