"""extra_ops: cumsum, cumprod, diff, repeat, squeeze against numpy (chapter 1); their
gradients are tested with chapter 4."""

import numpy as np
import pytest
from ch01_helpers import inferred_shape

import minitheano as theano
from minitheano import tensor as T
from minitheano.tensor import extra_ops

RNG = np.random.default_rng(3)


def run(fn, value, **kwargs):
    x = T.tensor(value.dtype.name, (False,) * value.ndim, name="x")
    out = fn(x, **kwargs)
    return theano.function([x], out)(value), out


@pytest.mark.parametrize("ours, theirs", [(extra_ops.cumsum, np.cumsum),
                                          (extra_ops.cumprod, np.cumprod)])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "bool"])
def test_cumulative_ops_like_numpy(ours, theirs, axis, dtype):
    value = RNG.uniform(-2, 2, (3, 4)).astype(dtype)
    result, out = run(ours, value, axis=axis)
    expected = theirs(value, axis=axis)
    assert result.dtype == expected.dtype and out.ndim == expected.ndim
    np.testing.assert_allclose(result, expected, rtol=1e-6)


def test_cumsum_of_empty_and_non_contiguous():
    assert run(T.cumsum, np.zeros((0, 3)), axis=0)[0].shape == (0, 3)
    assert run(T.cumsum, np.zeros((0, 3)))[0].shape == (0,)
    base = RNG.normal(size=(4, 6))
    for value in (base[:, ::2], base.T):
        np.testing.assert_allclose(run(T.cumsum, value, axis=1)[0], np.cumsum(value, axis=1))


def test_names_and_errors():
    x = T.dmatrix("x")
    assert str(T.cumsum(x, axis=-1).owner.op) == "CumOp{1, add}"
    assert str(T.cumprod(x).owner.op) == "CumOp{None, mul}"
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.cumsum(x, axis=2)
    with pytest.raises(ValueError, match="mode must be 'add' or 'mul'"):
        extra_ops.CumOp(0, "max")


def test_infer_shape_agrees_with_perform():
    x = T.dtensor3("x")
    value = RNG.normal(size=(2, 3, 4))
    for axis in (None, 0, 2):
        out = T.cumsum(x, axis=axis)
        assert inferred_shape(out, [x], [value]) == theano.function([x], out)(value).shape


def test_squeeze():
    x = T.tensor("float64", (False, True, False, True), name="x")
    value = RNG.normal(size=(2, 1, 3, 1))
    assert T.squeeze(x).broadcastable == (False, False)
    np.testing.assert_array_equal(theano.function([x], T.squeeze(x))(value), value.squeeze())
    m = T.dmatrix("m")
    f = theano.function([m], T.squeeze(m, axis=0))
    np.testing.assert_array_equal(f(np.ones((1, 3))), np.ones(3))
    with pytest.raises(ValueError, match="declared broadcastable.*has length 2"):
        f(np.ones((2, 3)))


@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_diff_like_numpy(n, axis, dtype):
    value = RNG.uniform(-3, 3, (4, 3)).astype(dtype)
    result, out = run(T.diff, value, n=n, axis=axis)
    expected = np.diff(value, n=n, axis=axis)
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("repeats", [0, 1, 3, "vector"])
def test_repeat_like_numpy(axis, repeats):
    value = RNG.normal(size=(2, 3))
    x = T.dmatrix("x")
    if repeats == "vector":
        length = value.size if axis is None else value.shape[axis]
        reps = np.arange(length) % 3
        r = T.lvector("r")
        out = T.repeat(x, r, axis=axis)
        f = theano.function([x, r], out)
        result, expected = f(value, reps), np.repeat(value, reps, axis=axis)
        args, inputs = [value, reps], [x, r]
    else:
        out = T.repeat(x, repeats, axis=axis)
        result, expected = theano.function([x], out)(value), np.repeat(value, repeats, axis)
        args, inputs = [value], [x]
    np.testing.assert_array_equal(result, expected)
    assert inferred_shape(out, inputs, args) == result.shape



def test_repeat_errors():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="repeats must be an integer scalar or vector"):
        T.repeat(x, 1.5)
    r = T.lvector("r")
    f = theano.function([x, r], T.repeat(x, r))
    with pytest.raises(ValueError, match="2 repeat counts for 3 elements"):
        f(np.ones(3), [1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        f(np.ones(2), [1, -1])
