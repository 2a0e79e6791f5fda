"""Reductions against numpy: values, dtypes, axes, keepdims, empty arrays (chapter 1)."""

import itertools

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from ch01_helpers import inferred_shape
from hypothesis import given
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T

RNG = np.random.default_rng(42)

# name -> (our function, numpy's)
REDUCTIONS = {
    "sum": (T.sum, np.sum),
    "prod": (T.prod, np.prod),
    "max": (T.max, np.max),
    "min": (T.min, np.min),
    "mean": (T.mean, np.mean),
    "var": (T.var, np.var),
    "std": (T.std, np.std),
    "all": (T.all, np.all),
    "any": (T.any, np.any),
}
DTYPES = ["float64", "float32", "int64", "int32", "int8", "uint8", "bool"]


def sample(shape, dtype):
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    if dtype.startswith("float"):
        return RNG.uniform(-2, 2, shape).astype(dtype)
    # Small values: products of int8 stay representable in int64.
    return RNG.integers(0 if dtype.startswith("u") else -3, 4, shape).astype(dtype)


def run(fn, value, **kwargs):
    x = T.tensor(value.dtype.name, (False,) * value.ndim, name="x")
    out = fn(x, **kwargs)
    f = theano.function([x], out)
    return f(value), out


def assert_like_numpy(ours, expected, dtype_too=True):
    expected = np.asarray(expected)
    assert ours.shape == expected.shape
    if dtype_too:
        assert ours.dtype == expected.dtype, (ours.dtype, expected.dtype)
    if expected.dtype.kind == "f":
        tol = 1e-5 if expected.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(ours, expected, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_like_numpy(name, dtype):
    ours, theirs = REDUCTIONS[name]
    value = sample((3, 4), dtype)
    if name in ("var", "std", "mean") and dtype == "bool":
        expected = theirs(value.astype("float64"))
    else:
        expected = theirs(value)
    result, _ = run(ours, value)
    assert_like_numpy(result, expected)


AXES = [None, 0, 1, 2, -1, -3, (0, 2), [1, 2], (0, 1, 2), ()]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_axes_and_keepdims(name, axis, keepdims):
    ours, theirs = REDUCTIONS[name]
    value = sample((2, 3, 4), "float64")
    result, out = run(ours, value, axis=axis, keepdims=keepdims)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    assert_like_numpy(result, theirs(value, axis=np_axis, keepdims=keepdims))
    assert out.ndim == result.ndim


@pytest.mark.parametrize("name", ["sum", "prod", "max", "mean", "var", "all"])
def test_non_contiguous_input(name):
    ours, theirs = REDUCTIONS[name]
    base = sample((4, 6, 3), "float64")
    for value in (base[:, ::2], base.transpose(2, 0, 1), base[::-1, 1:5, :]):
        result, _ = run(ours, value, axis=1)
        assert_like_numpy(result, theirs(value, axis=1))


@pytest.mark.parametrize("name", ["sum", "prod", "all", "any", "mean"])
def test_zero_length_dimensions(name):
    ours, theirs = REDUCTIONS[name]
    value = np.zeros((0, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        for axis in (None, 0, 1):
            result, _ = run(ours, value, axis=axis)
            with pytest.warns(RuntimeWarning) if name == "mean" and axis != 1 else _nothing():
                expected = theirs(value, axis=axis)
            assert_like_numpy(result, expected)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_sum_of_empty_is_zero_and_prod_is_one():
    assert run(T.sum, np.zeros(0))[0] == 0
    assert run(T.prod, np.zeros((2, 0)))[0] == 1


@pytest.mark.parametrize("fn, opname", [(T.max, "Max"), (T.min, "Min"),
                                        (T.argmax, "Argmax"), (T.argmin, "Argmin")])
def test_extremum_of_empty_is_a_clear_error(fn, opname):
    x = T.dmatrix("x")
    f = theano.function([x], fn(x, axis=0))
    with pytest.raises(ValueError, match=rf"{opname}\{{axis=\[0\]\}}.*\(0, 3\)"):
        f(np.zeros((0, 3)))
    # Reducing only the non-empty axis is fine: the result is empty.
    g = theano.function([x], fn(x, axis=1))
    assert g(np.zeros((0, 3))).shape == (0,)


def test_axis_out_of_range_and_bad_axis():
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="axis 2 is out of range.*2 dimensions"):
        T.sum(x, axis=2)
    with pytest.raises(ValueError, match="out of range"):
        T.max(x, axis=-3)
    with pytest.raises(TypeError, match="axis must be None, an int or a list of ints, got 1.5"):
        T.mean(x, axis=1.5)


@pytest.mark.parametrize("dtype, expected", [
    ("int32", "int64"), ("int8", "int64"), ("uint8", "uint64"), ("bool", "int64"),
    ("float32", "float32"), ("float64", "float64")])
def test_sum_and_prod_dtypes(dtype, expected):
    x = T.vector("x", dtype=dtype)
    assert T.sum(x).dtype == expected
    assert T.prod(x).dtype == expected


@pytest.mark.parametrize("dtype, expected", [
    ("int32", "float64"), ("bool", "float64"), ("float32", "float32"), ("float64", "float64")])
def test_mean_var_std_dtypes(dtype, expected):
    x = T.vector("x", dtype=dtype)
    assert T.mean(x).dtype == T.var(x).dtype == T.std(x).dtype == expected
    assert T.max(x).dtype == dtype
    assert T.argmax(x).dtype == "int64"
    assert T.all(x).dtype == T.any(x).dtype == "bool"


@pytest.mark.parametrize("ddof", [0, 1, 2])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_var_std_ddof(ddof, axis):
    value = sample((5, 4), "float64")
    for ours, theirs in ((T.var, np.var), (T.std, np.std)):
        result, _ = run(ours, value, axis=axis, ddof=ddof, keepdims=True)
        assert_like_numpy(result, theirs(value, axis=axis, ddof=ddof, keepdims=True))


def test_var_corrected_equals_plain_variance():
    value = 1e8 + sample((1000,), "float64")
    result, _ = run(T.var, value, corrected=True)
    np.testing.assert_allclose(result, np.var(value), rtol=1e-9)


def test_mean_over_broadcastable_axis_divides_by_one():
    r = T.drow("r")
    f = theano.function([r], T.mean(r, axis=0))
    np.testing.assert_array_equal(f(np.array([[1.0, 2.0, 4.0]])), [1.0, 2.0, 4.0])


@pytest.mark.parametrize("fn, theirs", [(T.argmax, np.argmax), (T.argmin, np.argmin)])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_argmin_like_numpy(fn, theirs, axis, keepdims):
    value = sample((4, 5), "float64")
    result, _ = run(fn, value, axis=axis, keepdims=keepdims)
    assert_like_numpy(result, theirs(value, axis=axis, keepdims=keepdims))


def test_argmax_over_several_axes_counts_in_flattened_order():
    value = sample((3, 4, 5), "float64")
    result, _ = run(T.argmax, value, axis=(0, 2))
    flat = value.transpose(1, 0, 2).reshape(4, 15)
    np.testing.assert_array_equal(result, flat.argmax(axis=1))
    # ... and the index finds the maximum.
    for j, k in enumerate(result):
        assert value[k // 5, j, k % 5] == value[:, j, :].max()


def test_max_and_argmax():
    x = T.dmatrix("x")
    m, a = T.max_and_argmax(x, axis=1)
    value = sample((3, 4), "float64")
    mv, av = theano.function([x], [m, a])(value)
    np.testing.assert_array_equal(mv, value.max(1))
    np.testing.assert_array_equal(av, value.argmax(1))


def test_max_propagates_nan_like_numpy():
    value = np.array([[1.0, np.nan], [3.0, 2.0]])
    result, _ = run(T.max, value, axis=1)
    np.testing.assert_array_equal(result, np.max(value, axis=1))


def test_methods_of_variables():
    x = T.dmatrix("x")
    value = sample((3, 4), "float64")
    outs = [x.max(axis=0), x.min(), x.prod(axis=1), x.mean(axis=0, keepdims=True),
            x.var(), x.std(axis=1, ddof=1), x.argmax(axis=1), x.argmin(), x.size]
    expected = [value.max(0), value.min(), value.prod(1), value.mean(0, keepdims=True),
                value.var(), value.std(1, ddof=1), value.argmax(1), value.argmin(), value.size]
    for got, want in zip(theano.function([x], outs)(value), expected):
        assert_like_numpy(got, np.asarray(want), dtype_too=False)


def test_printed_names_are_theanos():
    x = T.dmatrix("x")
    assert str(T.sum(x, axis=1).owner.op) == "Sum{axis=[1]}"
    assert str(T.max(x, axis=0).owner.op) == "Max{axis=[0]}"
    assert str(T.prod(x).owner.op) == "Prod{axis=[0, 1]}"
    assert str(T.argmax(x, axis=-1).owner.op) == "Argmax{axis=[1]}"


@pytest.mark.parametrize("fn", [T.sum, T.prod, T.max, T.min, T.all, T.any, T.argmax,
                                T.argmin])
def test_infer_shape_agrees_with_perform(fn):
    x = T.dtensor3("x")
    value = sample((2, 0, 3), "float64") + 0.5
    for axis in [None, 0, 1, 2, (0, 2), ()]:
        if fn in (T.max, T.min, T.argmax, T.argmin):
            value = sample((2, 1, 3), "float64")
        out = fn(x, axis=axis)
        result = theano.function([x], out)(value)
        assert inferred_shape(out, [x], [value]) == result.shape


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3),
                  elements=st.floats(-10, 10)),
       st.data())
def test_hypothesis_reductions_any_shape_any_axes(value, data):
    axes = data.draw(st.sets(st.integers(0, max(value.ndim - 1, 0)), max_size=value.ndim))
    axis = tuple(sorted(axes))
    keepdims = data.draw(st.booleans())
    for name in ("sum", "prod", "max", "all"):
        ours, theirs = REDUCTIONS[name]
        empty = any(value.shape[a] == 0 for a in axis)
        if name == "max" and empty:
            with pytest.raises(ValueError, match="length 0"):
                run(ours, value, axis=axis, keepdims=keepdims)
            continue
        result, _ = run(ours, value, axis=axis, keepdims=keepdims)
        expected = theirs(value, axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(result, expected, rtol=1e-12)
        assert result.dtype == np.asarray(expected).dtype


def test_every_combination_of_two_axes_of_a_4d_array():
    value = sample((2, 3, 1, 2), "float64")
    for axis in itertools.combinations(range(4), 2):
        for name in ("sum", "mean", "var", "min"):
            ours, theirs = REDUCTIONS[name]
            result, _ = run(ours, value, axis=axis)
            assert_like_numpy(result, theirs(value, axis=axis))


def test_shape_i_counts_what_mean_divides_by():
    x = T.dmatrix("x")
    assert str(T.shape_i(x, 1).owner.op) == "Shape_i{1}"
    assert theano.function([x], T.shape_i(x, 1))(np.zeros((2, 5))) == 5
    assert T.shape_i(T.drow("r"), 0).data == 1  # known without running anything
    with pytest.raises(ValueError, match="no dimension 2"):
        T.Shape_i(2)(x)
